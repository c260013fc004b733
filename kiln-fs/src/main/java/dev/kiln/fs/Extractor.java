package dev.kiln.fs;

import dev.kiln.fs.host.Posix;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * Writes a tree into a host directory, safely: paths come from {@link EntryPath} (no "..", no
 * absolute names), every directory on the way is checked to be a real directory and never a
 * symlink (an existing symlink in the target is replaced, not followed), files are created
 * with O_NOFOLLOW semantics, and device nodes are created only when running as root.
 * Owners are restored when root; permissions (all 12 bits), mtimes and xattrs always, as far as
 * the host allows. Directory modes and times are set last, deepest first, so a read-only
 * directory can still be filled and its mtime is not disturbed by its children.
 */
public final class Extractor {
    private final boolean root;

    public Extractor(boolean root) {
        this.root = root;
    }

    /** Whether this process runs as root (restores owners and devices). */
    public static boolean runningAsRoot() {
        try {
            return Integer.valueOf(0).equals(Files.getAttribute(Path.of("/proc/self"), "unix:uid"));
        } catch (IOException | UnsupportedOperationException e) {
            return false;
        }
    }

    /** Extracts {@code tree} into {@code dir} (created if missing); returns warnings about what was skipped. */
    public List<String> extract(Tree tree, Path dir) throws IOException {
        List<String> warnings = new ArrayList<>();
        Files.createDirectories(dir);
        if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) throw new KilnException(dir + ": not a directory");
        Path base = dir.toRealPath();
        record Pending(Path path, Metadata meta) {}
        List<Pending> dirs = new ArrayList<>();
        int skippedDevices = 0;
        try (Posix posix = new Posix()) {
            for (Entry e : tree.entries()) {
                Path p = e.path().isRoot() ? base : base.resolve(e.path().value());
                Node n = e.node();
                if (n instanceof Node.Directory d) {
                    if (!e.path().isRoot()) {
                        if (Files.exists(p, LinkOption.NOFOLLOW_LINKS) && !Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) Files.delete(p);
                        if (!Files.exists(p, LinkOption.NOFOLLOW_LINKS)) Files.createDirectory(p);
                    }
                    // Writable while children are added; the real mode comes at the end.
                    posix.chmod(p, 0700);
                    dirs.add(new Pending(p, d.meta()));
                    continue;
                }
                clear(p, e.path());
                switch (n) {
                    case Node.HardLink h -> {
                        Path target = base.resolve(h.target().value());
                        if (!Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
                            warnings.add(e.path().display() + ": not extracted, its hard-link target " + h.target().display() + " was skipped");
                            continue;
                        }
                        Files.createLink(p, target);
                        continue; // the metadata is the target's
                    }
                    case Node.File f -> {
                        try (FileChannel ch = FileChannel.open(p, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS)) {
                            f.content().writeTo(ch);
                        }
                    }
                    case Node.Symlink s -> Files.createSymbolicLink(p, Path.of(s.target()));
                    case Node.Device d -> {
                        if (!root) {
                            skippedDevices++;
                            continue;
                        }
                        posix.mknod(p, d.mode(), d.major(), d.minor());
                    }
                    case Node.Fifo f -> posix.mknod(p, f.mode(), 0, 0);
                    case Node.Socket s -> posix.mknod(p, s.mode(), 0, 0);
                    case Node.Directory d -> throw new AssertionError();
                }
                apply(posix, p, n.meta(), n instanceof Node.Symlink, e.path(), warnings);
            }
            for (Pending d : dirs.reversed()) {
                apply(posix, d.path(), d.meta(), false, null, warnings);
            }
        }
        if (skippedDevices > 0) warnings.add(skippedDevices + " device nodes not created: only root may create device nodes");
        return warnings;
    }

    /** Removes whatever is in the way at {@code p}, except a directory, which would lose data. */
    private static void clear(Path p, EntryPath at) throws IOException {
        if (!Files.exists(p, LinkOption.NOFOLLOW_LINKS)) return;
        if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
            throw new KilnException(at.display() + ": a directory is in the way of a non-directory; extract into an empty directory");
        }
        Files.delete(p);
    }

    private void apply(Posix posix, Path p, Metadata m, boolean symlink, EntryPath at, List<String> warnings) throws IOException {
        // chown first: it clears setuid/setgid, which chmod then restores.
        if (root) posix.lchown(p, m.uid(), m.gid());
        if (!symlink) posix.chmod(p, m.permissions());
        for (var x : m.xattrs().asMap().entrySet()) {
            try {
                posix.setXattr(p, x.getKey(), x.getValue());
            } catch (IOException e) {
                warnings.add((at == null ? p.toString() : at.display()) + ": xattr " + x.getKey() + " not set: " + e.getMessage());
            }
        }
        posix.setMtime(p, m.mtime(), m.mtimeNanos());
    }
}
