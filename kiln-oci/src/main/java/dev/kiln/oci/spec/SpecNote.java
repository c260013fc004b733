package dev.kiln.oci.spec;

import java.nio.file.Path;

/**
 * Something a spec file says that kiln reads but does not put in the image, or a choice kiln
 * made for it (the first of several Kraftfile targets, a deprecated field): worth telling the
 * user, not worth refusing the file.
 */
public record SpecNote(Path file, int line, String message) {
    @Override
    public String toString() {
        return SpecException.where(file, line) + message;
    }
}
