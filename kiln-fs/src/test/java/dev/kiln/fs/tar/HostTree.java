package dev.kiln.fs.tar;

import dev.kiln.fs.Content;
import dev.kiln.fs.EntryPath;
import dev.kiln.fs.Metadata;
import dev.kiln.fs.Node;
import dev.kiln.fs.Tree;
import dev.kiln.fs.Xattrs;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.UserDefinedFileAttributeView;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Test-only: walks a host directory into a {@link Tree}, so the writer can be fed real trees
 * before kiln's own directory source exists (swap this for it later). Reads user.* xattrs only,
 * which is all the tests set.
 */
final class HostTree {
    private HostTree() {}

    static Tree of(Path dir) throws IOException {
        return of(dir, false);
    }

    /** With {@code reversed}, puts paths into the tree in reverse order (children before parents). */
    static Tree of(Path dir, boolean reversed) throws IOException {
        List<Path> all = new ArrayList<>();
        try (Stream<Path> s = Files.walk(dir)) {
            s.forEach(all::add);
        }
        all.sort((a, b) -> rel(dir, a).compareTo(rel(dir, b)));
        if (reversed) all = all.reversed();
        Tree tree = new Tree();
        Map<List<Object>, EntryPath> inodes = new HashMap<>();
        for (Path p : all) {
            EntryPath ep = rel(dir, p);
            Map<String, Object> a = Files.readAttributes(p, "unix:*", LinkOption.NOFOLLOW_LINKS);
            int mode = (Integer) a.get("mode");
            long nanos = ((FileTime) a.get("lastModifiedTime")).to(TimeUnit.NANOSECONDS);
            Metadata meta = new Metadata(mode & 07777, (Integer) a.get("uid"), (Integer) a.get("gid"),
                    Math.floorDiv(nanos, 1_000_000_000L), (int) Math.floorMod(nanos, 1_000_000_000L), xattrs(p));
            int type = mode & Node.S_IFMT;
            if (type != Node.S_IFDIR && (Integer) a.get("nlink") > 1) {
                List<Object> key = List.of(a.get("dev"), a.get("ino"));
                EntryPath first = inodes.putIfAbsent(key, ep);
                if (first != null) {
                    tree.put(ep, new Node.HardLink(first));
                    continue;
                }
            }
            Node node = switch (type) {
                case Node.S_IFDIR -> new Node.Directory(meta);
                case Node.S_IFREG -> new Node.File(meta, Content.ofFile(p, (Long) a.get("size")));
                case Node.S_IFLNK -> new Node.Symlink(meta, Files.readSymbolicLink(p).toString());
                case Node.S_IFIFO -> new Node.Fifo(meta);
                case Node.S_IFSOCK -> new Node.Socket(meta);
                case Node.S_IFCHR, Node.S_IFBLK -> {
                    long rdev = (Long) a.get("rdev");
                    int major = (int) (((rdev >>> 8) & 0xfff) | ((rdev >>> 32) & ~0xfffL));
                    int minor = (int) ((rdev & 0xff) | ((rdev >>> 12) & ~0xffL));
                    yield new Node.Device(meta, type == Node.S_IFCHR ? Node.DeviceKind.CHAR : Node.DeviceKind.BLOCK, major, minor);
                }
                default -> throw new IOException(p + ": unknown file type " + Integer.toOctalString(type));
            };
            // In reverse order a directory's children came first and implied it; this put then
            // only sets its metadata, which is the point of the reversed walk.
            tree.put(ep, node);
        }
        return tree;
    }

    private static Xattrs xattrs(Path p) throws IOException {
        // Device nodes and fifos refuse xattr calls (EPERM); the samples put xattrs on files and directories.
        if (!Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS) && !Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
            return Xattrs.NONE;
        }
        UserDefinedFileAttributeView v = Files.getFileAttributeView(p, UserDefinedFileAttributeView.class);
        if (v == null) return Xattrs.NONE;
        Map<String, byte[]> m = new TreeMap<>();
        for (String n : v.list()) {
            ByteBuffer b = ByteBuffer.allocate(v.size(n));
            v.read(n, b);
            m.put("user." + n, b.array());
        }
        return Xattrs.of(m);
    }

    private static EntryPath rel(Path root, Path p) {
        String r = root.relativize(p).toString();
        return r.isEmpty() ? EntryPath.ROOT : EntryPath.parse(r);
    }
}
