package dev.kiln.fs.guest;

import dev.kiln.fs.Content;
import dev.kiln.fs.Entry;
import dev.kiln.fs.EntryPath;
import dev.kiln.fs.Metadata;
import dev.kiln.fs.Node;
import dev.kiln.fs.Tree;
import dev.kiln.fs.Xattrs;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Test-side bridges between host directories and kiln trees: reading a directory (such as a
 * {@link dev.kiln.fs.testing.SampleTree}) into a {@link Tree} with everything the boot tests
 * compare — modes with special bits, owners, mtimes to the nanosecond, devices, fifos and
 * hard-link groups — and grafting one tree into another.
 */
public final class HostTrees {
    private HostTrees() {}

    /** Reads {@code dir} (not following symlinks) into a tree whose root carries the directory's own metadata. */
    public static Tree read(Path dir) throws IOException {
        List<Path> all = new ArrayList<>();
        try (Stream<Path> s = Files.walk(dir)) {
            s.forEach(all::add);
        }
        // Tree order, so the first path of a hard-link group is the one the tree and the listing name.
        all.sort((a, b) -> pathOf(dir, a).compareTo(pathOf(dir, b)));
        Tree tree = new Tree();
        Map<List<Object>, EntryPath> firstByInode = new HashMap<>();
        for (Path p : all) {
            EntryPath ep = pathOf(dir, p);
            Map<String, Object> a = Files.readAttributes(p, "unix:*", LinkOption.NOFOLLOW_LINKS);
            int mode = (Integer) a.get("mode");
            int type = mode & Node.S_IFMT;
            if (type != Node.S_IFDIR && (Integer) a.get("nlink") > 1) {
                EntryPath first = firstByInode.putIfAbsent(List.of(a.get("dev"), a.get("ino")), ep);
                if (first != null) {
                    tree.put(ep, new Node.HardLink(first));
                    continue;
                }
            }
            FileTime mt = (FileTime) a.get("lastModifiedTime");
            long ns = mt.to(TimeUnit.NANOSECONDS);
            Metadata m = new Metadata(mode & 07777, (Integer) a.get("uid") & 0xFFFFFFFFL, (Integer) a.get("gid") & 0xFFFFFFFFL,
                    Math.floorDiv(ns, 1_000_000_000L), (int) Math.floorMod(ns, 1_000_000_000L), Xattrs.NONE);
            long rdev = (Long) a.get("rdev");
            Node n = switch (type) {
                case Node.S_IFDIR -> new Node.Directory(m);
                case Node.S_IFREG -> new Node.File(m, Content.ofFile(p, (Long) a.get("size")));
                case Node.S_IFLNK -> new Node.Symlink(m, Files.readSymbolicLink(p).toString());
                case Node.S_IFCHR -> new Node.Device(m, Node.DeviceKind.CHAR, (int) major(rdev), (int) minor(rdev));
                case Node.S_IFBLK -> new Node.Device(m, Node.DeviceKind.BLOCK, (int) major(rdev), (int) minor(rdev));
                case Node.S_IFIFO -> new Node.Fifo(m);
                case Node.S_IFSOCK -> new Node.Socket(m);
                default -> throw new IOException(p + ": unknown file type 0" + Integer.toOctalString(type));
            };
            tree.put(ep, n);
        }
        return tree;
    }

    /**
     * Copies every entry of {@code payload} into {@code into} below {@code at}; the payload's
     * root becomes the directory {@code at}. Hard links stay links (retargeted under {@code at}).
     * Contents are shared handles, not copies.
     */
    public static void graft(Tree into, EntryPath at, Tree payload) {
        for (Entry e : payload.entries()) {
            EntryPath target = at.resolve(e.path());
            Node n = e.node() instanceof Node.HardLink h ? new Node.HardLink(at.resolve(h.target())) : e.node();
            into.put(target, n);
        }
    }

    private static EntryPath pathOf(Path root, Path p) {
        String rel = root.relativize(p).toString();
        return rel.isEmpty() ? EntryPath.ROOT : EntryPath.parse(rel);
    }

    // glibc's encoding of dev_t (as in <sys/sysmacros.h>).
    static long major(long dev) {
        return ((dev >>> 8) & 0xfff) | ((dev >>> 32) & ~0xfffL);
    }

    static long minor(long dev) {
        return (dev & 0xff) | ((dev >>> 12) & ~0xffL);
    }
}
