package dev.kiln.platform.volume;

import java.time.Instant;
import java.util.Objects;
import java.util.UUID;

/**
 * A volume as the platform keeps it. Immutable, versioned like an instance: the store replaces a
 * row only if it still has the version that was read.
 *
 * @param filesystem    {@code 9pfs} (a host directory shared over virtio-9p: Unikraft and Linux
 *                      guests) or {@code ext4} (a block device: Linux guests)
 * @param state         the stored state: initializing, available, busy or error (see {@link VolumeState#seen})
 * @param persistent    false for a volume created with an instance: deleted with it, unless detached first
 * @param hostPath      a managed volume: this host directory is the volume (shared as it is, no size), else null
 * @param attachedTo    the instance it is attached to, or null; {@code at} and {@code readonly} go with it
 * @param detachPending a detach asked while the instance ran, carried out when it stops
 */
public record Volume(UUID uuid, String name, Instant createdAt, long createdSeq, int sizeMb, String filesystem, VolumeState state,
                     boolean persistent, String hostPath, UUID attachedTo, String at, boolean readonly, boolean detachPending, long version) {
    public static final String NINE_P = "9pfs", EXT4 = "ext4";

    public Volume {
        Objects.requireNonNull(uuid);
        Objects.requireNonNull(name);
        Objects.requireNonNull(state);
        Objects.requireNonNull(filesystem);
        if (attachedTo == null && (at != null || readonly || detachPending)) {
            throw new IllegalArgumentException("volume " + name + ": at, readonly and a pending detach belong to an attachment");
        }
    }

    public Volume withState(VolumeState s) {
        return new Volume(uuid, name, createdAt, createdSeq, sizeMb, filesystem, s, persistent, hostPath, attachedTo, at, readonly, detachPending, version);
    }

    public Volume attached(UUID instance, String path, boolean ro) {
        return new Volume(uuid, name, createdAt, createdSeq, sizeMb, filesystem, state, persistent, hostPath, instance, path, ro, false, version);
    }

    /** Detached: no longer tied to an instance, and so persistent from now on. */
    public Volume detached() {
        return new Volume(uuid, name, createdAt, createdSeq, sizeMb, filesystem, state, true, hostPath, null, null, false, false, version);
    }

    public Volume detachLater() {
        return new Volume(uuid, name, createdAt, createdSeq, sizeMb, filesystem, state, persistent, hostPath, attachedTo, at, readonly, true, version);
    }

    public Volume withSize(int mb) {
        return new Volume(uuid, name, createdAt, createdSeq, mb, filesystem, state, persistent, hostPath, attachedTo, at, readonly, detachPending, version);
    }

    public Volume withVersion(long v) {
        return new Volume(uuid, name, createdAt, createdSeq, sizeMb, filesystem, state, persistent, hostPath, attachedTo, at, readonly, detachPending, v);
    }

    public boolean blockDevice() {
        return filesystem.equals(EXT4);
    }
}
