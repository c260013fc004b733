package dev.kiln.platform.vmm;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.OptionalInt;
import org.junit.jupiter.api.Test;

class ExitDecodingTest {
    private static VmExit decode(Integer status, RunDir.StopStep step, String reason) {
        return QemuVm.decode(status == null ? OptionalInt.empty() : OptionalInt.of(status), step, reason, false, "");
    }

    @Test
    void oddStatusesAreTheGuestsIsaDebugExitCode() {
        for (int code : new int[] {0, 1, 3, 127}) {
            VmExit e = decode((code << 1) | 1, null, null);
            assertThat(e.cause()).isEqualTo(VmExit.Cause.GUEST_EXIT);
            assertThat(e.exitCode()).hasValue(code);
        }
    }

    @Test
    void status137IsOurKillOnlyWhenWeSentOne() {
        assertThat(decode(137, RunDir.StopStep.KILL, null).cause()).isEqualTo(VmExit.Cause.KILLED);
        assertThat(decode(137, RunDir.StopStep.QUIT, null).exitCode()).hasValue(68);
    }

    @Test
    void statusZeroReadsByTheShutdownReasonOrTheStopAskedFor() {
        assertThat(decode(0, RunDir.StopStep.QUIT, "host-qmp-quit").cause()).isEqualTo(VmExit.Cause.STOPPED);
        assertThat(decode(0, RunDir.StopStep.POWERDOWN, "guest-shutdown").detail()).contains("ACPI power button");
        assertThat(decode(0, null, "guest-shutdown").cause()).isEqualTo(VmExit.Cause.GUEST_SHUTDOWN);
        assertThat(decode(0, null, null).cause()).isEqualTo(VmExit.Cause.GUEST_SHUTDOWN);
        assertThat(decode(0, RunDir.StopStep.QUIT, null).cause()).isEqualTo(VmExit.Cause.STOPPED);
        assertThat(decode(0, null, "guest-reset").cause()).isEqualTo(VmExit.Cause.GUEST_RESET);
        assertThat(decode(0, null, "host-signal").cause()).isEqualTo(VmExit.Cause.HOST_SIGNAL);
    }

    @Test
    void evenStatusesAreQemuFailuresAndNoStatusIsUnknown() {
        VmExit f = QemuVm.decode(OptionalInt.of(134), null, null, false, "Assertion failed");
        assertThat(f.cause()).isEqualTo(VmExit.Cause.QEMU_FAILED);
        assertThat(f.detail()).isEqualTo("QEMU failed with status 134: Assertion failed");
        VmExit u = QemuVm.decode(OptionalInt.empty(), null, null, true, "");
        assertThat(u.cause()).isEqualTo(VmExit.Cause.UNKNOWN);
        assertThat(u.detail()).isEqualTo("stopped while the platform was down; no exit status was recorded");
    }
}
