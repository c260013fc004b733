package dev.kiln.oci.pack;

import dev.kiln.oci.OciException;

/**
 * A {@link PackRequest} that consumers would refuse. {@link #field()} names the request field at
 * fault in {@link PackRequest.Builder}'s words ({@code kernel}, {@code hypervisor},
 * {@code rootfsType}...), so whoever filled the builder from a file can point at the line
 * that set it.
 */
public final class RequestException extends OciException {
    private final String field;

    public RequestException(String field, String message) {
        super(message);
        this.field = field;
    }

    public String field() {
        return field;
    }
}
