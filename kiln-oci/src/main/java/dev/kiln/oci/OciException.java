package dev.kiln.oci;

import dev.kiln.fs.KilnException;

/**
 * Bad OCI input: a manifest that does not parse, a digest that does not match, a blob of the
 * wrong size, an unknown media type. The message names the field, the digest or the reference.
 */
public class OciException extends KilnException {
    public OciException(String message) {
        super(message);
    }

    public OciException(String message, Throwable cause) {
        super(message, cause);
    }
}
