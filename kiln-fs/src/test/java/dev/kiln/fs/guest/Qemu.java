package dev.kiln.fs.guest;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.stream.Stream;

/**
 * Runs the Debian kernel under QEMU for boot tests: finds {@code qemu-system-x86_64} and
 * {@code /boot/vmlinuz-*}, decides once per JVM whether KVM really works, and boots a guest
 * with a hard timeout, returning what it printed on the serial console.
 *
 * <p>Missing tools fail the test with the Debian package to install rather than skipping it:
 * a boot test that silently does not run proves nothing.
 */
public final class Qemu {
    /** How the guest CPU runs. */
    public enum Accel { KVM, TCG }

    /**
     * A raw image attached read-only as a virtio-blk disk.
     *
     * @param image  the image file
     * @param serial the disk's serial number (at most 20 bytes), which the guest reads from
     *               {@code /sys/block/vdX/serial}: tests find their disks by it rather than
     *               trusting the vda, vdb, … naming order
     */
    public record Disk(Path image, String serial) {
        public Disk {
            if (serial.isEmpty() || serial.length() > 20 || !serial.matches("[A-Za-z0-9._-]+")) {
                throw new IllegalArgumentException("disk serial \"" + serial + "\": 1-20 characters of [A-Za-z0-9._-]");
            }
            if (image.toString().contains(",")) {
                throw new IllegalArgumentException(image + ": QEMU -drive options cannot carry a path with a comma");
            }
        }
    }

    /**
     * One boot.
     *
     * @param initrd    the initramfs image handed to the kernel
     * @param disks     disks in PCI slot order (the guest usually names them vda, vdb, …)
     * @param memoryMiB guest RAM
     * @param timeout   wall-clock limit for the whole run, boot to power-off
     */
    public record Boot(Path initrd, List<Disk> disks, int memoryMiB, Duration timeout) {
        public Boot {
            disks = List.copyOf(disks);
        }

        public static Boot of(Path initrd) {
            return new Boot(initrd, List.of(), 256, Duration.ofSeconds(90));
        }

        public Boot withDisks(List<Disk> d) { return new Boot(initrd, d, memoryMiB, timeout); }
        public Boot withMemory(int mib) { return new Boot(initrd, disks, mib, timeout); }
        public Boot withTimeout(Duration t) { return new Boot(initrd, disks, memoryMiB, t); }
    }

    /** What a finished run left behind: the serial console (CR stripped), QEMU's exit code and stderr. */
    public record Result(String console, int exitCode, String stderr, Accel accel, Duration elapsed) {}

    private static final String KERNEL_PACKAGE = "linux-image-amd64";
    private static final String QEMU_PACKAGE = "qemu-system-x86";

    private final Path qemu;
    private final Path kernel;
    private final String kernelVersion;
    private final Path bootImage;

    private Qemu(Path qemu, Path kernel, String kernelVersion) throws IOException {
        this.qemu = qemu;
        this.kernel = kernel;
        this.kernelVersion = kernelVersion;
        this.bootImage = VmlinuxCache.bootImage(kernel, kernelVersion);
    }

    /** Locates QEMU and the newest Debian kernel that has its modules installed. */
    public static Qemu find() throws IOException {
        Path q = binary();
        List<Path> kernels = new ArrayList<>();
        try (Stream<Path> s = Files.list(Path.of("/boot"))) {
            s.filter(p -> p.getFileName().toString().startsWith("vmlinuz-")).forEach(kernels::add);
        } catch (IOException e) {
            // no /boot at all: reported below like an empty one
        }
        // A kernel without its module tree cannot load virtio or EROFS, so it is useless here.
        kernels.removeIf(k -> !Files.isDirectory(Path.of("/lib/modules", versionOf(k), "kernel")));
        // Only readable kernels: Ubuntu-style 0600 images would fail later with a confusing QEMU error.
        kernels.removeIf(k -> !Files.isReadable(k));
        kernels.sort(Comparator.comparing(k -> versionOf(k), Qemu::compareVersions));
        if (kernels.isEmpty()) {
            throw new AssertionError("no readable /boot/vmlinuz-* with modules in /lib/modules/<version>/kernel: "
                    + "install the Debian package " + KERNEL_PACKAGE + " (apt-get install " + KERNEL_PACKAGE + ")");
        }
        Path k = kernels.getLast();
        return new Qemu(q, k, versionOf(k));
    }

