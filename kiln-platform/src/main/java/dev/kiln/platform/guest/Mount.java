package dev.kiln.platform.guest;

import java.util.Objects;

/**
 * A host directory the VMM shares over 9p under {@code tag} (or, {@code block}, a disk whose
 * serial is {@code tag}), to be mounted in the guest at {@code at}. The guest kind decides how it learns of it: Unikraft mounts it itself from
 * {@code vfs.fstab}, a Linux guest's init reads {@code kiln.mount=TAG:AT:ro|rw} from
 * /proc/cmdline.
 *
 * <p>Both forms separate fields with ':' and neither parser can quote inside a field, so tags
 * and paths are held to a plain character set here rather than escaped.
 */
public record Mount(String tag, String at, boolean readOnly, boolean block) {
    public Mount {
        Objects.requireNonNull(tag, "tag");
        Objects.requireNonNull(at, "at");
    }

    /** A 9p share. */
    public Mount(String tag, String at, boolean readOnly) {
        this(tag, at, readOnly, false);
    }

    /**
     * A block device holding an ext4 filesystem, found by the disk serial {@code tag}; only a
     * Linux guest mounts one ({@code kiln.disk=SERIAL:AT:ro|rw}).
     */
    public static Mount block(String serial, String at, boolean readOnly) {
        return new Mount(serial, at, readOnly, true);
    }

    /**
     * Why {@code at} cannot be a mount point in either guest, or null: it must be absolute,
     * normalised (no empty, '.' or '..' component, no trailing '/') and made of A-Z a-z 0-9
     * _ . @ + - (the guests' mount syntax separates fields with ':' and cannot quote).
     */
    public static String pathProblem(String at) {
        return Words.pathProblem(at);
    }
}
