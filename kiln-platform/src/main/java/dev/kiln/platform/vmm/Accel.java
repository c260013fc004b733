package dev.kiln.platform.vmm;

/** How QEMU runs guest code: hardware virtualisation, or its own translator. */
public enum Accel {
    KVM, TCG;

    /** The decision and why it was made, for logs: "TCG: a KVM boot of the probe guest hung for 3 s". */
    public record Choice(Accel accel, String reason) {}
}
