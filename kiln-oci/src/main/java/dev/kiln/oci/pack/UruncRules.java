package dev.kiln.oci.pack;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * urunc's rules for its {@code com.urunc.unikernel.*} keys, checked before an image is written
 * (as urunc's own validation would refuse it at run time, or worse, run it as a plain
 * container): the guest/monitor pairs urunc supports, the rootfs mechanisms each guest can use,
 * and the shape of every path.
 */
final class UruncRules {
    static final String PREFIX = "com.urunc.unikernel.";

    /** urunc's allow-list of monitor → guests. */
    private static final Map<String, Set<String>> PAIRS = Map.of(
            "hvt", Set.of("rumprun", "mirage"),
            "spt", Set.of("rumprun", "mirage"),
            "qemu", Set.of("mewz", "mirage", "unikraft", "linux", "hermit", "freebsd"),
            "firecracker", Set.of("linux", "unikraft", "freebsd"),
            "cloud-hypervisor", Set.of("linux"),
            "hyperlight", Set.of("unikraft"));

    private static final Pattern PATH = Pattern.compile("[A-Za-z0-9._/-]+");

    private UruncRules() {}

    static void check(PackRequest.Urunc u, boolean hasRootfs) {
        Set<String> guests = PAIRS.get(u.hypervisor());
        if (guests == null) throw new RequestException("hypervisor", "hypervisor \"" + u.hypervisor() + "\": urunc knows " + String.join(", ", new TreeMap<>(PAIRS).keySet()));
        if (!guests.contains(u.unikernelType())) {
            throw new RequestException("unikernelType", "unikernelType \"" + u.unikernelType() + "\" with hypervisor " + u.hypervisor()
                    + ": urunc does not run that pair (" + u.hypervisor() + " runs " + String.join(", ", new java.util.TreeSet<>(guests)) + ")");
        }
        path("binary", "binary", u.binaryPath(), false);
        if (hasRootfs) {
            if (u.rootfsType() != RootfsType.RAW) path("rootfsPath", u.rootfsType() == RootfsType.BLOCK ? "block" : "initrd", u.rootfsPath(), false);
            String guest = u.unikernelType();
            boolean ok = switch (u.rootfsType()) {
                case INITRD -> Set.of("unikraft", "linux", "hermit", "freebsd").contains(guest);
                case BLOCK -> Set.of("linux", "rumprun", "mirage", "freebsd").contains(guest);
                // The container rootfs goes to the guest as a block snapshot or a shared directory.
                case RAW -> guest.equals("linux") || guest.equals("rumprun") || (guest.equals("unikraft") && u.hypervisor().equals("qemu"));
            };
            if (!ok) {
                throw new RequestException("rootfsType", "rootfs type " + u.rootfsType().id() + ": urunc cannot give that to a " + guest + " guest on "
                        + u.hypervisor() + " (see urunc's storage table in the README)");
            }
        }
        if (u.rootfsType() == RootfsType.BLOCK) {
            if (u.blkMntPoint() == null) throw new RequestException("blkMntPoint", "blkMntPoint: required with a block rootfs");
            path("blkMntPoint", "blkMntPoint", u.blkMntPoint(), true);
            if (u.unikernelType().equals("rumprun") && u.blkMntPoint().equals("/")) {
                throw new RequestException("blkMntPoint", "blkMntPoint \"/\": rumprun cannot mount a block device at /; use /data");
            }
            if (!Set.of("ext4", "ext2", "erofs").contains(u.blockFilesystem())) {
                throw new RequestException("blockFilesystem", "block filesystem \"" + u.blockFilesystem() + "\": ext4, ext2 or erofs");
            }
            if (u.blockFilesystem().equals("erofs") && !u.unikernelType().equals("linux")) {
                throw new RequestException("blockFilesystem", "block filesystem erofs: only a linux guest reads it; use ext4 or ext2");
            }
            if (u.unikernelType().equals("rumprun") && !u.blockFilesystem().equals("ext2")) {
                throw new RequestException("blockFilesystem", "block filesystem " + u.blockFilesystem() + ": rumprun reads ext2 only");
            }
        }
    }

    /**
     * urunc's path rule: {@code [A-Za-z0-9._/-]+}, clean, absolute here, not {@code ..} or
     * {@code -} first, at most 4096 bytes. {@code field} is the request's name for it, {@code key}
     * urunc's.
     */
    private static void path(String field, String key, String p, boolean rootAllowed) {
        if (p == null || p.isEmpty()) throw new RequestException(field, key + ": required");
        if (p.length() > 4096) throw new RequestException(field, key + ": longer than 4096 bytes");
        if (!PATH.matcher(p).matches()) throw new RequestException(field, key + " \"" + p + "\": urunc allows only letters, digits, '.', '_', '/' and '-'");
        if (!p.startsWith("/")) throw new RequestException(field, key + " \"" + p + "\": must be absolute (a path in the image)");
        if (!rootAllowed && p.equals("/")) throw new RequestException(field, key + ": cannot be /");
        if (!clean(p)) throw new RequestException(field, key + " \"" + p + "\": not a clean path (no //, /./, /../ or trailing /)");
    }

    private static boolean clean(String p) {
        if (p.equals("/")) return true;
        if (p.endsWith("/")) return false;
        for (String c : p.substring(1).split("/", -1)) if (c.isEmpty() || c.equals(".") || c.equals("..")) return false;
        return true;
    }

    /** The keys and plain-text values, as manifest annotations and labels carry them. */
    static SortedMap<String, String> annotations(PackRequest.Urunc u, List<String> args) {
        SortedMap<String, String> a = new TreeMap<>();
        a.put(PREFIX + "unikernelType", u.unikernelType());
        a.put(PREFIX + "hypervisor", u.hypervisor());
        a.put(PREFIX + "binary", u.binaryPath());
        // Deprecated in urunc 0.7 (args come from Entrypoint and Cmd) but still read by older
        // releases when the process has no args; bunny writes it too.
        if (!args.isEmpty()) a.put(PREFIX + "cmdline", String.join(" ", args));
        if (u.unikernelVersion() != null) a.put(PREFIX + "unikernelVersion", u.unikernelVersion());
        boolean raw = u.rootfsType() == RootfsType.RAW && u.rootfsPath() != null;
        if (u.rootfsPath() != null && u.rootfsType() == RootfsType.INITRD) a.put(PREFIX + "initrd", u.rootfsPath());
        if (u.rootfsPath() != null && u.rootfsType() == RootfsType.BLOCK) {
            a.put(PREFIX + "block", u.rootfsPath());
            a.put(PREFIX + "blkMntPoint", u.blkMntPoint());
        }
        // mountRootfs is urunc's name since 2025-06; useDMBlock the older one, which bunix still writes.
        a.put(PREFIX + "mountRootfs", Boolean.toString(raw));
        a.put(PREFIX + "useDMBlock", Boolean.toString(raw));
        return a;
    }
}
