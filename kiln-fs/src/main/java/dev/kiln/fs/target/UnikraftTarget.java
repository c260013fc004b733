package dev.kiln.fs.target;

import dev.kiln.fs.Compression;
import dev.kiln.fs.Entry;
import dev.kiln.fs.EntryPath;
import dev.kiln.fs.ImageFormat;
import dev.kiln.fs.Metadata;
import dev.kiln.fs.Node;
import dev.kiln.fs.Tree;
import dev.kiln.fs.cpio.CpioReader;
import java.util.ArrayList;
import java.util.List;

/**
 * Unikraft's ukcpio (observed on 0.17, see the initrd consumer reference): newc or crc only,
 * no compression, a mandatory trailer, parents before children, no hard links (each entry is
 * extracted on its own, so links without data come out empty), no device nodes, fifos or
 * sockets (skipped), owners and special bits dropped, directory modes masked by umask 022, a
 * fatal error for names of 256+ bytes or paths of 4096+ bytes. ramfs copies every file while the
 * archive stays in memory; {@link UnikraftMemory} says how much the guest needs.
 */
public record UnikraftTarget() implements Target {
    public String id() { return "unikraft"; }

    @Override
    public boolean copyHardLinks() {
        return true;
    }

    public List<Finding> checkKind(ImageKind kind) {
        List<Finding> out = new ArrayList<>();
        if (kind.format() != ImageFormat.CPIO) {
            out.add(Finding.error(null, (kind.format() == null ? "unknown format" : kind.format().id())
                    + ": Unikraft's initrd extractor (ukcpio) reads only cpio newc; EROFS root filesystems are a Unikraft Cloud feature (use --target generic for those)"));
        } else if ("070707".equals(kind.cpioMagic())) {
            out.add(Finding.error(null, "odc cpio (070707): ukcpio accepts only newc (070701) and crc (070702); the boot fails"));
        }
        if (kind.compression() != Compression.NONE) {
            out.add(Finding.error(null, kind.compression().name().toLowerCase() + " compression: ukcpio cannot decompress; the boot fails with \"Bad magic number\""));
        }
        return out;
    }

    public List<Finding> prepare(Tree tree) {
        List<Finding> out = new ArrayList<>();
        Limits.names(tree, out, "Unikraft");
        int[] owners = {0}, special = {0}, wide = {0};
        EntryPath[] firstOwner = {null}, firstSpecial = {null}, firstWide = {null};
        tree.mapNodes((path, node) -> {
            switch (node) {
                case Node.Device d -> {
                    out.add(Finding.warning(path, "device node dropped: ukcpio skips device nodes"));
                    return null;
                }
                case Node.Fifo f -> {
                    out.add(Finding.warning(path, "fifo dropped: ukcpio skips fifos"));
                    return null;
                }
                case Node.Socket s -> {
                    out.add(Finding.warning(path, "socket dropped: ukcpio skips sockets"));
                    return null;
                }
                default -> {
                    Metadata m = node.meta();
                    if (m.uid() != 0 || m.gid() != 0) {
                        if (owners[0]++ == 0) firstOwner[0] = path;
                        m = m.withOwner(0, 0);
                    }
                    if ((m.permissions() & 07000) != 0) {
                        if (special[0]++ == 0) firstSpecial[0] = path;
                        m = m.withPermissions(m.permissions() & 0777);
                    }
                    // ukcpio makes directories with mkdir under umask 022; the root is exempt, as
                    // it already exists and gets the archive's mode by chmod (mapNodes skips it).
                    if (node instanceof Node.Directory && (m.permissions() & 022) != 0) {
                        if (wide[0]++ == 0) firstWide[0] = path;
                        m = m.withPermissions(m.permissions() & ~022);
                    }
                    return node.withMeta(m);
                }
            }
        });
        if (owners[0] > 0) {
            out.add(Finding.warning(firstOwner[0], owners[0] + " entries had owners other than root; ramfs has none, so they were set to 0:0"));
        }
        if (special[0] > 0) {
            out.add(Finding.warning(firstSpecial[0], special[0] + " entries had setuid/setgid/sticky bits; Unikraft drops them, so they were cleared"));
        }
        if (wide[0] > 0) {
            out.add(Finding.warning(firstWide[0], wide[0] + " directories were group/other-writable; ukcpio creates directories under umask 022, so those bits were cleared"));
        }
        return out;
    }

