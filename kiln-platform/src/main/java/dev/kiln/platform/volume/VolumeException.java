package dev.kiln.platform.volume;

import dev.kiln.fs.KilnException;

/**
 * A volume operation that failed. {@code field} names the request field at fault
 * ({@code size_mb}, {@code uuid}, {@code filesystem}, {@code source}, {@code out}), which makes it
 * the caller's error (HTTP 400, or 404 for an unknown {@code uuid}); null means the host failed
 * (a command such as {@code mount} or {@code mke2fs}, whose words and stderr the message quotes).
 */
public final class VolumeException extends KilnException {
    private final String field;

    public VolumeException(String field, String message) {
        super(message);
        this.field = field;
    }

    public VolumeException(String field, String message, Throwable cause) {
        super(message, cause);
        this.field = field;
    }

    /** The request field at fault, or null when the host failed. */
    public String field() {
        return field;
    }
}
