package dev.kiln.fs.erofs;

import dev.kiln.fs.Content;
import dev.kiln.fs.EntryPath;
import dev.kiln.fs.Metadata;
import dev.kiln.fs.Node;
import dev.kiln.fs.Tree;
import dev.kiln.fs.Xattrs;
import dev.kiln.fs.testing.SampleTree;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/**
 * Test helpers for the EROFS writer: a small host-directory walker that fills a {@link Tree}
 * (the real directory source lives elsewhere), image writing, and the external oracles
 * (fsck.erofs, the kernel via loop mount, mkfs.erofs). A missing tool fails with the Debian
 * package to install.
 */
final class ErofsWriterFixtures {
    private ErofsWriterFixtures() {}

    /** Walks {@code dir} (not following symlinks) into a tree, with owners, times, devices, hard links and xattrs. */
    static Tree treeOf(Path dir) throws IOException {
        Map<String, Map<String, byte[]>> xattrs = hostXattrs(dir);
        List<Path> all = new ArrayList<>();
        Files.walkFileTree(dir, new SimpleFileVisitor<>() {
            @Override public FileVisitResult preVisitDirectory(Path d, BasicFileAttributes a) { all.add(d); return FileVisitResult.CONTINUE; }
            @Override public FileVisitResult visitFile(Path f, BasicFileAttributes a) { all.add(f); return FileVisitResult.CONTINUE; }
        });
        all.sort((a, b) -> pathOf(dir, a).compareTo(pathOf(dir, b)));
        Tree tree = new Tree();
        Map<List<Object>, EntryPath> firstByInode = new HashMap<>();
        for (Path p : all) {
            EntryPath ep = pathOf(dir, p);
            Map<String, Object> a = Files.readAttributes(p, "unix:*", LinkOption.NOFOLLOW_LINKS);
            int mode = (Integer) a.get("mode");
            long nanos = ((FileTime) a.get("lastModifiedTime")).to(TimeUnit.NANOSECONDS);
            Map<String, byte[]> x = xattrs.getOrDefault(p.toString(), Map.of());
            Metadata m = new Metadata(mode & 07777, (Integer) a.get("uid"), (Integer) a.get("gid"),
                    Math.floorDiv(nanos, 1_000_000_000L), (int) Math.floorMod(nanos, 1_000_000_000L), Xattrs.of(x));
            int type = mode & Node.S_IFMT;
            if (type != Node.S_IFDIR && (Integer) a.get("nlink") > 1) {
                List<Object> key = List.of(a.get("dev"), a.get("ino"));
                EntryPath first = firstByInode.putIfAbsent(key, ep);
                if (first != null) {
                    tree.put(ep, new Node.HardLink(first));
                    continue;
                }
            }
            long rdev = (Long) a.get("rdev");
            int major = (int) (((rdev >>> 8) & 0xfff) | ((rdev >>> 32) & ~0xfffL));
            int minor = (int) ((rdev & 0xff) | ((rdev >>> 12) & ~0xffL));
            Node n = switch (type) {
                case Node.S_IFDIR -> new Node.Directory(m);
                case Node.S_IFREG -> new Node.File(m, Content.ofFile(p, (Long) a.get("size")));
                case Node.S_IFLNK -> new Node.Symlink(m, Files.readSymbolicLink(p).toString());
                case Node.S_IFCHR -> new Node.Device(m, Node.DeviceKind.CHAR, major, minor);
                case Node.S_IFBLK -> new Node.Device(m, Node.DeviceKind.BLOCK, major, minor);
                case Node.S_IFIFO -> new Node.Fifo(m);
                case Node.S_IFSOCK -> new Node.Socket(m);
                default -> throw new IOException(p + ": unknown file type " + Integer.toOctalString(type));
            };
            tree.put(ep, n);
        }
        return tree;
    }