    public List<Finding> lint(Tree tree) {
        List<Finding> out = new ArrayList<>();
        Limits.names(tree, out, "Unikraft");
        int owners = 0, special = 0, wideDirs = 0;
        EntryPath firstOwner = null, firstSpecial = null, firstWide = null;
        for (Entry e : tree.entries()) {
            Node n = e.node();
            // Whether a link comes out empty depends on how the archive stores it; lintMembers judges that.
            if (n instanceof Node.HardLink) continue;
            switch (n) {
                case Node.Device d -> out.add(Finding.warning(e.path(), "device node: ukcpio skips it, the guest will not see it"));
                case Node.Fifo f -> out.add(Finding.warning(e.path(), "fifo: ukcpio skips it, the guest will not see it"));
                case Node.Socket s -> out.add(Finding.warning(e.path(), "socket: ukcpio skips it, the guest will not see it"));
                default -> { }
            }
            Metadata m = n.meta();
            if (m.uid() != 0 || m.gid() != 0) {
                if (owners++ == 0) firstOwner = e.path();
            }
            if ((m.permissions() & 07000) != 0) {
                if (special++ == 0) firstSpecial = e.path();
            }
            if (n instanceof Node.Directory && !e.path().isRoot() && (m.permissions() & 022) != 0) {
                if (wideDirs++ == 0) firstWide = e.path();
            }
        }
        if (owners > 0) out.add(Finding.warning(firstOwner, owners + " entries have owners other than root; ramfs ignores owners"));
        if (special > 0) out.add(Finding.warning(firstSpecial, special + " entries have setuid/setgid/sticky bits; Unikraft drops them"));
        if (wideDirs > 0) out.add(Finding.warning(firstWide, wideDirs + " directories are group/other-writable; ukcpio masks directory modes with umask 022"));
        return out;
    }

    @Override
    public boolean readsMembers() {
        return true;
    }

    /**
     * ukcpio extracts member by member and creates no directory implicitly, so every member's
     * parent must come earlier; it does not link, so a member of a hard-link group stored
     * without its data comes out as an empty file; it reads only the first archive; and some
     * replacements of one entry by another leave the guest with something else than the later
     * entry ({@link UkcpioReplay}).
     */
    @Override
    public List<Finding> lintMembers(List<CpioReader.Member> members) {
        List<Finding> out = new ArrayList<>();
        java.util.Set<EntryPath> dirs = new java.util.HashSet<>();
        java.util.Map<EntryPath, EntryPath> orphans = new java.util.LinkedHashMap<>(); // missing parent -> first child
        for (CpioReader.Member m : members) {
            if (m.archive() > 0) continue; // the guest never sees it; UkcpioReplay says so once
            EntryPath p = EntryPath.parse(m.name());
            if (!p.isRoot()) {
                EntryPath parent = p.parent();
                if (!parent.isRoot() && !dirs.contains(parent)) orphans.putIfAbsent(parent, p);
            }
            if ((m.mode() & Node.S_IFMT) == Node.S_IFDIR) dirs.add(p);
            if ((m.mode() & Node.S_IFMT) == Node.S_IFREG && m.nlink() > 1 && m.size() == 0) {
                out.add(Finding.error(p, "hard link stored without data (offset " + m.offset()
                        + "): Unikraft before the Aug 2025 ukcpio change extracts it as an empty file; rebuild with --target unikraft to store copies"));
            }
        }
        int reported = 0;
        for (var o : orphans.entrySet()) {
            if (reported++ == 20) {
                out.add(Finding.error(null, (orphans.size() - 20) + " more members come before their directory"));
                break;
            }
            String where = dirs.contains(o.getKey()) ? "its directory " + o.getKey().display() + " comes later in the archive"
                    : "there is no entry for its directory " + o.getKey().display();
            out.add(Finding.error(o.getValue(), where + ": ukcpio creates no parent directories, the boot fails"));
        }
        out.addAll(UkcpioReplay.run(members));
        return out;
    }

    @Override
    public List<Finding> afterBuild(Tree tree, long imageSize) {
        UnikraftMemory.Need n = UnikraftMemory.of(tree, imageSize);
        return List.of(Finding.info("the guest needs at least " + n.mib() + " MiB of memory for this initrd, besides what the"
                + " application allocates (Unikraft 0.17: the " + mib(n.archiveBytes()) + " MiB archive stays in memory, ramfs copies"
                + " the files into " + mib(n.fileBytes()) + " MiB of page-rounded blocks, and the entries take " + mib(n.entryBytes())
                + " MiB; rule measured in kiln's bench/results/unikraft-memory.md)"));
    }

    private static String mib(long bytes) {
        return String.format(java.util.Locale.ROOT, "%.1f", bytes / (double) (1 << 20));
    }
}
