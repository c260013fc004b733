package dev.kiln.fs.testing;

import dev.kiln.fs.Entry;
import dev.kiln.fs.EntryPath;
import dev.kiln.fs.Metadata;
import dev.kiln.fs.Node;
import dev.kiln.fs.Tree;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The test oracle: a canonical text listing of a tree, one line per path, comparable between a
 * host directory (what a real consumer extracted or mounted) and a kiln {@link Tree}.
 *
 * <p>Line format: {@code /path type perms uid:gid mtime size detail [link=/first]} where detail
 * is the SHA-256 of a file, a symlink's target or a device's major:minor. Options switch off
 * what a given consumer does not preserve (e.g. directory mtimes after extraction).
 */
public final class Listing {
    /**
     * @param owners     compare uid:gid
     * @param mtimes     compare mtimes of files, symlinks and specials
     * @param dirMtimes  compare mtimes of directories
     * @param nanos      compare nanoseconds (otherwise seconds only)
     * @param hardLinks  mark hard-link groups (otherwise each link is listed as a plain file)
     * @param xattrs     list extended attribute names and value hashes
     */
    public record Options(boolean owners, boolean mtimes, boolean dirMtimes, boolean nanos, boolean hardLinks, boolean xattrs) {
        public static final Options ALL = new Options(true, true, true, false, true, false);

        public Options withOwners(boolean v) { return new Options(v, mtimes, dirMtimes, nanos, hardLinks, xattrs); }
        public Options withMtimes(boolean v) { return new Options(owners, v, dirMtimes, nanos, hardLinks, xattrs); }
        public Options withDirMtimes(boolean v) { return new Options(owners, mtimes, v, nanos, hardLinks, xattrs); }
        public Options withNanos(boolean v) { return new Options(owners, mtimes, dirMtimes, v, hardLinks, xattrs); }
        public Options withHardLinks(boolean v) { return new Options(owners, mtimes, dirMtimes, nanos, v, xattrs); }
        public Options withXattrs(boolean v) { return new Options(owners, mtimes, dirMtimes, nanos, hardLinks, v); }
    }

    private Listing() {}

    /** Lists a host directory (not following symlinks); the directory itself is "/". */
    public static String of(Path root, Options o) throws IOException {
        TreeMap<EntryPath, String> lines = new TreeMap<>();
        Map<Object, EntryPath> firstByInode = new HashMap<>();
        List<Path> all = new ArrayList<>();
        Files.walkFileTree(root, new SimpleFileVisitor<>() {
            @Override public FileVisitResult preVisitDirectory(Path d, BasicFileAttributes a) { all.add(d); return FileVisitResult.CONTINUE; }
            @Override public FileVisitResult visitFile(Path f, BasicFileAttributes a) { all.add(f); return FileVisitResult.CONTINUE; }
        });
        // Hard-link groups are named after their first path in tree order, as Tree.entries() does.
        all.sort((a, b) -> pathOf(root, a).compareTo(pathOf(root, b)));
        for (Path p : all) {
            EntryPath ep = pathOf(root, p);
            Map<String, Object> a = Files.readAttributes(p, "unix:*", LinkOption.NOFOLLOW_LINKS);
            int mode = (Integer) a.get("mode");
            int type = mode & Node.S_IFMT;
            String link = "";
            if (o.hardLinks() && type != Node.S_IFDIR && (Integer) a.get("nlink") > 1) {
                Object key = List.of(a.get("dev"), a.get("ino"));
                EntryPath first = firstByInode.putIfAbsent(key, ep);
                if (first != null) link = " link=" + first.display();
            }
            FileTime mt = (FileTime) a.get("lastModifiedTime");
            long sec = Math.floorDiv(mt.to(java.util.concurrent.TimeUnit.NANOSECONDS), 1_000_000_000L);
            int nanos = (int) Math.floorMod(mt.to(java.util.concurrent.TimeUnit.NANOSECONDS), 1_000_000_000L);
            String detail = switch (type) {
                case Node.S_IFREG -> sha256(Files.newInputStream(p)) + " " + a.get("size");
                case Node.S_IFLNK -> "-> " + Files.readSymbolicLink(p);
                case Node.S_IFCHR, Node.S_IFBLK -> {
                    long rdev = (Long) a.get("rdev");
                    yield major(rdev) + ":" + minor(rdev);
                }
                default -> "";
            };
            String xattrs = o.xattrs() ? hostXattrs(p) : "";
            lines.put(ep, line(ep, type, mode & 07777, (Integer) a.get("uid"), (Integer) a.get("gid"), sec, nanos, detail, o) + xattrs + link);
        }
        return String.join("\n", lines.values()) + "\n";
    }

