package dev.kiln.platform.vmm;

import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/**
 * One running guest, as its VMM sees it. Everything the handle holds (sockets, the console
 * log, threads) is released when the guest exits or the VMM detaches; the guest's files stay in
 * {@link #runDir()}.
 */
public sealed interface VmHandle permits QemuVm {
    /** {@code kiln-<id>}. */
    String name();

    /** The VMM process (QEMU) that runs the guest. */
    long pid();

    Path runDir();

    Accel accel();

    /** The serial console, also readable after the guest exited. */
    ConsoleLog console();

    /**
     * Completes once when the guest has ended. It fails only when the VMM detached first
     * ({@link Vmm#close()}): that VMM will not see the end, a later {@link Vmm#adopt} will.
     */
    CompletableFuture<VmExit> exit();

    /**
     * Asks the guest to power off (the ACPI power button), tells QEMU to quit if it has not
     * ended after {@code grace}, and kills QEMU if that fails too. Returns at once; the future is
     * {@link #exit()}. A second call while stopping returns the same future.
     */
    CompletableFuture<VmExit> stop(Duration grace);

    /** Kills QEMU now (SIGKILL). Returns {@link #exit()}. */
    CompletableFuture<VmExit> kill();

    /**
     * Pauses the guest's vCPUs (QMP {@code stop}): it keeps its memory and its QEMU, takes no CPU,
     * and {@link #resume()} carries on where it was. What kiln's {@code suspend} does.
     */
    void pause() throws VmmException;

    /** Resumes a paused guest (QMP {@code cont}). */
    void resume() throws VmmException;
}
