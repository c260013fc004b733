package dev.kiln.platform.rom;

import dev.kiln.fs.Entry;
import dev.kiln.fs.EntryPath;
import dev.kiln.fs.ImageFormat;
import dev.kiln.fs.Images;
import dev.kiln.fs.Node;
import dev.kiln.fs.Tree;
import dev.kiln.fs.build.ImageBuild;
import dev.kiln.fs.build.MtimePolicy;
import dev.kiln.fs.build.Source;
import dev.kiln.fs.target.Target;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;

/**
 * An instance's initrd: its image's initrd (or none) with ROMs placed at paths inside it, as
 * one uncompressed newc cpio. Unikraft 0.17 reads only the first archive of an initrd, so ROMs
 * cannot ride as archives appended to the base; everything goes into one.
 *
 * <p>A placement behaves like a mount: whatever the base has at and below {@code at} is hidden
 * (gone from the result), {@code at} becomes a directory with the ROM root's mode, owner and
 * time, and the ROM's entries go below it. Missing parents of {@code at} are made 0755,
 * root's, time 0; a file or symlink of the base at {@code at} or on the way to it is replaced by
 * a directory (a symlink on the way is not followed, unlike a real mount). Placements apply
 * shallowest first, so a ROM at {@code /a/b} shows over one at {@code /a}; at equal depth, in
 * the order given. ROMs may be EROFS, cpio or tar images (plain or compressed).
 *
 * <p>Results are cached by what the caller says the inputs are, never by reading them: the key
 * is a sha256 over {@link #FORMAT}, {@code baseKey}, each placement's {@code romKey} and
 * {@code at} (in the order they apply) and the target, and the result lives at
 * {@code <cacheDir>/<key>.cpio}, written to a temporary name and renamed into place. Keys must
 * therefore change when content does: layer and blob digests are the natural choice. A hit costs
 * a hash of a few hundred bytes and two system calls. Composes of one key at the same time build
 * once. The output is reproducible: the same inputs give the same bytes.
 */
public final class InitrdComposer {
    /** Part of every key: bump it when the composition's rules or kiln's cpio writer change what they produce. */
    static final String FORMAT = "kiln-initrd-compose-1";

    private final Path dir;
    private final ConcurrentHashMap<String, CompletableFuture<Composition>> building = new ConcurrentHashMap<>();

    /** A ROM to place: its image file, a key that changes whenever its content does, and the absolute path it goes at. */
    public record Placement(Path rom, String romKey, String at) {
        public Placement {
            Objects.requireNonNull(rom, "rom");
            Objects.requireNonNull(romKey, "romKey");
            Objects.requireNonNull(at, "at");
        }
    }

    /** A composed initrd: the cache file (read it, do not change it), its size, and whether it was there already. */
    public record Composition(Path file, long size, boolean cached) {}

    /** What {@link #trim} deleted. */
    public record Trimmed(int files, long bytes) {}

    private InitrdComposer(Path dir) {
        this.dir = dir;
    }

    /** A composer caching in {@code cacheDir} (created if missing). */
    public static InitrdComposer open(Path cacheDir) throws IOException {
        return new InitrdComposer(Files.createDirectories(cacheDir));
    }

    /**
     * The initrd of {@code base} (null: an image without one; {@code baseKey} is then ignored)
     * with {@code placements} applied, checked and adapted for {@code target}
     * ({@link Target#UNIKRAFT} for Unikraft guests; null for Linux guests, which take the tree
     * as it is). An {@code at} must be an absolute path without '.', '..' or empty components.
     */
    public Composition compose(Path base, String baseKey, List<Placement> placements, Target target) throws IOException {
        List<Placement> order = ordered(placements);
        String key = key(base == null ? null : Objects.requireNonNull(baseKey, "baseKey"), order, target);
        Path file = dir.resolve(key + ".cpio");
        Composition hit = hit(file);
        if (hit != null) return hit;
        CompletableFuture<Composition> mine = new CompletableFuture<>();
        CompletableFuture<Composition> running = building.putIfAbsent(key, mine);
        if (running != null) return join(running);
        try {
            hit = hit(file); // finished between the first look and the claim
            Composition c = hit != null ? hit : build(base, order, target, file);
            mine.complete(c);
            return c;
        } catch (IOException | RuntimeException | Error e) {
            mine.completeExceptionally(e);
            throw e;
        } finally {
            building.remove(key, mine);
        }
    }

    private static Composition join(CompletableFuture<Composition> f) throws IOException {
        try {
            Composition c = f.get();
            return new Composition(c.file, c.size, true);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while another thread composed the same initrd");
        } catch (ExecutionException e) {
            Throwable t = e.getCause();
            if (t instanceof IOException io) throw io;
            if (t instanceof RuntimeException r) throw r;
            if (t instanceof Error err) throw err;
            throw new IOException(t);
        }
    }

