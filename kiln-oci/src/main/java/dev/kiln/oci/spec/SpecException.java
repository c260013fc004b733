package dev.kiln.oci.spec;

import dev.kiln.oci.OciException;
import java.nio.file.Path;

/**
 * A spec file kiln cannot pack: its message starts with where ({@code FILE:LINE:}) and names
 * the field or instruction at fault in the file's own words ({@code rootfs.include[2]},
 * {@code COPY}), then says what is wrong and, where there is one, what to do instead.
 */
public final class SpecException extends OciException {
    private final Path file;
    private final int line;
    private final String field;

    /** {@code line} 0 means the file as a whole; {@code field} may be null. */
    public SpecException(Path file, int line, String field, String problem) {
        super(where(file, line) + (field == null ? "" : field + ": ") + problem);
        this.file = file;
        this.line = line;
        this.field = field;
    }

    public SpecException(Path file, int line, String field, String problem, Throwable cause) {
        super(where(file, line) + (field == null ? "" : field + ": ") + problem, cause);
        this.file = file;
        this.line = line;
        this.field = field;
    }

    static String where(Path file, int line) {
        return file + (line > 0 ? ":" + line : "") + ": ";
    }

    public Path file() {
        return file;
    }

    /** 1-based; 0 when the problem is the file as a whole (a required field that is missing). */
    public int line() {
        return line;
    }

    /** The field or instruction, as the file spells it; null when none applies. */
    public String field() {
        return field;
    }
}
