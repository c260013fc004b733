package dev.kiln.platform.instance;

import dev.kiln.fs.KilnException;

/**
 * A request the platform refuses: {@code status} is the HTTP status it means (400 for a bad
 * request, 404 for an unknown instance, 409 for a conflict), {@code field} the request field at
 * fault (or null), and {@code code} the API's per-item error number (8 = not found).
 */
public class InstanceException extends KilnException {
    private final int status;
    private final String field;

    public InstanceException(int status, String field, String message) {
        super(message);
        this.status = status;
        this.field = field;
    }

    public int status() {
        return status;
    }

    public String field() {
        return field;
    }

    /** The API's item error code: 8 for not found (what the SDKs map to 404), else the HTTP status. */
    public int code() {
        return status == 404 ? 8 : status;
    }
}
