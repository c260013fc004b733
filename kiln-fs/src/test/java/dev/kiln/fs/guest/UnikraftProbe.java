package dev.kiln.fs.guest;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Boots the unikraft-probe guest (Unikraft 0.17: vfscore, ramfs, ukcpio) under QEMU TCG with an
 * initrd and probe commands, and returns its serial console. The guest extracts the initrd
 * into a ramfs at "/", runs the commands and powers off; a failed extraction stops it before
 * {@code PROBE-START} (see the probe's README).
 *
 * <p>The kernel is found through {@code -Dkiln.unikraft.probe=PATH}, else as
 * {@code shared/guests/unikraft-probe/kernel-qemu-x86_64} in the working directory or one of
 * its parents. Missing pieces fail the test with what to install, as {@link Qemu} does.
 */
public final class UnikraftProbe {
    private static final String KERNEL = "shared/guests/unikraft-probe/kernel-qemu-x86_64";
    private static final String KEPT = "test-guests/unikraft-probe/kernel-qemu-x86_64";

    /** What a run printed on the serial console (CR stripped) and QEMU's exit code. */
    public record Result(String console, int exitCode, Duration elapsed) {
        /** The probe ran every command and none of them failed. */
        public boolean done() {
            return console.contains("\nPROBE-DONE errors=0\n");
        }
    }

    private final Path qemu;
    private final Path kernel;

    private UnikraftProbe(Path qemu, Path kernel) {
        this.qemu = qemu;
        this.kernel = kernel;
    }

    public static UnikraftProbe find() {
        return new UnikraftProbe(Qemu.binary(), kernel());
    }

    /**
     * The probe kernel: {@code -Dkiln.unikraft.probe=PATH}, else the copy the repository keeps
     * ({@code test-guests/unikraft-probe/}) or the workplace's ({@code shared/guests/unikraft-probe/})
     * in the working directory or one of its parents. Every test that boots the probe finds it here.
     */
    public static Path kernel() {
        String given = System.getProperty("kiln.unikraft.probe", "");
        Path k = null;
        if (!given.isEmpty()) {
            k = Path.of(given);
        } else {
            for (Path d = Path.of("").toAbsolutePath(); d != null && k == null; d = d.getParent()) {
                for (String c : new String[] {KEPT, KERNEL}) if (k == null && Files.isRegularFile(d.resolve(c))) k = d.resolve(c);
            }
        }
        if (k == null || !Files.isReadable(k)) {
            throw new AssertionError("the Unikraft 0.17 probe kernel was not found (" + (given.isEmpty()
                    ? "no " + KEPT + " or " + KERNEL + " in the working directory or its parents" : given + " is not readable")
                    + "): build it with shared/guests/unikraft-probe/build.sh from Unikraft RELEASE-0.17.0 sources"
                    + " (needs gcc, make, flex, bison) and pass -Dkiln.unikraft.probe=PATH");
        }
        return k;
    }

    /**
     * Boots with {@code memoryMiB} of RAM, {@code initrd} extracted to "/", and the probe
     * {@code commands} (e.g. "walk=/"). Fails the test when QEMU does not finish in time.
     */
    public Result boot(Path initrd, int memoryMiB, String... commands) throws IOException {
        List<String> cmd = List.of(qemu.toString(), "-accel", "tcg", "-cpu", "max", "-nographic", "-nodefaults",
                "-serial", "stdio", "-display", "none", "-no-reboot", "-m", Integer.toString(memoryMiB),
                "-kernel", kernel.toString(), "-initrd", initrd.toString(),
                "-append", "vfs.fstab=[ \"initrd0:/:extract::ramfs=1:\" ] -- " + String.join(" ", commands));
        Duration timeout = Duration.ofSeconds(60);
        long start = System.nanoTime();
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
        ByteArrayOutputStream console = new ByteArrayOutputStream();
        Thread reader = Thread.ofPlatform().daemon().name("unikraft-console").start(() -> Qemu.pump(p.getInputStream(), console));
        try {
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                Qemu.kill(p);
                reader.join(2000);
                throw new AssertionError("the Unikraft probe did not finish within " + timeout.toSeconds() + " s; killed it. Command: "
                        + String.join(" ", cmd) + "\nconsole so far:\n" + Qemu.text(console));
            }
            reader.join(5000);
        } catch (InterruptedException e) {
            Qemu.kill(p);
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while QEMU ran", e);
        }
        return new Result(Qemu.text(console), p.exitValue(), Duration.ofNanos(System.nanoTime() - start));
    }
}