    /** All xattrs under {@code dir} in one getfattr run (package attr), by absolute path. */
    static Map<String, Map<String, byte[]>> hostXattrs(Path dir) throws IOException {
        String out = run("getfattr (Debian package attr)", "getfattr", "--absolute-names", "-R", "-P", "-h", "-d", "-m", "-", "-e", "hex", dir.toString());
        Map<String, Map<String, byte[]>> result = new HashMap<>();
        Map<String, byte[]> cur = null;
        for (String line : out.split("\n")) {
            if (line.startsWith("# file: ")) {
                cur = new TreeMap<>();
                result.put(line.substring(8), cur);
            } else if (cur != null && line.indexOf('=') > 0) {
                int eq = line.indexOf('=');
                String v = line.substring(eq + 1);
                cur.put(line.substring(0, eq), v.startsWith("0x") ? HexFormat.of().parseHex(v.substring(2)) : new byte[0]);
            } else if (cur != null && !line.isBlank() && !line.startsWith("#")) {
                cur.put(line.trim(), new byte[0]);
            }
        }
        return result;
    }

    static EntryPath pathOf(Path root, Path p) {
        String rel = root.relativize(p).toString();
        return rel.isEmpty() ? EntryPath.ROOT : EntryPath.parse(rel);
    }

    static void write(Tree tree, Path image, ErofsWriter.Options options) throws IOException {
        try (FileChannel ch = FileChannel.open(image, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.READ)) {
            new ErofsWriter(options).write(tree, ch, dev.kiln.fs.Progress.NONE);
        }
    }

    static ErofsWriter.Options options(ErofsWriter.Algorithm alg, int pcluster) {
        return new ErofsWriter.Options(alg, 9, pcluster, null, 0);
    }

    /** fsck.erofs 1.5 full check with data decompression, extracting into {@code into} (must not exist). */
    static String fsckExtract(Path image, Path into) throws IOException {
        return run("fsck.erofs (Debian package erofs-utils)", "fsck.erofs", "--extract=" + into, image.toString());
    }

    /** Mounts read-only through a loop device; the caller must {@link #unmount}. */
    static void mount(Path image, Path dir) throws IOException {
        Files.createDirectories(dir);
        run("mount (Debian package mount)", "mount", "-t", "erofs", "-o", "loop,ro", image.toString(), dir.toString());
    }

    static void unmount(Path dir) throws IOException {
        run("umount (Debian package mount)", "umount", dir.toString());
    }

    static String run(String tool, String... cmd) throws IOException {
        Process p;
        try {
            p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        } catch (IOException e) {
            throw new IOException("cannot run " + cmd[0] + ": install " + tool, e);
        }
        byte[] out = p.getInputStream().readAllBytes();
        try {
            int rc = p.waitFor();
            String s = new String(out, StandardCharsets.UTF_8);
            if (rc != 0) throw new IOException(String.join(" ", cmd) + " exited " + rc + ":\n" + s);
            return s;
        } catch (InterruptedException e) {
            throw new IOException(e);
        }
    }

    /** Compares two listings and fails showing only the lines that differ (listings can be long). */
    static void assertSameListing(String actual, String expected) {
        java.util.List<String> a = java.util.Arrays.asList(actual.split("\n"));
        java.util.List<String> e = java.util.Arrays.asList(expected.split("\n"));
        java.util.List<String> onlyActual = a.stream().filter(l -> !e.contains(l)).map(l -> l.length() > 300 ? l.substring(0, 300) + "..." : l).toList();
        java.util.List<String> onlyExpected = e.stream().filter(l -> !a.contains(l)).map(l -> l.length() > 300 ? l.substring(0, 300) + "..." : l).toList();
        if (!onlyActual.isEmpty() || !onlyExpected.isEmpty()) {
            throw new AssertionError("listings differ\n  image has:\n    " + String.join("\n    ", onlyActual)
                    + "\n  source has:\n    " + String.join("\n    ", onlyExpected));
        }
        org.assertj.core.api.Assertions.assertThat(actual).isEqualTo(expected);
    }

    static void delete(Path dir) throws IOException {
        SampleTree.delete(dir);
    }
}
