package dev.kiln.platform.guest;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.math.BigInteger;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.stream.Stream;
import org.tukaani.xz.SingleXZInputStream;

/**
 * A distribution kernel installed on this host: its bzImage and release, whose modules live in
 * {@code /lib/modules/<version>}.
 *
 * @param bzImage    the image the distribution boots ({@code /boot/vmlinuz-<version>})
 * @param version    the kernel release, e.g. {@code 6.1.0-57-amd64}
 * @param modulesDir its modules, {@code /lib/modules/<version>}, with {@code modules.dep}
 */
public record HostKernel(Path bzImage, String version, Path modulesDir) {
    static final String PACKAGE = "linux-image-amd64";
    private static final Path BOOT = Path.of("/boot");
    private static final Path MODULES = Path.of("/lib/modules");
    private static final byte[] XZ_MAGIC = {(byte) 0xfd, '7', 'z', 'X', 'Z', 0};

    public HostKernel {
        Objects.requireNonNull(bzImage, "bzImage");
        Objects.requireNonNull(version, "version");
        Objects.requireNonNull(modulesDir, "modulesDir");
    }

    /**
     * The newest readable {@code /boot/vmlinuz-*} whose module tree is installed: the guest loads
     * virtio, EROFS and 9p as modules, so a kernel without them is of no use.
     *
     * @throws GuestKitException when there is none
     */
    public static HostKernel find() {
        return find(BOOT, MODULES);
    }

    static HostKernel find(Path boot, Path modules) {
        List<HostKernel> found = new ArrayList<>();
        try (Stream<Path> s = Files.list(boot)) {
            s.filter(p -> p.getFileName().toString().matches("vmlinuz-.+"))
                    .map(p -> {
                        String version = p.getFileName().toString().substring("vmlinuz-".length());
                        return new HostKernel(p, version, modules.resolve(version));
                    })
                    .filter(k -> Files.isReadable(k.bzImage()))
                    .filter(k -> Files.isDirectory(k.modulesDir().resolve("kernel")))
                    .forEach(found::add);
        } catch (IOException e) {
            // no readable /boot: reported as no kernel
        }
        return found.stream().max(Comparator.comparing(HostKernel::version, HostKernel::compareVersions))
                .orElseThrow(() -> new GuestKitException("no readable " + boot + "/vmlinuz-* with its modules in "
                        + modules + "/<version>/kernel", PACKAGE));
    }

    /**
     * What QEMU's {@code -kernel} should get: the uncompressed vmlinux, extracted once into
     * {@code cacheDir} and entered through its PVH note, or the bzImage when that cannot be had.
     *
     * <p>Why: Debian's bzImage is an XZ-compressed vmlinux behind a decompressor stub. Under TCG
     * that stub runs as emulated code and took most of a boot (8 of about 14 s on these
     * machines), against about a second here on the host. It is the same kernel; only the stub is
     * skipped. QEMU boots an ELF kernel only through a PVH note, so the extraction is tried only
     * when the kernel's config says {@code CONFIG_PVH=y}.
     */
    public Path bootImage(Path cacheDir) throws IOException {
        if (!pvh()) return bzImage;
        Path cached = cacheDir.resolve("vmlinux-" + version + "-" + Files.size(bzImage) + "-"
                + Files.getLastModifiedTime(bzImage).toMillis());
        if (Files.isRegularFile(cached) && isElf(cached)) return cached;
        byte[] image = Files.readAllBytes(bzImage);
        int at = indexOf(image, XZ_MAGIC);
        if (at < 0) return bzImage; // another compression: the bzImage boots, only slower
        Files.createDirectories(cacheDir);
        // Another kit may extract the same kernel at the same time: each writes its own file
        // and moves it into place whole, so nobody boots a half-written one.
        Path tmp = Files.createTempFile(cacheDir, cached.getFileName().toString(), ".part");
        try {
            // One XZ stream: what follows it in the bzImage (padding, the size word) is not the kernel.
            try (InputStream in = new SingleXZInputStream(new ByteArrayInputStream(image, at, image.length - at));
                 OutputStream out = Files.newOutputStream(tmp)) {
                in.transferTo(out);
            }
            if (!isElf(tmp)) return bzImage;
            // createTempFile made it private; QEMU may run as another user than the one extracting
            try {
                Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-r--r--"));
            } catch (UnsupportedOperationException e) {
                // not a POSIX file system: it keeps what the platform gives new files
            }
            try {
                Files.move(tmp, cached, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, cached, StandardCopyOption.REPLACE_EXISTING);
            }
            return cached;
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    private boolean pvh() throws IOException {
        Path config = bzImage.resolveSibling("config-" + version);
        return Files.isRegularFile(config) && Files.readAllLines(config).contains("CONFIG_PVH=y");
    }

    private static boolean isElf(Path p) throws IOException {
        try (InputStream in = Files.newInputStream(p)) {
            byte[] h = in.readNBytes(4);
            return h.length == 4 && h[0] == 0x7f && h[1] == 'E' && h[2] == 'L' && h[3] == 'F';
        }
    }

    private static int indexOf(byte[] hay, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= hay.length; i++) {
            for (int j = 0; j < needle.length; j++) if (hay[i + j] != needle[j]) continue outer;
            return i;
        }
        return -1;
    }

    /** Kernel releases by their numbers, so 6.1.0-10 comes after 6.1.0-9 and 6.12 after 6.9. */
    static int compareVersions(String a, String b) {
        String[] x = a.split("(?<=\\d)(?=\\D)|(?<=\\D)(?=\\d)"), y = b.split("(?<=\\d)(?=\\D)|(?<=\\D)(?=\\d)");
        for (int i = 0; i < Math.min(x.length, y.length); i++) {
            boolean nx = Character.isDigit(x[i].charAt(0)), ny = Character.isDigit(y[i].charAt(0));
            int c = nx && ny ? new BigInteger(x[i]).compareTo(new BigInteger(y[i])) : x[i].compareTo(y[i]);
            if (c != 0) return c;
        }
        return Integer.compare(x.length, y.length);
    }
}
