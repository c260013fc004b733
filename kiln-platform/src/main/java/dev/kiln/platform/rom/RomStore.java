package dev.kiln.platform.rom;

import dev.kiln.fs.ImageFormat;
import dev.kiln.fs.build.ImageBuild;
import dev.kiln.fs.build.MemorySource;
import dev.kiln.fs.build.MtimePolicy;
import dev.kiln.fs.build.Ownership;
import dev.kiln.fs.build.Source;
import dev.kiln.oci.Digest;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The inline ROMs of every instance, as EROFS images stored once per content under
 * {@code DIR/sha256/<hex>}: two instances given the same files share one blob, which QEMU
 * attaches read-only. Nothing here knows which instance uses what; the platform's database
 * does, and {@link #collect} deletes what it no longer names.
 *
 * <p>Crash safety without fsync: a blob is written under a temporary name in the same
 * directory and renamed into place whole, so a blob file is always complete. A killed process
 * (kill -9) leaves its writes in the page cache, where the next process sees them; only a lost
 * host could lose them, and then the instances that used them are gone too. Whatever a crash
 * leaves (a temporary file, a blob the database never recorded) goes at the next
 * {@link #collect}, which the platform runs at start with what its database still references.
 *
 * <p>Thread-safe: puts of the same content at the same time each write a temporary file and
 * rename it over the other's, which is the same bytes.
 */
public final class RomStore {
    /** Images carry this time everywhere, so equal files give equal bytes and one blob. */
    static final long MTIME = 0;
    private static final String TEMP_SUFFIX = ".tmp";

    private final Path blobs;
    private final long graceNanos;
    /** When this process last put each blob: a put and the database row that records it are not atomic. */
    private final ConcurrentHashMap<Digest, Long> recent = new ConcurrentHashMap<>();
    /** Temporary files being written now, which {@link #collect} must leave alone. */
    private final Set<Path> writing = ConcurrentHashMap.newKeySet();
    private final AtomicLong counter = new AtomicLong();
    private final String pid = Long.toString(ProcessHandle.current().pid());

    /** An inline ROM as stored: its digest, its file and its size in bytes. */
    public record Stored(Digest digest, Path path, long size) {}

    /** What {@link #collect} deleted: blobs no one references, and temporary files crashes left. */
    public record Collected(Set<Digest> blobs, List<Path> temporaryFiles) {}

    private RomStore(Path dir, Duration grace) {
        this.blobs = dir.resolve("sha256");
        this.graceNanos = grace.toNanos();
    }

    /** The store in {@code dir} (created if missing), with a one-minute grace for blobs just put (see {@link #collect}). */
    public static RomStore open(Path dir) throws IOException {
        return open(dir, Duration.ofMinutes(1));
    }

    /**
     * The store in {@code dir}; {@link #collect} keeps any blob this process put less than
     * {@code grace} ago, referenced or not, since its instance may not be in the database yet.
     */
    public static RomStore open(Path dir, Duration grace) throws IOException {
        RomStore s = new RomStore(dir, grace);
        Files.createDirectories(s.blobs);
        return s;
    }

    /**
     * Checks {@code files} ({@link InlineRoms#validate}: {@code field} is the ROM's field, such as
     * {@code roms[2]}), builds their EROFS image in memory (parent directories 0755, files 0644,
     * all root's, all at time 0) and stores it unless an equal one is there.
     */
    public Stored putInline(String field, List<InlineFile> files) throws IOException {
        List<String> paths = InlineRoms.validate(field, files);
        MemorySource.Builder source = Source.memory();
        for (int i = 0; i < paths.size(); i++) source.file(paths.get(i), files.get(i).data());
        byte[] image = ImageBuild.builder().source(source.build()).format(ImageFormat.EROFS)
                .mtime(MtimePolicy.fixed(MTIME)).owners(Ownership.ROOT).build().toBytes();
        return put(image);
    }

    /** {@link #putInline(String, List)} for a ROM with no field prefix (messages name {@code files[i]}). */
    public Stored putInline(List<InlineFile> files) throws IOException {
        return putInline("", files);
    }

    private Stored put(byte[] image) throws IOException {
        Digest d = Digest.of(image);
        Path target = path(d);
        recent.put(d, System.nanoTime());
        if (!Files.exists(target)) {
            Path tmp = blobs.resolve("." + d.encoded() + "." + pid + "-" + counter.incrementAndGet() + TEMP_SUFFIX);
            writing.add(tmp);
            try {
                try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                    ByteBuffer b = ByteBuffer.wrap(image);
                    while (b.hasRemaining()) ch.write(b);
                }
                // rename(2) replaces a blob another put stored meanwhile: the same bytes.
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
            } finally {
                Files.deleteIfExists(tmp);
                writing.remove(tmp);
            }
        }
        return new Stored(d, target, image.length);
    }

    /** Where blob {@code d} is (or would be). */
    public Path path(Digest d) {
        return blobs.resolve(d.encoded());
    }

    public boolean contains(Digest d) {
        return d.algorithm().equals("sha256") && Files.isRegularFile(path(d));
    }

    /** Every blob stored, in digest order. */
    public Set<Digest> digests() throws IOException {
        Set<Digest> out = new TreeSet<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(blobs)) {
            for (Path p : ds) {
                Digest d = digestOf(p);
                if (d != null) out.add(d);
            }
        }
        return out;
    }

    /** Deletes blob {@code d}; whether it was there. */
    public boolean delete(Digest d) throws IOException {
        recent.remove(d);
        return Files.deleteIfExists(path(d));
    }

    /**
     * Deletes every blob not in {@code keep}, except those this process put within the grace
     * period, and every temporary file no put of this process is writing. {@code keep} is what
     * the database references; run at start (when nothing is in flight, so everything a crash
     * left goes) and after deletes.
     */
    public Collected collect(Set<Digest> keep) throws IOException {
        Set<Digest> deleted = new TreeSet<>();
        List<Path> temporaries = new ArrayList<>();
        long now = System.nanoTime();
        recent.values().removeIf(t -> now - t >= graceNanos);
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(blobs)) {
            for (Path p : ds) {
                String name = p.getFileName().toString();
                if (name.startsWith(".") && name.endsWith(TEMP_SUFFIX)) {
                    if (!writing.contains(p) && deleteQuietly(p)) temporaries.add(p);
                    continue;
                }
                Digest d = digestOf(p);
                if (d == null || keep.contains(d)) continue;
                Long put = recent.get(d);
                if (put != null && now - put < graceNanos) continue;
                if (deleteQuietly(p)) deleted.add(d);
            }
        }
        return new Collected(deleted, temporaries);
    }

    private static boolean deleteQuietly(Path p) throws IOException {
        try {
            return Files.deleteIfExists(p);
        } catch (NoSuchFileException e) {
            return false;
        }
    }

    private static Digest digestOf(Path p) {
        String name = p.getFileName().toString();
        if (name.length() != 64) return null;
        for (int i = 0; i < 64; i++) {
            char c = name.charAt(i);
            if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return null;
        }
        return new Digest("sha256", name);
    }
}
