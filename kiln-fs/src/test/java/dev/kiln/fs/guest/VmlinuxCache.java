package dev.kiln.fs.guest;

import dev.kiln.fs.io.AtomicFile;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.Channels;
import java.nio.file.Files;
import java.nio.file.Path;
import org.tukaani.xz.SingleXZInputStream;

/**
 * Debian's bzImage is an XZ-compressed vmlinux behind a small decompressor. Under TCG that
 * decompressor is the slowest part of a boot: on these machines 8 of a boot's ~14 s wall clock
 * went to unpacking 66 MB of kernel in emulated code, against about a second on the host. So
 * the kernel is unpacked here once, cached in the temp directory across test runs, and QEMU
 * boots the ELF directly through its PVH entry point (Debian builds CONFIG_PVH=y). It is the
 * same kernel code; only the self-extraction stub is skipped.
 */
final class VmlinuxCache {
    private VmlinuxCache() {}

    private static final byte[] XZ_MAGIC = {(byte) 0xfd, '7', 'z', 'X', 'Z', 0};

    /** The image to boot: a cached uncompressed vmlinux, or {@code bzImage} when that cannot be had. */
    static Path bootImage(Path bzImage, String version) throws IOException {
        if (!pvhEnabled(version)) return bzImage;
        Path cached = Path.of(System.getProperty("java.io.tmpdir"), "kiln-vmlinux-" + version + "-"
                + Files.size(bzImage) + "-" + Files.getLastModifiedTime(bzImage).toMillis());
        if (Files.isRegularFile(cached) && isElf(cached)) return cached;
        byte[] image = Files.readAllBytes(bzImage);
        int at = indexOf(image, XZ_MAGIC);
        if (at < 0) return bzImage; // another compression: boot the bzImage, just slower
        // One XZ stream: what follows it in the bzImage (padding, the size word) is not ours.
        try (InputStream in = new SingleXZInputStream(new ByteArrayInputStream(image, at, image.length - at))) {
            AtomicFile.write(cached, ch -> in.transferTo(Channels.newOutputStream(ch)));
        }
        if (!isElf(cached)) {
            Files.deleteIfExists(cached);
            return bzImage;
        }
        return cached;
    }

    /** QEMU refuses an ELF kernel without the PVH note, so only try when the config says it is there. */
    private static boolean pvhEnabled(String version) throws IOException {
        Path config = Path.of("/boot/config-" + version);
        return Files.isRegularFile(config) && Files.readAllLines(config).contains("CONFIG_PVH=y");
    }

    private static boolean isElf(Path p) throws IOException {
        try (InputStream in = Files.newInputStream(p)) {
            byte[] h = in.readNBytes(4);
            return h.length == 4 && h[0] == 0x7f && h[1] == 'E' && h[2] == 'L' && h[3] == 'F';
        }
    }

    /** The first position of {@code needle} in {@code hay}, or -1. */
    static int indexOf(byte[] hay, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= hay.length; i++) {
            for (int j = 0; j < needle.length; j++) if (hay[i + j] != needle[j]) continue outer;
            return i;
        }
        return -1;
    }
}
