package dev.kiln.platform.api;

import dev.kiln.fs.KilnException;

/** A request the API refuses as a whole: 400 (naming the field), 401, 404 (unknown route), 413. */
final class ApiException extends KilnException {
    final int status;
    final String field;

    ApiException(int status, String field, String message) {
        super(message);
        this.status = status;
        this.field = field;
    }

    static ApiException badRequest(String field, String message) {
        return new ApiException(400, field, message);
    }
}
