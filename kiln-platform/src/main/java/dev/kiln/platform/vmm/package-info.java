/**
 * Runs guests: {@link dev.kiln.platform.vmm.Vmm} and its QEMU driver
 * {@link dev.kiln.platform.vmm.QemuVmm}. A caller describes a boot with a
 * {@link dev.kiln.platform.vmm.LaunchSpec} (kernel, initrd, command line, memory, vCPUs,
 * read-only disks, 9p shares, loopback port forwards, run directory), gets a
 * {@link dev.kiln.platform.vmm.VmHandle} to stop, kill or watch it and to read its
 * {@link dev.kiln.platform.vmm.ConsoleLog}, and learns how it ended from a
 * {@link dev.kiln.platform.vmm.VmExit}. Guests outlive the platform process: after a restart,
 * {@link dev.kiln.platform.vmm.Vmm#adopt} finds each one again from its run directory.
 */
package dev.kiln.platform.vmm;
