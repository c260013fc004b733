package dev.kiln.platform.instance;

import dev.kiln.platform.image.ImageCatalog;

/**
 * How much memory an image needs, so a request below it is refused up front instead of booting
 * a guest that dies with a misleading error ("cpio: write too long", an opaque KVM error).
 */
public interface MemoryRule {
    /** The least memory in MiB that {@code image} boots with, and why, for the message. */
    Need need(ImageCatalog.Runnable image);

    record Need(int mib, String why) {}

    /**
     * Unikraft: the rule measured against a real Unikraft 0.17 guest (kiln-fs's
     * {@code UnikraftMemory}, what {@code kiln build --target unikraft} prints): the archive stays
     * in memory and ukcpio copies every file into ramfs in power-of-two blocks. Linux: 64 MiB
     * plus the initrd twice over (the compressed archive and the unpacked tmpfs).
     */
    MemoryRule DEFAULT = image -> {
        long initrdMib = (image.initrdSize() + (1 << 20) - 1) >> 20;
        if (image.guest().equals("unikraft") && image.unikraftMiB() > 0) {
            return new Need(image.unikraftMiB(), image.initrd() == null ? "the kernel alone"
                    : "Unikraft keeps the " + initrdMib + " MiB initrd in memory and copies every file into ramfs, in power-of-two blocks");
        }
        int need = (int) Math.max(16, 2 * initrdMib + (image.guest().equals("linux") ? 64 : 16));
        return new Need(need, image.initrd() == null ? "the kernel alone"
                : "a " + image.guest() + " guest holds its " + initrdMib + " MiB initrd and its extracted copy in memory");
    };
}
