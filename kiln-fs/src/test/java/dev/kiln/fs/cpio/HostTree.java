package dev.kiln.fs.cpio;

import dev.kiln.fs.Content;
import dev.kiln.fs.EntryPath;
import dev.kiln.fs.Metadata;
import dev.kiln.fs.Node;
import dev.kiln.fs.Tree;
import dev.kiln.fs.Xattrs;
import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Test-only stand-in for the real directory source (written elsewhere): walks a host directory
 * into a {@link Tree} with lstat metadata, host-file contents and hard links by (dev, ino).
 * Kept package-private and minimal so the cpio tests can switch to the real source later.
 */
final class HostTree {
    private HostTree() {}

    static Tree of(Path root) throws IOException {
        Tree tree = new Tree();
        Map<List<Object>, EntryPath> firstByInode = new HashMap<>();
        Files.walkFileTree(root, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path d, BasicFileAttributes a) throws IOException {
                add(root, d, tree, firstByInode);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path f, BasicFileAttributes a) throws IOException {
                add(root, f, tree, firstByInode);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFileFailed(Path f, IOException e) throws IOException {
                throw e;
            }
        });
        return tree;
    }

    private static void add(Path root, Path p, Tree tree, Map<List<Object>, EntryPath> firstByInode) throws IOException {
        String rel = root.relativize(p).toString();
        EntryPath path = rel.isEmpty() ? EntryPath.ROOT : EntryPath.parse(rel);
        Map<String, Object> a = Files.readAttributes(p, "unix:mode,uid,gid,nlink,ino,dev,rdev,size,lastModifiedTime",
                LinkOption.NOFOLLOW_LINKS);
        int mode = (Integer) a.get("mode");
        long ns = ((FileTime) a.get("lastModifiedTime")).to(TimeUnit.NANOSECONDS);
        Metadata meta = new Metadata(mode & 07777, (Integer) a.get("uid") & 0xFFFFFFFFL, (Integer) a.get("gid") & 0xFFFFFFFFL,
                Math.floorDiv(ns, 1_000_000_000L), (int) Math.floorMod(ns, 1_000_000_000L), Xattrs.NONE);
        long rdev = (Long) a.get("rdev");
        Node node = switch (mode & Node.S_IFMT) {
            case Node.S_IFDIR -> new Node.Directory(meta);
            case Node.S_IFREG -> new Node.File(meta, Content.ofFile(p, (Long) a.get("size")));
            case Node.S_IFLNK -> new Node.Symlink(meta, Files.readSymbolicLink(p).toString());
            case Node.S_IFCHR -> new Node.Device(meta, Node.DeviceKind.CHAR, (int) major(rdev), (int) minor(rdev));
            case Node.S_IFBLK -> new Node.Device(meta, Node.DeviceKind.BLOCK, (int) major(rdev), (int) minor(rdev));
            case Node.S_IFIFO -> new Node.Fifo(meta);
            case Node.S_IFSOCK -> new Node.Socket(meta);
            default -> throw new IOException(p + ": unknown file type " + Integer.toOctalString(mode));
        };
        if (!(node instanceof Node.Directory) && (Integer) a.get("nlink") > 1) {
            EntryPath first = firstByInode.putIfAbsent(List.of(a.get("dev"), a.get("ino")), path);
            if (first != null) node = new Node.HardLink(first);
        }
        tree.put(path, node);
    }

    private static long major(long dev) {
        return ((dev >>> 8) & 0xfff) | ((dev >>> 32) & ~0xfffL);
    }

    private static long minor(long dev) {
        return (dev & 0xff) | ((dev >>> 12) & ~0xffL);
    }
}
