package dev.kiln.fs;

/**
 * An image or archive that kiln cannot read: corrupt, truncated, hostile or unsupported.
 * The message names the file, and the byte offset and entry where known, e.g.
 * {@code rootfs.cpio: offset 4096 (entry "etc/passwd"): file size 0xffffffff runs past the end}.
 */
public final class FormatException extends KilnException {
    private final long offset;

    public FormatException(String message) {
        super(message);
        this.offset = -1;
    }

    public FormatException(String message, Throwable cause) {
        super(message, cause);
        this.offset = -1;
    }

    /** An error at a known position; {@code entry} may be null when no entry name was read yet. */
    public static FormatException at(String file, long offset, String entry, String problem) {
        StringBuilder sb = new StringBuilder();
        if (file != null) sb.append(file).append(": ");
        sb.append("offset ").append(offset);
        if (entry != null) sb.append(" (entry \"").append(EntryPath.printable(entry)).append("\")");
        sb.append(": ").append(problem);
        return new FormatException(sb.toString(), offset);
    }

    private FormatException(String message, long offset) {
        super(message);
        this.offset = offset;
    }

    /** The byte offset in the input where the problem was found, or -1. */
    public long offset() {
        return offset;
    }
}
