package dev.kiln.oci.pack;

import dev.kiln.oci.OciException;
import java.util.Locale;

/**
 * How a urunc image gives the guest its root filesystem (bunny's {@code rootfs.type}): an
 * {@code initrd} archive, {@code raw} files in the image's own rootfs (handed over by urunc as
 * a block snapshot or a shared directory), or a {@code block} image file that kiln builds.
 */
public enum RootfsType {
    INITRD, RAW, BLOCK;

    public static RootfsType parse(String s) {
        return switch (s.toLowerCase(Locale.ROOT)) {
            case "initrd" -> INITRD;
            case "raw" -> RAW;
            case "block" -> BLOCK;
            default -> throw new OciException("rootfs type \"" + s + "\": expected initrd, raw or block");
        };
    }

    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }
}
