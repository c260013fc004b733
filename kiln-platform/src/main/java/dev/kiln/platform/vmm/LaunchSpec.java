package dev.kiln.platform.vmm;

import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Everything one boot needs. The VMM knows nothing of images or instances: the caller resolves
 * the kernel and initrd, builds {@code cmdline} with a {@code Guest}, and owns {@code runDir},
 * which holds what the VMM keeps for this guest (console log, sockets, pid, exit status) and is
 * what {@link Vmm#adopt} is given after a restart.
 *
 * @param id        unique among the host's guests; QEMU runs with {@code -name kiln-<id>}, by which
 *                  the VMM recognises its own processes after a restart
 * @param runDir    an absolute directory, created if missing; short enough for the sockets in it
 *                  (a unix socket path holds at most 107 bytes)
 * @param kernel    the kernel image
 * @param initrd    the initrd, or null
 * @param cmdline   the kernel command line, passed as is
 * @param memoryMiB guest RAM
 * @param vcpus     virtual CPUs
 * @param disks     read-only virtio-blk disks, in PCI order
 * @param shares    host directories over virtio-9p
 * @param forwards  host ports on 127.0.0.1 forwarded into the guest; none means no network device
 */
public record LaunchSpec(String id, Path runDir, Path kernel, Path initrd, String cmdline, int memoryMiB, int vcpus,
                         List<Disk> disks, List<Share> shares, List<PortForward> forwards) {
    private static final Pattern ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_-]{0,63}");
    private static final Pattern TAG = Pattern.compile("[A-Za-z0-9_.-]{1,32}");
    private static final Pattern SERIAL = Pattern.compile("[A-Za-z0-9._-]{1,20}");

    public LaunchSpec {
        Objects.requireNonNull(runDir, "runDir");
        Objects.requireNonNull(kernel, "kernel");
        Objects.requireNonNull(cmdline, "cmdline");
        if (id == null || !ID.matcher(id).matches()) {
            throw new VmmException("launch id \"" + id + "\": 1-64 of A-Z a-z 0-9 _ -, starting with a letter or digit");
        }
        if (!runDir.isAbsolute()) throw new VmmException("kiln-" + id + ": run directory " + runDir + " is not absolute");
        if (cmdline.indexOf('\0') >= 0) throw new VmmException("kiln-" + id + ": the command line holds a NUL byte");
        if (memoryMiB < 8 || memoryMiB > 1 << 20) {
            throw new VmmException("kiln-" + id + ": memory " + memoryMiB + " MiB; 8 MiB to 1 TiB");
        }
        if (vcpus < 1 || vcpus > 255) throw new VmmException("kiln-" + id + ": " + vcpus + " vCPUs; 1 to 255");
        disks = List.copyOf(disks);
        shares = List.copyOf(shares);
        forwards = List.copyOf(forwards);
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < disks.size(); i++) {
            if (!seen.add("disk " + disks.get(i).serial())) {
                throw new VmmException("kiln-" + id + ": disks[" + i + "].serial " + disks.get(i).serial() + " is used twice");
            }
        }
        for (int i = 0; i < shares.size(); i++) {
            if (!seen.add("tag " + shares.get(i).tag())) {
                throw new VmmException("kiln-" + id + ": shares[" + i + "].tag " + shares.get(i).tag() + " is used twice");
            }
        }
        for (int i = 0; i < forwards.size(); i++) {
            PortForward f = forwards.get(i);
            if (!seen.add(f.protocol() + " " + f.hostPort())) {
                throw new VmmException("kiln-" + id + ": forwards[" + i + "]: host port " + f.protocol() + "/"
                        + f.hostPort() + " is forwarded twice");
            }
        }
    }

    /** A boot of {@code kernel} with 128 MiB, one vCPU, no initrd, disks, shares or forwards. */
    public static LaunchSpec of(String id, Path runDir, Path kernel, String cmdline) {
        return new LaunchSpec(id, runDir, kernel, null, cmdline, 128, 1, List.of(), List.of(), List.of());
    }

    /** {@code kiln-<id>}: QEMU's -name, and how this guest is named in messages. */
    public String name() {
        return "kiln-" + id;
    }

    public LaunchSpec withInitrd(Path i) {
        return new LaunchSpec(id, runDir, kernel, i, cmdline, memoryMiB, vcpus, disks, shares, forwards);
    }

    public LaunchSpec withMemory(int mib) {
        return new LaunchSpec(id, runDir, kernel, initrd, cmdline, mib, vcpus, disks, shares, forwards);
    }

    public LaunchSpec withVcpus(int n) {
        return new LaunchSpec(id, runDir, kernel, initrd, cmdline, memoryMiB, n, disks, shares, forwards);
    }

    public LaunchSpec withDisks(List<Disk> d) {
        return new LaunchSpec(id, runDir, kernel, initrd, cmdline, memoryMiB, vcpus, d, shares, forwards);
    }

    public LaunchSpec withShares(List<Share> s) {
        return new LaunchSpec(id, runDir, kernel, initrd, cmdline, memoryMiB, vcpus, disks, s, forwards);
    }

    public LaunchSpec withForwards(List<PortForward> f) {
        return new LaunchSpec(id, runDir, kernel, initrd, cmdline, memoryMiB, vcpus, disks, shares, f);
    }

    /**
     * A raw image attached as a virtio-blk disk.
     *
     * @param serial   what the guest reads as the disk's serial number, by which it finds the disk;
     *                 a guest keeps at most 20 bytes of it (VIRTIO_BLK_ID_BYTES)
     * @param readOnly true for ROMs; false for a block volume, which the guest writes (QEMU then
     *                 holds a write lock on the image, so a second guest cannot attach it too)
     */
    public record Disk(Path image, String serial, boolean readOnly) {
        public Disk {
            Objects.requireNonNull(image, "image");
            if (serial == null || !SERIAL.matcher(serial).matches()) {
                throw new VmmException("disk serial \"" + serial + "\": 1-20 of A-Z a-z 0-9 . _ -");
            }
        }

        /** A read-only disk, as ROMs are attached. */
        public Disk(Path image, String serial) {
            this(image, serial, true);
        }
    }

    /** A host directory shared over virtio-9p; the guest mounts it by {@code tag}. */
    public record Share(String tag, Path hostDir, boolean readOnly) {
        public Share {
            Objects.requireNonNull(hostDir, "hostDir");
            if (tag == null || !TAG.matcher(tag).matches()) {
                throw new VmmException("9p tag \"" + tag + "\": 1-32 of A-Z a-z 0-9 _ . -");
            }
        }
    }

    /** Datagram or stream forwarding. */
    public enum Protocol { TCP, UDP }

    /**
     * {@code 127.0.0.1:hostPort} on the host to {@code guestPort} in the guest, through QEMU's
     * user-mode network. The host side is loopback by design: a local platform must not open
     * guests to the network it sits on.
     */
    public record PortForward(Protocol protocol, int hostPort, int guestPort) {
        public PortForward {
            Objects.requireNonNull(protocol, "protocol");
            if (hostPort < 1 || hostPort > 65535) throw new VmmException("host port " + hostPort + ": 1 to 65535");
            if (guestPort < 1 || guestPort > 65535) throw new VmmException("guest port " + guestPort + ": 1 to 65535");
        }
    }
}
