package dev.kiln.platform.vmm;

/** What {@link Vmm#adopt} found in a run directory. */
public sealed interface Adoption permits Adoption.Running, Adoption.Exited {
    /** The guest still runs, and the VMM is attached to it again. */
    record Running(VmHandle vm) implements Adoption {}

    /** The guest is gone; {@code exit.whileDetached()} is true. */
    record Exited(VmExit exit) implements Adoption {}
}
