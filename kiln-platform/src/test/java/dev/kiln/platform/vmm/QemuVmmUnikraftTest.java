package dev.kiln.platform.vmm;

import static dev.kiln.platform.vmm.TestGuests.awaitConsole;
import static dev.kiln.platform.vmm.TestGuests.console;
import static dev.kiln.platform.vmm.TestGuests.options;
import static dev.kiln.platform.vmm.TestGuests.probe;
import static dev.kiln.platform.vmm.TestGuests.vmm;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kiln.platform.guest.Mount;
import dev.kiln.platform.guest.UnikraftGuest;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The QEMU driver with the real Unikraft 0.17 probe guest (about 0.3 s a boot under TCG). */
class QemuVmmUnikraftTest {
    @TempDir
    Path work;

    @Test
    void bootsTheProbeAndKeepsItsConsoleWithoutTheFirmwaresNoise() throws Exception {
        VmHandle vm = vmm().start(probe(work, List.of("cat=/etc/app/config.json"), Map.of()));
        VmExit e = vm.exit().get(60, TimeUnit.SECONDS);
        String c = console(vm);
        assertThat(c).contains("PROBE-START\n")
                .contains("CAT /etc/app/config.json size=29 fnv1a64=9edbb1a235a64899")
                .contains("PROBE-DONE errors=0\n")
                .doesNotContain("SeaBIOS").doesNotContain("Booting from ROM");
        assertThat(e.cause()).as(e.detail()).isEqualTo(VmExit.Cause.GUEST_SHUTDOWN);
        assertThat(e.qemuStatus()).hasValue(0);
        assertThat(Files.readString(vm.runDir().resolve("exit-status"))).isEqualTo("0\n");
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 3, 127})
    void theGuestsExitCodeComesThroughIsaDebugExit(int code) throws Exception {
        VmHandle vm = vmm().start(probe(work, List.of("exit=" + code), Map.of()));
        VmExit e = vm.exit().get(60, TimeUnit.SECONDS);
        assertThat(console(vm)).contains("EXIT " + code + "\n");
        assertThat(e.cause()).as(e.detail()).isEqualTo(VmExit.Cause.GUEST_EXIT);
        assertThat(e.exitCode()).hasValue(code);
        assertThat(e.qemuStatus()).hasValue((code << 1) | 1);
        assertThat(e.whileDetached()).isFalse();
    }

    @Test
    void aLongRunningGuestStopsCleanlyWhenQemuQuits() throws Exception {
        VmHandle vm = vmm().start(probe(work, List.of("sleep=-1"), Map.of()));
        awaitConsole(vm, c -> c.contains("PROBE-START"), Duration.ofSeconds(30));
        // Unikraft 0.17 does not act on the ACPI power button, so this goes on to quit.
        VmExit e = vm.stop(Duration.ofMillis(500)).get(30, TimeUnit.SECONDS);
        assertThat(e.cause()).as(e.detail()).isEqualTo(VmExit.Cause.STOPPED);
        assertThat(e.detail()).isEqualTo("QEMU quit when told to");
        assertThat(ProcessHandle.of(vm.pid()).map(ProcessHandle::isAlive).orElse(false)).isFalse();
        assertThat(Files.readAllLines(vm.runDir().resolve("stop-request"))).containsExactly("POWERDOWN", "QUIT");
    }

    @Test
    void aGuestWhoseQemuDoesNotQuitIsKilledAfterTheTimeout() throws Exception {
        try (QemuVmm quick = QemuVmm.create(options().withQuitTimeout(Duration.ofMillis(500)))) {
            VmHandle vm = quick.start(probe(work, List.of("sleep=-1"), Map.of()));
            awaitConsole(vm, c -> c.contains("PROBE-START"), Duration.ofSeconds(30));
            // A stopped QEMU can neither press the guest's power button nor obey quit.
            new ProcessBuilder("kill", "-STOP", Long.toString(vm.pid())).start().waitFor();
            long t0 = System.nanoTime();
            VmExit e = vm.stop(Duration.ofMillis(300)).get(30, TimeUnit.SECONDS);
            assertThat(e.cause()).as(e.detail()).isEqualTo(VmExit.Cause.KILLED);
            assertThat(e.qemuStatus()).hasValue(137);
            assertThat(Duration.ofNanos(System.nanoTime() - t0)).isGreaterThanOrEqualTo(Duration.ofMillis(800));
            assertThat(Files.readAllLines(vm.runDir().resolve("stop-request"))).containsExactly("POWERDOWN", "QUIT", "KILL");
        }
    }

    @Test
    void killEndsAGuestAtOnce() throws Exception {
        VmHandle vm = vmm().start(probe(work, List.of("sleep=-1"), Map.of()));
        VmExit e = vm.kill().get(30, TimeUnit.SECONDS);
        assertThat(e.cause()).as(e.detail()).isEqualTo(VmExit.Cause.KILLED);
        assertThat(vm.stop(Duration.ZERO)).isSameAs(vm.exit());
    }

    @Test
    void theConsoleKeepsItsLastBytesUpToTheCap() throws Exception {
        List<String> args = new ArrayList<>(List.of("args"));
        for (int i = 0; i < 100; i++) args.add("word-" + i + "-" + "x".repeat(40));
        try (QemuVmm small = QemuVmm.create(options().withConsoleCapacity(2048))) {
            VmHandle vm = small.start(probe(work, args, Map.of()));
            vm.exit().get(60, TimeUnit.SECONDS);
            ConsoleLog.Range r = vm.console().available();
            assertThat(r.length()).isEqualTo(2048);
            assertThat(r.start()).isGreaterThan(4000);
            String kept = console(vm);
            assertThat(kept).doesNotContain("PROBE-START").contains("word-99-").endsWith("PROBE-DONE errors=100\n");
            assertThat(Files.size(vm.console().file())).isEqualTo(2048 + ConsoleLog.HEADER);
            ConsoleLog.Chunk old = vm.console().read(0, 100);
            assertThat(old.range().start()).isEqualTo(r.start());
        }
    }

    @Test
    void sharesAreMountedThroughTheGuestsFstabReadWriteAndReadOnly() throws Exception {
        Path rw = Files.createDirectory(work.resolve("rw")), ro = Files.createDirectory(work.resolve("ro"));
        Files.writeString(ro.resolve("seed.txt"), "ro-data\n");
        String cmdline = new UnikraftGuest(true).commandLine(
                List.of("write=/data/hello.txt=hi", "cat=/ro/seed.txt", "write=/ro/x=1"), Map.of(),
                List.of(new Mount("vol0", "/data", false), new Mount("vol1", "/ro", true)));
        LaunchSpec base = probe(work, List.of(), Map.of());
        LaunchSpec spec = LaunchSpec.of("shares", base.runDir(), base.kernel(), cmdline).withInitrd(base.initrd())
                .withMemory(64).withShares(List.of(new LaunchSpec.Share("vol0", rw, false),
                        new LaunchSpec.Share("vol1", ro, true)));
        VmHandle vm = vmm().start(spec);
        vm.exit().get(60, TimeUnit.SECONDS);
        assertThat(console(vm)).contains("WROTE /data/hello.txt size=2\n")
                .contains("CAT /ro/seed.txt size=8 fnv1a64=a76f3436a4a33379 data=ro-data\\x0a\n")
                .contains("ERR write=/ro/x=1 errno=30\n").contains("PROBE-DONE errors=1\n");
        assertThat(Files.readString(rw.resolve("hello.txt"))).isEqualTo("hi");
        assertThat(ro.resolve("x")).doesNotExist();
    }

    @Test
    void qemusOwnStartUpErrorsAreReportedInItsWords() throws Exception {
        try (ServerSocket busy = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            LaunchSpec spec = probe(work, List.of("sleep=-1"), Map.of()).withForwards(
                    List.of(new LaunchSpec.PortForward(LaunchSpec.Protocol.TCP, busy.getLocalPort(), 80)));
            assertThatThrownBy(() -> vmm().start(spec)).isInstanceOf(VmmException.class)
                    .hasMessageContaining(spec.name() + ": QEMU ended during start-up")
                    .hasMessageContaining("Could not set up host forwarding rule");
        }
    }

    @Test
    void aMissingKernelOrATooLongRunDirectoryIsRefusedBeforeQemuStarts() throws Exception {
        LaunchSpec spec = probe(work, List.of(), Map.of());
        assertThatThrownBy(() -> vmm().start(LaunchSpec.of("x1", spec.runDir(), work.resolve("none"), "")))
                .isInstanceOf(VmmException.class).hasMessageStartingWith("kiln-x1: kernel ");
        Path deep = work.resolve("d".repeat(100));
        assertThatThrownBy(() -> vmm().start(LaunchSpec.of("x2", deep, spec.kernel(), "")))
                .isInstanceOf(VmmException.class).hasMessageContaining("too long for the unix socket");
    }

    @Test
    void withoutQemuTheErrorSaysWhatToInstall() {
        assertThatThrownBy(() -> QemuVmm.create(QemuVmm.Options.defaults(Path.of("/nonexistent/qemu-system-x86_64"))))
                .isInstanceOf(VmmException.class).hasMessageContaining("apt-get install qemu-system-x86");
    }

    @Test
    void theKvmProbeGuestRunsToItsEndUnderTcg() throws Exception {
        KvmProbe.Run r = KvmProbe.run(QemuVmm.locateQemu(), Accel.TCG, Duration.ofSeconds(30));
        assertThat(r.status()).as(r.message()).isEqualTo(KvmProbe.EXPECTED_STATUS);
        Accel.Choice choice = vmm().accel();
        assertThat(choice.reason()).startsWith(choice.accel().name() + ":");
        System.out.println("accelerator: " + choice.reason());
    }

    @Test
    void theEmbeddedProbeGuestIsWhatItsSourceAssembles() throws Exception {
        Path as = Path.of("/usr/bin/as"), ld = Path.of("/usr/bin/ld");
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isExecutable(as) && Files.isExecutable(ld),
                "binutils not installed; the binary is checked by booting it in the test above");
        Path src = work.resolve("kvm-probe.S");
        try (var in = KvmProbe.class.getResourceAsStream("kvm-probe.S")) {
            Files.write(src, in.readAllBytes());
        }
        Path obj = work.resolve("p.o"), bin = work.resolve("p.bin");
        assertThat(new ProcessBuilder(as.toString(), "--64", "-o", obj.toString(), src.toString()).inheritIO().start().waitFor()).isZero();
        assertThat(new ProcessBuilder(ld.toString(), "-Ttext=0", "--oformat", "binary", "-o", bin.toString(), obj.toString())
                .inheritIO().start().waitFor()).isZero();
        try (var in = KvmProbe.class.getResourceAsStream("kvm-probe.bin")) {
            assertThat(Files.readAllBytes(bin)).isEqualTo(in.readAllBytes());
        }
        assertThat(new String(Files.readAllBytes(src), StandardCharsets.US_ASCII)).contains("isa-debug-exit");
    }
}
