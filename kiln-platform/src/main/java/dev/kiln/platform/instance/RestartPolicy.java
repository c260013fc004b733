package dev.kiln.platform.instance;

/** What happens when a guest stops by itself: nothing, always start it again, or only after a failure (exit code not 0). */
public enum RestartPolicy {
    NEVER("never"), ALWAYS("always"), ON_FAILURE("on-failure");

    private final String wire;

    RestartPolicy(String wire) {
        this.wire = wire;
    }

    public String wire() {
        return wire;
    }

    public static RestartPolicy parse(String s, String field) {
        for (RestartPolicy p : values()) if (p.wire.equals(s)) return p;
        throw new InstanceException(400, field, "unknown restart policy '" + s + "' (never, always, on-failure)");
    }
}
