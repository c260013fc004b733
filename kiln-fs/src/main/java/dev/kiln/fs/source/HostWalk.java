package dev.kiln.fs.source;

import dev.kiln.fs.build.Ownership;
import dev.kiln.fs.io.Await;
import dev.kiln.fs.Content;
import dev.kiln.fs.EntryPath;
import dev.kiln.fs.io.FileFeed;
import dev.kiln.fs.InvalidPathException;
import dev.kiln.fs.KilnException;
import dev.kiln.fs.Metadata;
import dev.kiln.fs.Node;
import dev.kiln.fs.Tree;
import dev.kiln.fs.io.Utf8;
import dev.kiln.fs.Xattrs;
import dev.kiln.fs.host.Posix;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import dev.kiln.fs.io.Workers;
import java.util.concurrent.Future;

/**
 * Reads a host file or directory tree into a {@link Tree}, in two roles that overlap:
 *
 * <ul>
 *   <li>listing, on a pool of one thread per core: each directory is opened once, read with
 *       getdents64 and sorted by name bytes, and its entries are stat'ed by name relative to it
 *       (statx with the directory's fd, so the kernel resolves one name, not a whole path), with
 *       their extended attributes and symlink targets;</li>
 *   <li>building, on the caller's thread: it takes the listings in depth-first name order and puts
 *       each entry into the tree, recognising hard links by (device, inode) at the first path in
 *       that order. As it goes it asks the pool for the next few subdirectories' listings
 *       ({@link #LIST_AHEAD} per directory on its path), so the pool keeps the cores busy with
 *       system calls while the builder works.</li>
 * </ul>
 *
 * Since the tree is built in one fixed order from listings that do not depend on timing, the
 * result is the same whatever the threads do. A listing holds a few hundred bytes per entry;
 * the builder drops each entry's share once it is in the tree.
 */
final class HostWalk implements AutoCloseable {
    private final Tree tree;
    private final Excludes excludes;
    private final Ownership ownership;
    /** Told each regular file as it goes into the tree; null when nobody asked. */
    private final FileFeed feed;
    private final ExecutorService pool;
    /**
     * System-call buffers not in use; a listing takes one and gives it back. A pool rather than
     * one per thread, since the threads may be a server's and outlive this walk.
     */
    private final ConcurrentLinkedQueue<Posix> posixes = new ConcurrentLinkedQueue<>();
    /** (dev, ino) of multiply-linked files already in the tree, to the path that holds them. */
    private final Map<List<Long>, EntryPath> links = new HashMap<>();

    /**
     * How many subdirectory listings of one directory may be under way ahead of the builder.
     * Listing everything as fast as the pool could made listings wait for the builder long enough
     * to reach the old generation, where they stayed to the end: at a million files, 280 MB of
     * dead listings next to a 243 MB tree. A few ahead keep both cores busy just as well.
     */
    private static final int LIST_AHEAD = 4;

    /** One entry of a listed directory, with what its kind needs ({@code hostBytes}: a directory's path). */
    private record Child(String name, EntryPath at, Posix.Stat st, List<Posix.Xattr> xattrs, String linkTarget,
                         byte[] hostBytes) {}

    HostWalk(Tree tree, Excludes excludes, Ownership ownership, FileFeed feed, Workers workers) {
        this.tree = tree;
        this.feed = feed;
        this.excludes = excludes;
        this.ownership = ownership;
        this.pool = workers.pool("kiln-walk", workers.parallelism());
    }

    /** The source itself: a directory (walked), or a single file, symlink or special file. */
    void add(Path host, EntryPath at) throws IOException {
        if (excludes.excludes(at)) return;
        Posix p = new Posix();
        Posix.Stat st;
        Metadata meta;
        String linkTarget = null;
        try (p) {
            try {
                st = p.lstat(host);
            } catch (IOException e) {
                throw new KilnException(host + ": cannot read source: " + e.getMessage());
            }
            meta = metadata(st, p.listXattrs(host));
            if (st.type() == Node.S_IFLNK) { // as raw bytes, held to UTF-8 like the walk's links
                byte[] raw = p.readlinkAt(Posix.AT_CWD, host.toString().getBytes(StandardCharsets.UTF_8), null);
                linkTarget = Utf8.decode(raw, "symlink target of " + host);
            }
        }
        switch (st.type()) {
            case Node.S_IFDIR -> {
                tree.put(at, new Node.Directory(meta));
                build(host, pool.submit(() -> list(host, host.toString().getBytes(StandardCharsets.UTF_8), at)));
            }
            case Node.S_IFLNK -> tree.put(at, new Node.Symlink(meta, linkTarget));
            default -> {
                if (st.type() == Node.S_IFREG && at.isRoot()) {
                    throw new KilnException(host + ": a file cannot be the image root; map it with SRC:DST");
                }
                put(at, leaf(host, null, at, st, meta));
            }
        }
    }

    /** Puts the entries of a listed directory into the tree, descending into subdirectories in order. */
    private void build(Path dir, Future<Child[]> listing) throws IOException {
        Child[] children = Await.result(listing, "reading the source");
        Ahead ahead = new Ahead(dir, children);
        for (int i = 0; i < children.length; i++) {
            Child c = children[i];
            if (c == null) continue; // excluded
            Future<Child[]> sub = c.st.type() == Node.S_IFDIR ? ahead.next() : null;
            children[i] = null; // the builder's share of a listing dies young
            Metadata meta = metadata(c.st, c.xattrs);
            switch (c.st.type()) {
                case Node.S_IFDIR -> {
                    tree.put(c.at, new Node.Directory(meta));
                    build(dir.resolve(c.name), sub);
                }
                case Node.S_IFLNK -> tree.put(c.at, new Node.Symlink(meta, c.linkTarget));
                default -> put(c.at, leaf(dir, c.name, c.at, c.st, meta));
            }
        }
    }

