package dev.kiln.platform.guest;

import java.util.Objects;

/**
 * A host directory the VMM shares over 9p under {@code tag}, to be mounted in the guest at
 * {@code at}. The guest kind decides how it learns of it: Unikraft mounts it itself from
 * {@code vfs.fstab}, a Linux guest's init reads {@code kiln.mount=TAG:AT:ro|rw} from
 * /proc/cmdline.
 *
 * <p>Both forms separate fields with ':' and neither parser can quote inside a field, so tags
 * and paths are held to a plain character set here rather than escaped.
 */
public record Mount(String tag, String at, boolean readOnly) {
    public Mount {
        Objects.requireNonNull(tag, "tag");
        Objects.requireNonNull(at, "at");
    }
}
