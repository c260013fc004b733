package dev.kiln.fs.source;

import dev.kiln.fs.Content;
import dev.kiln.fs.EntryPath;
import dev.kiln.fs.InvalidPathException;
import dev.kiln.fs.KilnException;
import dev.kiln.fs.Metadata;
import dev.kiln.fs.Node;
import dev.kiln.fs.Tree;
import dev.kiln.fs.Xattrs;
import dev.kiln.fs.host.Posix;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A file or directory on the host placed at {@code dest} in the image: a directory source
 * ("rootfs/") is the case dest = root; an include mapping ("SRC:DST") is any other dest.
 *
 * <p>Metadata comes from statx: all 12 mode bits, owners (through {@code ownership}),
 * nanosecond mtimes, device numbers, and extended attributes of every namespace the caller can
 * read. Hard links are recognised by (device, inode) and become shared nodes. Symlinks are
 * stored, never followed.
 */
public record HostSource(Path path, EntryPath dest, Ownership ownership) implements Source {
    /**
     * A host directory exactly as it is (owners kept, nothing excluded, times untouched): how
     * inspection commands and tests see a directory next to an image.
     */
    public static Tree read(Path dir) throws IOException {
        return Sources.build(List.of(new HostSource(dir, EntryPath.ROOT, Ownership.KEEP)), Excludes.NONE, new MtimePolicy.Keep());
    }

    @Override
    public String describe() {
        return dest.isRoot() ? path.toString() : path + ":" + dest.display();
    }

    @Override
    public void addTo(Tree tree, Excludes excludes) throws IOException {
        try (Posix posix = new Posix()) {
            Posix.Stat st;
            try {
                st = posix.lstat(path);
            } catch (IOException e) {
                throw new KilnException(path + ": cannot read source: " + e.getMessage());
            }
            new Walk(tree, excludes, posix).add(path, dest, st);
        }
    }

    private final class Walk {
        private final Tree tree;
        private final Excludes excludes;
        private final Posix posix;
        /** (dev, ino) of multiply-linked files already in the tree, to the path that holds them. */
        private final Map<List<Long>, EntryPath> links = new HashMap<>();

        Walk(Tree tree, Excludes excludes, Posix posix) {
            this.tree = tree;
            this.excludes = excludes;
            this.posix = posix;
        }

        void add(Path host, EntryPath at, Posix.Stat st) throws IOException {
            if (excludes.excludes(at)) return;
            Metadata meta = ownership.apply(new Metadata(st.mode() & 07777, st.uid(), st.gid(), st.mtime(), st.mtimeNanos(), xattrs(host)));
            switch (st.type()) {
                case Node.S_IFDIR -> {
                    tree.put(at, new Node.Directory(meta));
                    // A directory stream's order is the file system's; the tree sorts, so output does not depend on it.
                    try (DirectoryStream<Path> ds = Files.newDirectoryStream(host)) {
                        for (Path child : ds) {
                            String name = child.getFileName().toString();
                            EntryPath childAt;
                            try {
                                childAt = at.resolve(EntryPath.parse(name));
                            } catch (InvalidPathException e) {
                                throw new KilnException(child + ": unusable file name: " + e.getMessage());
                            }
                            if (name.indexOf('\uFFFD') >= 0) {
                                throw new KilnException(child + ": file name is not valid UTF-8; rename it or exclude it");
                            }
                            add(child, childAt, posix.lstat(child));
                        }
                    }
                }
                case Node.S_IFREG -> {
                    if (at.isRoot()) throw new KilnException(host + ": a file cannot be the image root; map it with SRC:DST");
                    if (st.nlink() > 1) {
                        List<Long> key = List.of(((long) st.devMajor() << 32) | st.devMinor(), st.ino());
                        EntryPath first = links.putIfAbsent(key, at);
                        if (first != null && tree.contains(first)) {
                            tree.put(at, new Node.HardLink(first));
                            return;
                        }
                        links.put(key, at);
                    }
                    tree.put(at, new Node.File(meta, Content.ofFile(host, st.size())));
                }
                case Node.S_IFLNK -> tree.put(at, new Node.Symlink(meta, Files.readSymbolicLink(host).toString()));
                case Node.S_IFCHR -> tree.put(at, new Node.Device(meta, Node.DeviceKind.CHAR, st.rdevMajor(), st.rdevMinor()));
                case Node.S_IFBLK -> tree.put(at, new Node.Device(meta, Node.DeviceKind.BLOCK, st.rdevMajor(), st.rdevMinor()));
                case Node.S_IFIFO -> tree.put(at, new Node.Fifo(meta));
                case Node.S_IFSOCK -> tree.put(at, new Node.Socket(meta));
                default -> throw new KilnException(host + ": unknown file type 0" + Integer.toOctalString(st.type()));
            }
        }

        private Xattrs xattrs(Path host) throws IOException {
            List<Posix.Xattr> xs = posix.listXattrs(host);
            if (xs.isEmpty()) return Xattrs.NONE;
            Map<String, byte[]> m = new LinkedHashMap<>();
            for (Posix.Xattr x : xs) m.put(x.name(), x.value());
            return Xattrs.of(m);
        }
    }
}
