package dev.kiln.platform.vmm;

import static org.assertj.core.api.Assertions.fail;

import dev.kiln.fs.ImageFormat;
import dev.kiln.fs.build.ImageBuild;
import dev.kiln.fs.build.Source;
import dev.kiln.fs.target.Target;
import dev.kiln.platform.guest.UnikraftGuest;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Predicate;

/**
 * What the VMM tests boot: the real Unikraft 0.17 probe kernel (see its README in
 * test-guests/unikraft-probe) with a small initrd built by kiln, under one shared
 * QemuVmm. Missing tools fail the tests with what to install; a boot test that skips proves
 * nothing.
 */
public final class TestGuests {
    private TestGuests() {}

    public static final Path PROBE_KERNEL = System.getProperty("kiln.probe.kernel") != null
            ? Path.of(System.getProperty("kiln.probe.kernel")) : dev.kiln.fs.guest.UnikraftProbe.kernel();

    private static QemuVmm shared;

    static {
        // Guests outlive the VMM by design, so a test that fails half way would leave its QEMU
        // running after the JVM. At exit, end every QEMU this JVM started (its supervisors are
        // our children), and nothing else.
        Runtime.getRuntime().addShutdownHook(new Thread(() -> ProcessHandle.current().children().forEach(c -> {
            c.children().forEach(ProcessHandle::destroyForcibly);
            c.destroyForcibly();
        }), "kiln-test-guest-reaper"));
    }

    /** One VMM for the tests that do not close theirs; the KVM probe runs once per JVM anyway. */
    public static synchronized QemuVmm vmm() {
        if (shared == null) shared = QemuVmm.create(options());
        return shared;
    }

    /** Default options with the QEMU on the PATH; fails saying what to install when there is none. */
    public static QemuVmm.Options options() {
        return QemuVmm.Options.defaults(QemuVmm.locateQemu()).withQuitTimeout(Duration.ofSeconds(5));
    }

    public static Path probeKernel() {
        if (!Files.isRegularFile(PROBE_KERNEL)) {
            fail("the Unikraft probe kernel is missing at " + PROBE_KERNEL + ": build it with build.sh in"
                    + " test-guests/unikraft-probe, or point -Dkiln.probe.kernel at one");
        }
        return PROBE_KERNEL;
    }

    /** A newc initrd for the probe, built with kiln: /etc/app/config.json as in the probe's README. */
    public static Path probeInitrd(Path dir) throws IOException {
        Path out = dir.resolve("probe-initrd.cpio");
        if (Files.exists(out)) return out;
        ImageBuild.builder()
                .source(Source.memory().file("etc/app/config.json",
                        "{\"name\":\"probe\",\"port\":8080}\n".getBytes(StandardCharsets.UTF_8)).build())
                .format(ImageFormat.CPIO).target(Target.UNIKRAFT).build().writeTo(out);
        return out;
    }

    /** A probe boot running {@code args} as its commands, with {@code env}. */
    public static LaunchSpec probe(Path work, List<String> args, Map<String, String> env) throws IOException {
        String id = UUID.randomUUID().toString();
        String cmdline = new UnikraftGuest(true).commandLine(args, env, List.of());
        return LaunchSpec.of(id, work.resolve(id.substring(0, 8)), probeKernel(), cmdline)
                .withInitrd(probeInitrd(work)).withMemory(64);
    }

    /** The whole console as text, CRs removed. */
    public static String console(VmHandle vm) throws IOException {
        return console(vm.console());
    }

    public static String console(ConsoleLog log) throws IOException {
        ConsoleLog.Range r = log.available();
        return new String(log.read(r.start(), (int) r.length()).data(), StandardCharsets.UTF_8).replace("\r", "");
    }

    /** Waits until the console satisfies {@code until}; fails with what it holds on timeout. */
    public static String awaitConsole(VmHandle vm, Predicate<String> until, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            String c = console(vm);
            if (until.test(c)) return c;
            if (System.nanoTime() > deadline) {
                fail(vm + ": the console did not show what was awaited within " + timeout.toSeconds() + " s:\n" + c);
            }
            Thread.sleep(20);
        }
    }

    /** The probe's {@code ARG i value} lines, unescaped. */
    public static List<String> probeArgs(String console) {
        List<String> out = new ArrayList<>();
        for (String line : console.split("\n")) {
            if (!line.startsWith("ARG ")) continue;
            String rest = line.substring(4);
            int sp = rest.indexOf(' ');
            if (Integer.parseInt(rest.substring(0, sp)) != out.size()) fail("ARG lines out of order: " + line);
            out.add(unescape(rest.substring(sp + 1)));
        }
        return out;
    }

    /** The probe's {@code ENV K=V} lines, unescaped. */
    public static List<String> probeEnv(String console) {
        List<String> out = new ArrayList<>();
        for (String line : console.split("\n")) {
            if (line.startsWith("ENV ")) out.add(unescape(line.substring(4)));
        }
        return out;
    }

    /** The probe prints bytes &lt;= 0x20, &gt;= 0x7f and '\' as \xHH; the rest is the bytes themselves. */
    static String unescape(String s) {
        byte[] raw = s.getBytes(StandardCharsets.UTF_8);
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        for (int i = 0; i < raw.length; i++) {
            if (raw[i] == '\\' && i + 3 < raw.length && raw[i + 1] == 'x') {
                b.write(Integer.parseInt(new String(raw, i + 2, 2, StandardCharsets.US_ASCII), 16));
                i += 3;
            } else {
                b.write(raw[i]);
            }
        }
        return b.toString(StandardCharsets.UTF_8);
    }
}
