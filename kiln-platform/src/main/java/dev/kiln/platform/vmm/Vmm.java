package dev.kiln.platform.vmm;

import java.io.IOException;
import java.nio.file.Path;

/**
 * Runs guests. A guest outlives the VMM object that launched it: {@link #close()} lets go of
 * every guest without stopping it, and {@link #adopt} attaches a new VMM (after a platform
 * restart) to a guest found in its run directory, or reports how it ended meanwhile.
 */
public sealed interface Vmm extends AutoCloseable permits QemuVmm {
    /** Boots a guest; returns once it runs, with its console connected from the first byte. */
    VmHandle start(LaunchSpec spec) throws IOException;

    /** Re-attaches to the guest launched in {@code runDir}, or reports how it ended. */
    Adoption adopt(Path runDir) throws IOException;

    /** Detaches from every guest, leaving them running for a later {@link #adopt}. */
    @Override
    void close();
}
