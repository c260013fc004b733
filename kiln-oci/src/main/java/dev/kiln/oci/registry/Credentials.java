package dev.kiln.oci.registry;

import dev.kiln.oci.OciException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Objects;

/** A user name and password for a registry (or its token server). */
public record Credentials(String username, String password) {
    public Credentials {
        Objects.requireNonNull(username, "username");
        Objects.requireNonNull(password, "password");
    }

    /**
     * Decodes the {@code auth} field of docker's config.json and containers' auth.json: base64 of
     * {@code user:password}; the password may itself hold colons.
     */
    public static Credentials decode(String auth, String what) {
        String plain;
        try {
            plain = new String(Base64.getDecoder().decode(auth.trim()), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            throw new OciException(what + ": auth is not base64");
        }
        int colon = plain.indexOf(':');
        if (colon <= 0) throw new OciException(what + ": auth does not decode to user:password");
        return new Credentials(plain.substring(0, colon), plain.substring(colon + 1));
    }

    /** The value of an {@code Authorization} header for HTTP basic authentication. */
    public String basicHeader() {
        return "Basic " + Base64.getEncoder().encodeToString((username + ":" + password).getBytes(StandardCharsets.UTF_8));
    }

    /** Hides the password, so credentials in a log or a message never leak it. */
    @Override
    public String toString() {
        return "Credentials[" + username + ", password hidden]";
    }
}