    private void put(EntryPath at, Node leaf) {
        tree.put(at, leaf);
        if (feed != null && leaf instanceof Node.File f) feed.file(at, f);
    }

    /** The listings of one directory's subdirectories, started in order, {@link #LIST_AHEAD} at a time. */
    private final class Ahead {
        private final Path dir;
        private final Child[] children;
        private final ArrayDeque<Future<Child[]>> started = new ArrayDeque<>();
        private int scanned;

        Ahead(Path dir, Child[] children) {
            this.dir = dir;
            this.children = children;
            fill();
        }

        /** The listing of the next subdirectory in order; starts one more behind it. */
        Future<Child[]> next() {
            fill(); // the next subdirectory is at the head: all before it were taken
            Future<Child[]> f = started.removeFirst();
            fill();
            return f;
        }

        private void fill() {
            while (started.size() < LIST_AHEAD && scanned < children.length) {
                Child c = children[scanned++];
                if (c == null || c.hostBytes == null) continue;
                Path sub = dir.resolve(c.name);
                started.add(pool.submit(() -> list(sub, c.hostBytes, c.at)));
            }
        }
    }

    /** Lists one directory on a pool thread (see the class comment). */
    private Child[] list(Path dir, byte[] dirBytes, EntryPath at) {
        Posix p = posixes.poll();
        if (p == null) p = Posix.shared();
        try {
            int fd = p.openDirectory(Posix.AT_CWD, dirBytes, null);
            try {
                // The file system's order varies; sorted names make the walk independent of it.
                List<byte[]> names = p.names(fd, dir);
                names.sort(Arrays::compareUnsigned);
                Child[] out = new Child[names.size()];
                for (int i = 0; i < out.length; i++) {
                    byte[] raw = names.get(i);
                    String name;
                    try {
                        name = Utf8.decode(raw, "file name");
                    } catch (InvalidPathException e) {
                        throw new KilnException(dir + ": a file name is not valid UTF-8 (" + e.getMessage()
                                + "); rename it or exclude it");
                    }
                    EntryPath childAt = at.child(name);
                    if (excludes.excludes(childAt)) continue;
                    Posix.Stat st = p.lstatAt(fd, raw, dir);
                    List<Posix.Xattr> xattrs = p.listXattrs(dirBytes, raw);
                    String target = null;
                    byte[] hostBytes = null;
                    if (st.type() == Node.S_IFLNK) {
                        target = Utf8.decode(p.readlinkAt(fd, raw, dir), "symlink target of " + dir.resolve(name));
                    } else if (st.type() == Node.S_IFDIR) {
                        hostBytes = concat(dirBytes, raw);
                    }
                    out[i] = new Child(name, childAt, st, xattrs, target, hostBytes);
                }
                return out;
            } finally {
                p.close(fd);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            posixes.add(p);
        }
    }

    /**
     * A regular file (or a hard link to one seen before), device, fifo or socket: {@code name} in
     * the directory {@code host}, or {@code host} itself when {@code name} is null.
     */
    private Node leaf(Path host, String name, EntryPath at, Posix.Stat st, Metadata meta) {
        return switch (st.type()) {
            case Node.S_IFREG -> {
                if (st.nlink() > 1) {
                    List<Long> key = List.of(((long) st.devMajor() << 32) | st.devMinor(), st.ino());
                    EntryPath first = links.putIfAbsent(key, at);
                    if (first != null && tree.contains(first)) yield new Node.HardLink(first);
                    links.put(key, at);
                }
                yield new Node.File(meta, name == null ? Content.ofFile(host, st.size()) : Content.ofFile(host, name, st.size()));
            }
            case Node.S_IFCHR -> new Node.Device(meta, Node.DeviceKind.CHAR, st.rdevMajor(), st.rdevMinor());
            case Node.S_IFBLK -> new Node.Device(meta, Node.DeviceKind.BLOCK, st.rdevMajor(), st.rdevMinor());
            case Node.S_IFIFO -> new Node.Fifo(meta);
            case Node.S_IFSOCK -> new Node.Socket(meta);
            default -> throw new KilnException((name == null ? host : host.resolve(name)) + ": unknown file type 0" + Integer.toOctalString(st.type()));
        };
    }

    private Metadata metadata(Posix.Stat st, List<Posix.Xattr> xs) {
        Xattrs x = Xattrs.NONE;
        if (!xs.isEmpty()) {
            Map<String, byte[]> m = new LinkedHashMap<>();
            for (Posix.Xattr a : xs) m.put(a.name(), a.value());
            x = Xattrs.of(m);
        }
        return ownership.apply(new Metadata(st.mode() & 07777, st.uid(), st.gid(), st.mtime(), st.mtimeNanos(), x));
    }

    private static byte[] concat(byte[] dir, byte[] name) {
        byte[] out = Arrays.copyOf(dir, dir.length + 1 + name.length);
        out[dir.length] = '/';
        System.arraycopy(name, 0, out, dir.length + 1, name.length);
        return out;
    }

    @Override
    public void close() {
        pool.shutdownNow();
        try {
            pool.awaitTermination(1, java.util.concurrent.TimeUnit.MINUTES);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        for (Posix p; (p = posixes.poll()) != null; ) p.close();
    }
}
