package dev.kiln.fs.target;

import dev.kiln.fs.EntryPath;

/** One observation of a profile about an image: an error fails the build or check, a warning does not. */
public record Finding(Severity severity, EntryPath path, String message) {
    public enum Severity { ERROR, WARNING, INFO }

    public static Finding error(EntryPath path, String message) {
        return new Finding(Severity.ERROR, path, message);
    }

    public static Finding warning(EntryPath path, String message) {
        return new Finding(Severity.WARNING, path, message);
    }

    public static Finding info(String message) {
        return new Finding(Severity.INFO, null, message);
    }

    public boolean isError() {
        return severity == Severity.ERROR;
    }

    /** "error: /path: message" or "warning: message". */
    @Override
    public String toString() {
        return severity.name().toLowerCase(java.util.Locale.ROOT) + ": " + (path == null ? "" : path.display() + ": ") + message;
    }
}
