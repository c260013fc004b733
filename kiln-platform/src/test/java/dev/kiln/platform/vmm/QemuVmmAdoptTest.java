package dev.kiln.platform.vmm;

import static dev.kiln.platform.vmm.TestGuests.awaitConsole;
import static dev.kiln.platform.vmm.TestGuests.console;
import static dev.kiln.platform.vmm.TestGuests.options;
import static dev.kiln.platform.vmm.TestGuests.probe;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A platform restart, simulated: the first VMM closes (detaches, as a server going down does)
 * and a second one adopts the guest from its run directory alone.
 */
class QemuVmmAdoptTest {
    @TempDir
    Path work;

    @Test
    void aNewVmmReattachesToARunningGuestFollowsItsConsoleAndStopsIt() throws Exception {
        VmHandle vm;
        try (QemuVmm first = QemuVmm.create(options())) {
            vm = first.start(probe(work, List.of("sleep=2", "args", "sleep=-1"), Map.of()));
            awaitConsole(vm, c -> c.contains("PROBE-START"), Duration.ofSeconds(30));
        }
        assertThat(vm.exit()).isCompletedExceptionally();
        assertThat(ProcessHandle.of(vm.pid()).map(ProcessHandle::isAlive)).hasValue(true);

        try (QemuVmm second = QemuVmm.create(options())) {
            Adoption a = second.adopt(vm.runDir());
            assertThat(a).isInstanceOf(Adoption.Running.class);
            VmHandle again = ((Adoption.Running) a).vm();
            assertThat(again.pid()).isEqualTo(vm.pid());
            assertThat(again.name()).isEqualTo(vm.name());
            // The probe prints its argv after the sleep, by when the new VMM owns the console.
            String c = awaitConsole(again, s -> s.contains("ARG 3 sleep=-1"), Duration.ofSeconds(30));
            assertThat(c).containsOnlyOnce("PROBE-START");
            VmExit e = again.stop(Duration.ofMillis(200)).get(30, TimeUnit.SECONDS);
            assertThat(e.cause()).as(e.detail()).isEqualTo(VmExit.Cause.STOPPED);
            assertThat(e.whileDetached()).isFalse();
        }
    }

    @Test
    void anAdoptedGuestsOwnExitIsSeenWithItsCode() throws Exception {
        VmHandle vm;
        try (QemuVmm first = QemuVmm.create(options())) {
            vm = first.start(probe(work, List.of("sleep=2", "exit=7"), Map.of()));
        }
        try (QemuVmm second = QemuVmm.create(options())) {
            VmHandle again = ((Adoption.Running) second.adopt(vm.runDir())).vm();
            VmExit e = again.exit().get(30, TimeUnit.SECONDS);
            assertThat(e.cause()).as(e.detail()).isEqualTo(VmExit.Cause.GUEST_EXIT);
            assertThat(e.exitCode()).hasValue(7);
            assertThat(e.whileDetached()).isFalse();
            assertThat(console(again)).contains("EXIT 7\n");
        }
    }

    @Test
    void aSecondLaunchInTheRunDirectoryOfARunningGuestIsRefused() throws Exception {
        try (QemuVmm vmm = QemuVmm.create(options())) {
            LaunchSpec spec = probe(work, List.of("sleep=-1"), Map.of());
            VmHandle vm = vmm.start(spec);
            LaunchSpec again = LaunchSpec.of("other", spec.runDir(), spec.kernel(), spec.cmdline());
            assertThatThrownBy(() -> vmm.start(again)).isInstanceOf(VmmException.class)
                    .hasMessage("kiln-other: " + vm.name() + " still runs in " + spec.runDir() + " (QEMU pid " + vm.pid()
                            + "); stop or adopt it first");
            vm.kill().get(30, TimeUnit.SECONDS);
        }
    }

    @Test
    void aGuestThatEndedWhileDetachedReportsTheStatusItsSupervisorRecordedButNotWhatItPrinted() throws Exception {
        Path runDir = detachedGuestThatExits(List.of("sleep=1", "exit=3"));
        try (QemuVmm second = QemuVmm.create(options())) {
            Adoption a = second.adopt(runDir);
            assertThat(a).isInstanceOf(Adoption.Exited.class);
            VmExit e = ((Adoption.Exited) a).exit();
            assertThat(e.cause()).isEqualTo(VmExit.Cause.GUEST_EXIT);
            assertThat(e.exitCode()).hasValue(3);
            assertThat(e.whileDetached()).isTrue();
            assertThat(e.detail()).isEqualTo("while the platform was down, the guest exited with code 3");
        }
        // The log holds what was printed while a VMM was attached; QEMU drops console output
        // while nothing is connected, so the guest's last words went unrecorded.
        assertThat(console(ConsoleLog.in(runDir))).contains("PROBE-START").doesNotContain("EXIT 3");
    }

    @Test
    void withoutARecordedStatusTheExitIsUnknownAndSaysSo() throws Exception {
        Path runDir = detachedGuestThatExits(List.of("sleep=1", "exit=3"));
        Files.delete(runDir.resolve("exit-status"));
        try (QemuVmm second = QemuVmm.create(options())) {
            VmExit e = ((Adoption.Exited) second.adopt(runDir)).exit();
            assertThat(e.cause()).isEqualTo(VmExit.Cause.UNKNOWN);
            assertThat(e.exitCode()).isEmpty();
            assertThat(e.detail()).isEqualTo("stopped while the platform was down; no exit status was recorded");
        }
    }

    @Test
    void aPidNowUsedByAnotherProcessIsNotTakenForTheGuest() throws Exception {
        Path runDir = detachedGuestThatExits(List.of("exit=0"));
        // Point the record at this JVM, as if the pid had been reused: adopt must neither attach
        // to it nor signal it, only report the guest as gone.
        Path state = runDir.resolve("vm.properties");
        Properties p = new Properties();
        try (var r = Files.newBufferedReader(state)) {
            p.load(r);
        }
        long self = ProcessHandle.current().pid();
        p.setProperty("qemu.pid", Long.toString(self));
        p.setProperty("qemu.start", Long.toString(ProcInfo.startTime(self).orElseThrow()));
        try (var w = Files.newBufferedWriter(state)) {
            p.store(w, null);
        }
        try (QemuVmm second = QemuVmm.create(options())) {
            VmExit e = ((Adoption.Exited) second.adopt(runDir)).exit();
            assertThat(e.cause()).isEqualTo(VmExit.Cause.GUEST_EXIT);
            assertThat(e.exitCode()).hasValue(0);
        }
    }

    @Test
    void aDirectoryWithoutStateIsNotOneOfOurs() {
        try (QemuVmm vmm = QemuVmm.create(options())) {
            assertThatThrownBy(() -> vmm.adopt(work)).isInstanceOf(VmmException.class)
                    .hasMessage(work + ": not a kiln run directory (no vm.properties)");
        }
    }

    /** Starts a guest, detaches, and returns its run directory once QEMU is gone. */
    private Path detachedGuestThatExits(List<String> commands) throws Exception {
        VmHandle vm;
        try (QemuVmm first = QemuVmm.create(options())) {
            vm = first.start(probe(work, commands, Map.of()));
            awaitConsole(vm, c -> c.contains("PROBE-START"), Duration.ofSeconds(30));
        }
        ProcessHandle.of(vm.pid()).ifPresent(h -> h.onExit().join());
        return vm.runDir();
    }
}
