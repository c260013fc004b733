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
     * Unikraft: the initrd is held in memory and extracted into ramfs, so the guest needs about
     * twice its size plus the kernel's own 16 MiB; Linux: 64 MiB plus the initrd twice over.
     * Never less than the API's default of 128 MiB.
     */
    MemoryRule DEFAULT = image -> {
        long initrdMib = (image.initrdSize() + (1 << 20) - 1) >> 20;
        int need = (int) Math.max(16, 2 * initrdMib + (image.guest().equals("linux") ? 64 : 16));
        return new Need(need, image.initrd() == null ? "the kernel alone"
                : "a " + image.guest() + " guest holds its " + initrdMib + " MiB initrd and its extracted copy in memory");
    };
}
