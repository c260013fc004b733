package dev.kiln.fs.cpio;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.kiln.fs.Entry;
import dev.kiln.fs.KilnException;
import dev.kiln.fs.Node;
import dev.kiln.fs.Tree;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * Any bytes at all: the reader may only refuse them with a KilnException, and a tree it returns
 * must be fully readable. In a plain {@code mvn test} this replays the seed corpus in
 * {@code CpioReaderFuzzTestInputs/anyBytesFailCleanlyOrReadFully/}; with {@code JAZZER_FUZZ=1} it fuzzes.
 */
class CpioReaderFuzzTest {
    private static Path dir;

    @BeforeAll
    static void createDir() throws IOException {
        // Every input goes through a file; tmpfs keeps that from dominating the exec rate.
        Path shm = Path.of("/dev/shm");
        dir = Files.isDirectory(shm) && Files.isWritable(shm)
                ? Files.createTempDirectory(shm, "kiln-cpio-fuzz") : Files.createTempDirectory("kiln-cpio-fuzz");
    }

    @AfterAll
    static void deleteDir() throws IOException {
        try (var s = Files.walk(dir)) {
            for (Path p : s.sorted(java.util.Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        }
    }

    @FuzzTest(maxDuration = "20s")
    void anyBytesFailCleanlyOrReadFully(byte[] data) throws IOException {
        Path file = Files.write(dir.resolve("fuzz.cpio"), data);
        Tree tree;
        try {
            tree = new CpioReader().read(file);
        } catch (KilnException e) {
            if (e.getMessage() == null || e.getMessage().contains("\n")) throw new AssertionError("not a one-line message", e);
            return; // refused cleanly
        }
        long bytes = 0;
        for (Entry e : tree.entries()) {
            // Each group's content is counted once, at its first path; links must resolve.
            if (e.isHardLink()) {
                tree.resolve(((Node.HardLink) e.node()).target());
                continue;
            }
            if (e.node() instanceof Node.File f) {
                try (InputStream in = f.content().open()) {
                    long got = in.transferTo(OutputStream.nullOutputStream());
                    if (got != f.content().size()) throw new AssertionError(e.path() + ": read " + got + " of " + f.content().size());
                    bytes += got;
                }
            }
        }
        // Contents are disjoint slices of the archive, so together they cannot exceed it.
        if (bytes > data.length) throw new AssertionError("contents (" + bytes + " bytes) larger than the archive (" + data.length + ")");
    }
}
