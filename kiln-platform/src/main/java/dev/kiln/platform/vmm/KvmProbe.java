package dev.kiln.platform.vmm;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Decides between KVM and TCG by booting a guest. {@code /dev/kvm} being usable proves little:
 * on nested hosts KVM opens, and then the guest hangs (SeaBIOS never finishes) or QEMU aborts
 * setting an MSR for {@code -cpu host}. So a 180-byte multiboot guest (kvm-probe.S) is booted
 * the way guests will be, goes through paging, long mode and SSE set-up, and exits through
 * isa-debug-exit; KVM is used only if that run ends with the expected status within the
 * timeout. A hang costs the timeout once: the answer is a property of the host, so it is kept
 * for the life of the process, per QEMU binary.
 */
final class KvmProbe {
    private KvmProbe() {}

    /** QEMU's status when the probe guest ran to its end: (0x15 &lt;&lt; 1) | 1. */
    static final int EXPECTED_STATUS = 43;

    private static final Map<Path, Accel.Choice> CHOSEN = new ConcurrentHashMap<>();

    static Accel.Choice choose(Path qemu, Duration timeout) {
        return CHOSEN.computeIfAbsent(qemu, q -> probe(q, timeout));
    }

    private static Accel.Choice probe(Path qemu, Duration timeout) {
        Path dev = Path.of("/dev/kvm");
        if (!Files.exists(dev)) return new Accel.Choice(Accel.TCG, "TCG: /dev/kvm does not exist");
        if (!Files.isReadable(dev) || !Files.isWritable(dev)) {
            return new Accel.Choice(Accel.TCG, "TCG: /dev/kvm is not read-writable by this user");
        }
        try {
            Run r = run(qemu, Accel.KVM, timeout);
            if (r.status() == EXPECTED_STATUS) {
                return new Accel.Choice(Accel.KVM, "KVM: the probe guest ran under KVM in " + r.millis() + " ms");
            }
            if (r.status() < 0) {
                return new Accel.Choice(Accel.TCG, "TCG: the probe guest hung under KVM for " + timeout.toMillis()
                        + " ms (nested virtualisation?)");
            }
            return new Accel.Choice(Accel.TCG, "TCG: under KVM, QEMU exited with status " + r.status()
                    + (r.message().isEmpty() ? "" : ": " + r.message()));
        } catch (IOException e) {
            return new Accel.Choice(Accel.TCG, "TCG: the KVM probe could not run: " + e.getMessage());
        }
    }

    /** How a probe run ended: QEMU's status, or -1 if it was killed at the timeout. */
    record Run(int status, long millis, String message) {}

    /** Boots the probe guest with {@code accel}; package-private so tests can check it under TCG. */
    static Run run(Path qemu, Accel accel, Duration timeout) throws IOException {
        Path dir = Files.createTempDirectory("kiln-kvm-probe-");
        try {
            Path kernel = dir.resolve("kvm-probe.bin");
            try (InputStream in = KvmProbe.class.getResourceAsStream("kvm-probe.bin")) {
                if (in == null) throw new IOException("kvm-probe.bin is missing from the classpath");
                Files.write(kernel, in.readAllBytes());
            }
            Path out = dir.resolve("qemu.log");
            List<String> cmd = new ArrayList<>(List.of(qemu.toString(), "-nodefaults", "-display", "none",
                    "-no-reboot", "-m", "16", "-kernel", kernel.toString(),
                    "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04"));
            cmd.addAll(QemuArgs.accel(accel));
            long start = System.nanoTime();
            Process p = new ProcessBuilder(cmd)
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                    .redirectErrorStream(true)
                    .redirectOutput(out.toFile())
                    .start();
            try {
                boolean done = p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
                long ms = (System.nanoTime() - start) / 1_000_000;
                if (!done) {
                    p.destroyForcibly();
                    p.waitFor(10, TimeUnit.SECONDS);
                    return new Run(-1, ms, "");
                }
                String message = Files.readAllLines(out, StandardCharsets.UTF_8).stream()
                        .filter(l -> !l.isBlank()).reduce((a, b) -> b).orElse("").strip();
                return new Run(p.exitValue(), ms, message);
            } catch (InterruptedException e) {
                p.destroyForcibly();
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while probing KVM", e);
            }
        } finally {
            dev.kiln.oci.Directories.deleteTree(dir);
        }
    }
}
