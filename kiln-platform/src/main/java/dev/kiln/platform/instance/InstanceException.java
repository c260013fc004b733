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

    /**
     * What a request names by {@code uuid} or {@code name} (exactly one of them): looked up with
     * {@code byUuid} or {@code byName}; 400 for neither, both or a malformed uuid, 404 naming
     * {@code what} ("instance", "volume") when there is none.
     */
    public static <T> T lookup(String uuid, String name, String what, java.util.function.Function<java.util.UUID, java.util.Optional<T>> byUuid,
                               java.util.function.Function<String, java.util.Optional<T>> byName) {
        if ((uuid == null) == (name == null)) throw new InstanceException(400, "uuid", "give either a uuid or a name");
        if (uuid != null) {
            java.util.UUID u;
            try {
                u = java.util.UUID.fromString(uuid);
            } catch (IllegalArgumentException e) {
                throw new InstanceException(400, "uuid", "Invalid uuid '" + InstanceService.shorten(uuid) + "'");
            }
            return byUuid.apply(u).orElseThrow(() -> new InstanceException(404, "uuid", "No " + what + " with UUID '" + u + "'"));
        }
        return byName.apply(name).orElseThrow(() -> new InstanceException(404, "name", "No " + what + " with name '" + InstanceService.shorten(name) + "'"));
    }
}