    /** Lists a kiln tree in the same format. */
    public static String of(Tree tree, Options o) throws IOException {
        StringBuilder sb = new StringBuilder();
        for (Entry e : tree.entries()) {
            Node n = e.node();
            String link = "";
            if (n instanceof Node.HardLink h) {
                n = tree.resolve(h.target());
                if (o.hardLinks()) link = " link=" + h.target().display();
            }
            Metadata m = n.meta();
            String detail = switch (n) {
                case Node.File f -> {
                    try (InputStream in = f.content().open()) {
                        yield sha256(in) + " " + f.content().size();
                    }
                }
                case Node.Symlink s -> "-> " + s.target();
                case Node.Device d -> d.major() + ":" + d.minor();
                default -> "";
            };
            String xattrs = "";
            if (o.xattrs()) {
                StringBuilder x = new StringBuilder();
                for (var xe : m.xattrs().asMap().entrySet()) {
                    x.append(" xattr:").append(xe.getKey()).append('=').append(sha256(new java.io.ByteArrayInputStream(xe.getValue())), 0, 12);
                }
                xattrs = x.toString();
            }
            sb.append(line(e.path(), n.typeBits(), m.permissions(), m.uid(), m.gid(), m.mtime(), m.mtimeNanos(), detail, o))
                    .append(xattrs).append(link).append('\n');
        }
        return sb.toString();
    }

    /** One listing line; shared with other oracles (the guest listing) so every listing has one format. */
    public static String line(EntryPath p, int type, int perms, long uid, long gid, long sec, int nanos, String detail, Options o) {
        char t = switch (type) {
            case Node.S_IFREG -> '-'; case Node.S_IFDIR -> 'd'; case Node.S_IFLNK -> 'l'; case Node.S_IFCHR -> 'c';
            case Node.S_IFBLK -> 'b'; case Node.S_IFIFO -> 'p'; case Node.S_IFSOCK -> 's'; default -> '?';
        };
        StringBuilder sb = new StringBuilder();
        sb.append(p.display()).append(' ').append(t).append(' ').append(String.format("%04o", perms));
        if (o.owners()) sb.append(' ').append(uid).append(':').append(gid);
        boolean time = t == 'd' ? o.dirMtimes() : o.mtimes();
        if (time) {
            sb.append(" t=").append(sec);
            if (o.nanos()) sb.append('.').append(String.format("%09d", nanos));
        }
        if (!detail.isEmpty()) sb.append(' ').append(detail);
        return sb.toString();
    }

    private static String hostXattrs(Path p) throws IOException {
        // getfattr (package attr) dumps every namespace we can read, values hex-encoded.
        if (Files.isSymbolicLink(p)) return "";
        Process pr = new ProcessBuilder("getfattr", "--absolute-names", "-h", "-d", "-m", "-", "-e", "hex", p.toString())
                .redirectErrorStream(true).start();
        String out = new String(pr.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        try {
            pr.waitFor();
        } catch (InterruptedException e) {
            throw new IOException(e);
        }
        StringBuilder x = new StringBuilder();
        for (String l : out.split("\n")) {
            int eq = l.indexOf('=');
            if (l.startsWith("#") || eq < 0) continue;
            String name = l.substring(0, eq);
            String hex = l.substring(eq + 1);
            byte[] v = hex.startsWith("0x") ? HexFormat.of().parseHex(hex.substring(2)) : new byte[0];
            x.append(" xattr:").append(name).append('=').append(sha256(new java.io.ByteArrayInputStream(v)), 0, 12);
        }
        return x.toString();
    }

    private static EntryPath pathOf(Path root, Path p) {
        String rel = root.relativize(p).toString();
        return rel.isEmpty() ? EntryPath.ROOT : EntryPath.parse(rel);
    }

    static long major(long dev) {
        return ((dev >>> 8) & 0xfff) | ((dev >>> 32) & ~0xfffL);
    }

    static long minor(long dev) {
        return (dev & 0xff) | ((dev >>> 12) & ~0xffL);
    }

    public static String sha256(InputStream in) throws IOException {
        try (in) {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            byte[] buf = new byte[1 << 16];
            int n;
            while ((n = in.read(buf)) > 0) md.update(buf, 0, n);
            return HexFormat.of().formatHex(md.digest());
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
