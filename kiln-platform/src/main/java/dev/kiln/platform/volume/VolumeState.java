package dev.kiln.platform.volume;

import dev.kiln.platform.instance.InstanceState;
import java.util.Locale;

/**
 * A volume's state as the API names it. Only {@code initializing}, {@code available},
 * {@code busy} and {@code error} are stored; {@code idle} (attached to a stopped instance) and
 * {@code mounted} (its instance runs) follow from the attachment and the instance, so they can
 * never disagree with them. {@code uninitialized} is the instant before a volume's row exists and
 * is never seen.
 */
public enum VolumeState {
    UNINITIALIZED, INITIALIZING, AVAILABLE, IDLE, MOUNTED, BUSY, ERROR;

    public String wire() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static VolumeState parse(String s) {
        for (VolumeState v : values()) if (v.wire().equals(s)) return v;
        throw new IllegalArgumentException("volume state '" + s + "'");
    }

    /** The state a client sees: a stored {@code available} becomes idle or mounted by its attachment. */
    public static VolumeState seen(VolumeState stored, InstanceState instance) {
        if (stored != AVAILABLE || instance == null) return stored;
        return instance.live() ? MOUNTED : IDLE;
    }
}
