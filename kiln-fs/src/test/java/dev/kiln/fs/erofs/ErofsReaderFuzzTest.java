package dev.kiln.fs.erofs;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.kiln.fs.Entry;
import dev.kiln.fs.KilnException;
import dev.kiln.fs.Node;
import dev.kiln.fs.Tree;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * Mutated EROFS images: the reader may refuse them only with a one-line {@link KilnException}
 * (or an IOException), must not hang or exhaust memory, and a tree it returns must be readable
 * to the end or fail the same clean way.
 *
 * <p>The seeds in {@code ErofsReaderFuzzTestInputs/anyImageFailsCleanlyOrReadsFully/} are small
 * mkfs.erofs 1.5 images (plain, LZ4 compact and full indexes, big pclusters, tail packing,
 * chunk indexes); a plain {@code mvn test} replays them and any crash files kept there. When the
 * first byte (unused by EROFS) is even, the harness recomputes the superblock checksum, so
 * mutations reach the inodes, directories and indexes instead of stopping at the checksum.
 */
class ErofsReaderFuzzTest {
    /** Reading stops after this much per file: a hole-only chunked file may legitimately be huge. */
    private static final long MAX_BYTES_PER_FILE = 4 << 20;
    private static final long MAX_BYTES_TOTAL = 32 << 20;
    private static Path dir;

    @BeforeAll
    static void createDir() throws IOException {
        dir = Files.createTempDirectory("kiln-erofs-fuzz");
    }

    @AfterAll
    static void deleteDir() throws IOException {
        try (var s = Files.walk(dir)) {
            for (Path p : s.sorted(java.util.Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        }
    }

    @FuzzTest(maxDuration = "20s")
    void anyImageFailsCleanlyOrReadsFully(byte[] data) throws IOException {
        byte[] image = data;
        if (data.length >= 4096 && (data[0] & 1) == 0) {
            image = data.clone();
            ErofsReaderCorruptTest.fixChecksum(image);
        }
        Path file = Files.write(dir.resolve("fuzz.erofs"), image);
        long started = System.nanoTime();
        try {
            readEverything(file);
        } catch (KilnException e) {
            if (e.getMessage() == null || e.getMessage().contains("\n")) throw new AssertionError("not a one-line message", e);
        } catch (IOException e) {
            // Allowed: an I/O problem is reported as such, not as a crash.
        }
        long ms = (System.nanoTime() - started) / 1_000_000;
        if (ms > 20_000) throw new AssertionError("reading a " + image.length + "-byte image took " + ms + " ms");
    }

    private static void readEverything(Path file) throws IOException {
        Tree tree = new ErofsReader().read(file);
        long total = 0;
        byte[] buf = new byte[1 << 16];
        for (Entry e : tree.entries()) {
            if (e.node() instanceof Node.HardLink h) {
                tree.resolve(h.target());
                continue;
            }
            if (!(e.node() instanceof Node.File f)) continue;
            long size = f.content().size();
            long got = 0;
            try (InputStream in = f.content().open()) {
                int n;
                while (got < MAX_BYTES_PER_FILE && (n = in.read(buf)) > 0) got += n;
            }
            if (got < MAX_BYTES_PER_FILE && got != size) throw new AssertionError(e.path() + ": read " + got + " of " + size + " bytes");
            total += got;
            if (got == size && size > 1) {
                // Skipping takes other paths (whole extents and segments passed over undecoded).
                try (InputStream in = f.content().open()) {
                    long skipped = in.skip(size / 2);
                    long rest = in.transferTo(java.io.OutputStream.nullOutputStream());
                    if (skipped + rest != size) throw new AssertionError(e.path() + ": skip " + skipped + " + read " + rest + " != " + size);
                }
            }
            if (total > MAX_BYTES_TOTAL) return;
        }
    }
}