    /** qemu-system-x86_64, or a failure naming the package to install. */
    static Path binary() {
        return Stream.of("/usr/bin/qemu-system-x86_64", "/usr/local/bin/qemu-system-x86_64")
                .map(Path::of).filter(Files::isExecutable).findFirst()
                .orElseThrow(() -> new AssertionError("qemu-system-x86_64 not found: install the Debian package "
                        + QEMU_PACKAGE + " (apt-get install " + QEMU_PACKAGE + ")"));
    }

    /** Orders kernel releases by their numbers, so 6.1.0-10 comes after 6.1.0-9. */
    static int compareVersions(String a, String b) {
        String[] x = a.split("(?<=\\d)(?=\\D)|(?<=\\D)(?=\\d)"), y = b.split("(?<=\\d)(?=\\D)|(?<=\\D)(?=\\d)");
        for (int i = 0; i < Math.min(x.length, y.length); i++) {
            boolean nx = Character.isDigit(x[i].charAt(0)), ny = Character.isDigit(y[i].charAt(0));
            int c = nx && ny ? new java.math.BigInteger(x[i]).compareTo(new java.math.BigInteger(y[i])) : x[i].compareTo(y[i]);
            if (c != 0) return c;
        }
        return Integer.compare(x.length, y.length);
    }

    private static String versionOf(Path kernel) {
        return kernel.getFileName().toString().substring("vmlinuz-".length());
    }

    /** The distribution's kernel image (/boot/vmlinuz-…). */
    public Path kernel() { return kernel; }

    /**
     * What QEMU's {@code -kernel} gets: the same kernel uncompressed (entered through its PVH
     * ELF note) when that could be extracted, else the bzImage itself.
     */
    public Path bootImage() { return bootImage; }

    /** The kernel release, e.g. {@code 6.1.0-56-amd64}; names the module tree. */
    public String kernelVersion() { return kernelVersion; }

    public Path modulesDir() { return Path.of("/lib/modules", kernelVersion); }

    /** The accelerator boots will use, probed on first use (see {@link AccelProbe}). */
    public Accel accel() {
        return AccelProbe.result(this);
    }

    /**
     * Boots {@code boot.initrd()} with the Debian kernel and returns once QEMU exits (the guest
     * ran {@code poweroff -f}, or panicked: {@code panic=-1} with {@code -no-reboot} turns a
     * panic into an exit). On timeout the QEMU process tree is killed and the test fails with
     * everything the console printed so far.
     */
    public Result boot(Boot boot) throws IOException {
        Accel accel = accel();
        Result r = run(accel, boot.initrd(), boot.disks(), boot.memoryMiB(), "console=ttyS0 quiet panic=-1",
                boot.timeout(), null);
        if (r == null) throw new IllegalStateException("unreachable: run without a stop condition returned null");
        return r;
    }