    /** The file when it is there, its time set to now so that {@link #trim} keeps what is used. */
    private static Composition hit(Path file) throws IOException {
        BasicFileAttributes a;
        try {
            a = Files.readAttributes(file, BasicFileAttributes.class);
        } catch (NoSuchFileException e) {
            return null;
        }
        try {
            Files.setLastModifiedTime(file, FileTime.fromMillis(System.currentTimeMillis()));
        } catch (NoSuchFileException e) {
            return null; // trimmed this instant
        }
        return new Composition(file, a.size(), true);
    }

    /** Shallowest first, stable, with each {@code at} checked. */
    private static List<Placement> ordered(List<Placement> placements) {
        List<Placement> out = new ArrayList<>(placements);
        for (Placement p : out) mountPoint(p.at);
        out.sort(Comparator.comparingInt(p -> mountPoint(p.at).depth()));
        return out;
    }

    private static EntryPath mountPoint(String at) {
        if (!at.startsWith("/")) throw new IllegalArgumentException("ROM mount point \"" + EntryPath.printable(at) + "\": not an absolute path");
        return EntryPath.parse(at);
    }

    static String key(String baseKey, List<Placement> order, Target target) {
        MessageDigest h = dev.kiln.oci.Digest.sha256();
        StringBuilder s = new StringBuilder(FORMAT).append('\0').append(baseKey == null ? "-" : "base " + baseKey).append('\0');
        for (Placement p : order) s.append(p.romKey).append('\0').append(mountPoint(p.at).display()).append('\0');
        s.append(target == null ? "none" : target.id());
        return HexFormat.of().formatHex(h.digest(s.toString().getBytes(StandardCharsets.UTF_8)));
    }

    private Composition build(Path base, List<Placement> order, Target target, Path file) throws IOException {
        ImageBuild b = ImageBuild.builder().source(new Composed(base, order)).format(ImageFormat.CPIO).compression("none")
                .mtime(MtimePolicy.KEEP).target(target == null ? Target.GENERIC : target).temporaryDirectory(dir).build();
        long size = b.writeTo(file).imageSize();
        return new Composition(file, size, false);
    }

    /** The base with the ROMs laid in, as one source of a build. */
    private record Composed(Path base, List<Placement> order) implements Source {
        @Override
        public void addTo(Tree tree, Context context) throws IOException {
            if (base != null) context.overlay(tree, Images.read(base, context.temporaryDirectory()), false);
            for (Placement p : order) {
                EntryPath at = mountPoint(p.at);
                Tree rom = Images.read(p.rom, context.temporaryDirectory());
                tree.adopt(rom); // its contents are read when the archive is written
                tree.remove(at);
                for (Entry e : rom.entries()) {
                    Node n = e.node();
                    if (n instanceof Node.HardLink l) n = new Node.HardLink(at.resolve(l.target()));
                    tree.put(at.resolve(e.path()), n);
                }
            }
        }

        @Override
        public String describe() {
            return "initrd " + base + " with " + order.size() + " ROM(s)";
        }
    }

    /**
     * Deletes the least recently used compositions until the rest take at most {@code maxBytes},
     * and temporary files no compose is writing. Safe while guests run: QEMU reads an initrd
     * whole when it starts.
     */
    public Trimmed trim(long maxBytes) throws IOException {
        record Item(Path path, long size, long time) {}
        List<Item> items = new ArrayList<>(), temporaries = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
            for (Path p : ds) {
                String name = p.getFileName().toString();
                BasicFileAttributes a;
                try {
                    a = Files.readAttributes(p, BasicFileAttributes.class);
                } catch (NoSuchFileException e) {
                    continue;
                }
                Item i = new Item(p, a.size(), a.lastModifiedTime().toMillis());
                if (name.endsWith(".cpio") && !name.startsWith(".")) items.add(i);
                else if (name.endsWith(".kiln-tmp") || name.endsWith(".spool")) temporaries.add(i);
            }
        }
        int files = 0;
        long bytes = 0;
        // A temporary file listed above was made by a compose that had begun by then: one still
        // running has its key in the map ('.KEY.cpio.*.kiln-tmp'); decompressed images
        // ('kiln-*.spool') name no key, so they go only when no compose runs at all.
        for (Item t : temporaries) {
            String name = t.path.getFileName().toString();
            boolean running = name.endsWith(".spool") ? !building.isEmpty()
                    : name.length() > 65 && building.containsKey(name.substring(1, 65));
            if (!running && Files.deleteIfExists(t.path)) {
                files++;
                bytes += t.size;
            }
        }
        items.sort(Comparator.comparingLong(Item::time).reversed());
        long kept = 0;
        for (Item i : items) {
            if (kept + i.size <= maxBytes) {
                kept += i.size;
            } else if (Files.deleteIfExists(i.path)) {
                files++;
                bytes += i.size;
            }
        }
        return new Trimmed(files, bytes);
    }
}
