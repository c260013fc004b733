package dev.kiln.platform.vmm;

import java.util.Objects;
import java.util.OptionalInt;

/**
 * How a guest ended.
 *
 * @param cause         what ended it
 * @param exitCode      the guest's own exit code, when it gave one: the value it wrote to
 *                      isa-debug-exit ({@link Cause#GUEST_EXIT})
 * @param qemuStatus    QEMU's exit status as its supervisor recorded it, when known
 * @param whileDetached the guest ended while no VMM was attached (the platform was down); the
 *                      cause then rests on what was recorded in the run directory
 * @param detail        one sentence for logs and the API's messages
 */
public record VmExit(Cause cause, OptionalInt exitCode, OptionalInt qemuStatus, boolean whileDetached, String detail) {
    public VmExit {
        Objects.requireNonNull(cause, "cause");
        Objects.requireNonNull(exitCode, "exitCode");
        Objects.requireNonNull(qemuStatus, "qemuStatus");
        Objects.requireNonNull(detail, "detail");
    }

    public enum Cause {
        /** The guest wrote its exit code to isa-debug-exit; QEMU exited with (code &lt;&lt; 1) | 1. */
        GUEST_EXIT,
        /** The guest powered itself off (ACPI), unasked. */
        GUEST_SHUTDOWN,
        /** The guest rebooted, triple-faulted or panicked with panic=-1; -no-reboot makes that an exit. */
        GUEST_RESET,
        /** Stopped on request: the guest obeyed the ACPI power button, or QEMU quit when told. */
        STOPPED,
        /** Killed with SIGKILL on request, or because it did not quit in time. */
        KILLED,
        /** QEMU ended on SIGTERM, SIGINT or SIGHUP from outside kiln. */
        HOST_SIGNAL,
        /** QEMU failed: an even non-zero status (its own errors, or a signal with an even number). */
        QEMU_FAILED,
        /** No exit status was recorded: the guest stopped while the platform was down and its supervisor is gone too. */
        UNKNOWN
    }
}