    /**
     * Runs QEMU. Without {@code stopWhen}, returns when QEMU exits and fails the test on timeout.
     * With it (the KVM probe), QEMU is killed as soon as the console matches, and null is
     * returned both then and on timeout: the caller's predicate remembers which happened.
     */
    Result run(Accel accel, Path initrd, List<Disk> disks, int memoryMiB, String append, Duration timeout,
               Predicate<String> stopWhen) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(qemu.toString(),
                "-nographic", "-serial", "stdio", "-monitor", "none",
                // No NIC: the default one only costs an iPXE option ROM load.
                "-nic", "none",
                "-no-reboot", "-m", Integer.toString(memoryMiB),
                "-kernel", bootImage.toString(),
                "-append", append));
        cmd.addAll(accel == Accel.KVM ? List.of("-enable-kvm", "-cpu", "host") : List.of("-accel", "tcg"));
        if (initrd != null) cmd.addAll(List.of("-initrd", initrd.toString()));
        for (int i = 0; i < disks.size(); i++) {
            Disk d = disks.get(i);
            // QEMU 7.2 rejects serial= on the -drive if=virtio shorthand, so the device is spelled out.
            cmd.addAll(List.of("-drive", "file=" + d.image() + ",if=none,id=disk" + i + ",format=raw,readonly=on",
                    "-device", "virtio-blk-pci,drive=disk" + i + ",serial=" + d.serial()));
        }
        Path err = Files.createTempFile("kiln-qemu-", ".stderr");
        long start = System.nanoTime();
        Process p = new ProcessBuilder(cmd)
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                .redirectError(err.toFile())
                .start();
        ByteArrayOutputStream console = new ByteArrayOutputStream();
        Thread reader = Thread.ofPlatform().daemon().name("qemu-console").start(() -> pump(p.getInputStream(), console));
        try {
            long deadline = start + timeout.toNanos();
            boolean exited = false;
            while (true) {
                if (p.waitFor(100, TimeUnit.MILLISECONDS)) { exited = true; break; }
                if (stopWhen != null && stopWhen.test(text(console))) break;
                if (System.nanoTime() > deadline) break;
            }
            if (!exited) {
                kill(p);
                reader.join(2000);
                String out = text(console);
                if (stopWhen != null) return null;
                throw new AssertionError("QEMU (" + accel + ") did not finish within " + timeout.toSeconds()
                        + " s; killed it. Command: " + String.join(" ", cmd) + "\nstderr: "
                        + Files.readString(err) + "\nconsole so far:\n" + out);
            }
            reader.join(5000);
            Duration elapsed = Duration.ofNanos(System.nanoTime() - start);
            String out = text(console);
            if (stopWhen != null && stopWhen.test(out)) return null;
            return new Result(out, p.exitValue(), Files.readString(err), accel, elapsed);
        } catch (InterruptedException e) {
            kill(p);
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while QEMU ran", e);
        } finally {
            Files.deleteIfExists(err);
        }
    }

    static void pump(InputStream in, ByteArrayOutputStream out) {
        byte[] buf = new byte[8192];
        try (in) {
            int n;
            while ((n = in.read(buf)) > 0) {
                synchronized (out) {
                    out.write(buf, 0, n);
                }
            }
        } catch (IOException e) {
            // the process was killed; what we have is what the guest printed
        }
    }

    /** The console as text: the serial line discipline turns \n into \r\n, which we undo. */
    static String text(ByteArrayOutputStream out) {
        synchronized (out) {
            return out.toString(StandardCharsets.UTF_8).replace("\r", "");
        }
    }

    static void kill(Process p) throws IOException {
        // QEMU starts no helpers today, but a wrapper script or a future -runas would; take them all.
        p.descendants().forEach(ProcessHandle::destroyForcibly);
        p.destroyForcibly();
        try {
            if (!p.waitFor(10, TimeUnit.SECONDS)) throw new IOException("QEMU pid " + p.pid() + " survived SIGKILL");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Decides KVM or TCG once per JVM. {@code /dev/kvm} existing is not enough: on these nested
     * hosts KVM opens fine, SeaBIOS runs, and then the kernel hangs (the bzImage's real-mode stub
     * gets as far as "Probing EDD"; the PVH entry prints nothing). So the probe boots the real
     * kernel without an initrd and waits a few seconds for it to reach the "no root filesystem"
     * panic, which proves the whole boot path executes.
     * {@code -Dkiln.qemu.accel=tcg|kvm} skips the probe.
     */
    static final class AccelProbe {
        private static final Duration TIMEOUT = Duration.ofSeconds(4);
        private static volatile Accel result;
        private static volatile String report = "not probed";

        static synchronized Accel result(Qemu q) {
            if (result != null) return result;
            String forced = System.getProperty("kiln.qemu.accel", "");
            if (!forced.isEmpty()) {
                result = Accel.valueOf(forced.toUpperCase(java.util.Locale.ROOT));
                report = "forced by -Dkiln.qemu.accel=" + forced;
                return result;
            }
            result = probe(q);
            return result;
        }

        static String report() { return report; }

        private static Accel probe(Qemu q) {
            Path dev = Path.of("/dev/kvm");
            if (!Files.exists(dev)) {
                report = "TCG: /dev/kvm does not exist";
                return Accel.TCG;
            }
            if (!Files.isReadable(dev) || !Files.isWritable(dev)) {
                report = "TCG: /dev/kvm is not read-writable by this user";
                return Accel.TCG;
            }
            long start = System.nanoTime();
            try {
                boolean[] reached = {false};
                Result r = q.run(Accel.KVM, null, List.of(), 128, "console=ttyS0 panic=-1", TIMEOUT, out -> {
                    if (out.contains("Kernel panic") || out.contains("VFS: Unable to mount root")) reached[0] = true;
                    return reached[0];
                });
                long ms = (System.nanoTime() - start) / 1_000_000;
                if (reached[0]) {
                    report = "KVM: kernel reached its root-mount panic in " + ms + " ms";
                    return Accel.KVM;
                }
                report = "TCG: a KVM boot printed no kernel panic within " + TIMEOUT.toSeconds() + " s"
                        + (r != null ? " (QEMU exited " + r.exitCode() + ": " + r.stderr().strip() + ")" : "");
                return Accel.TCG;
            } catch (IOException | RuntimeException e) {
                report = "TCG: KVM probe failed: " + e;
                return Accel.TCG;
            }
        }
    }

    /** Why the probe chose what it chose, for test logs. */
    public static String accelReport() {
        return AccelProbe.report();
    }
}
