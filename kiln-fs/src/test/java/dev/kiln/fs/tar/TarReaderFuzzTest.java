package dev.kiln.fs.tar;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.kiln.fs.Entry;
import dev.kiln.fs.KilnException;
import dev.kiln.fs.Node;
import dev.kiln.fs.Tree;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Arbitrary bytes must either read as a tree whose every content can be read, or fail with a
 * {@link KilnException} (or an I/O error); never any other exception, a hang or an OOM. Normal
 * test runs replay the seeds and regressions in {@code TarReaderFuzzTestInputs/read/}; run with
 * {@code JAZZER_FUZZ=1} to fuzz.
 */
class TarReaderFuzzTest {
    @FuzzTest(maxDuration = "20s")
    void read(byte[] data) throws IOException {
        check(data);
    }

    /**
     * The same with every non-zero block's checksum made valid first. Random mutations almost
     * never keep a header checksum right, so without this the fuzzer would rarely get past the
     * checksum test into the parsing behind it. (Data blocks get "fixed" too; still valid input.)
     */
    @FuzzTest(maxDuration = "20s")
    void readWithValidChecksums(byte[] data) throws IOException {
        byte[] fixed = data.clone();
        for (int off = 0; off + TarFormat.BLOCK <= fixed.length; off += TarFormat.BLOCK) {
            byte[] block = java.util.Arrays.copyOfRange(fixed, off, off + TarFormat.BLOCK);
            boolean zero = true;
            for (byte b : block) zero &= b == 0;
            if (zero) continue;
            System.arraycopy(RawTar.checksum(block), 0, fixed, off, TarFormat.BLOCK);
        }
        check(fixed);
    }

    private static void check(byte[] data) throws IOException {
        Path f = Files.createTempFile("kiln-fuzz-", ".tar");
        try {
            Files.write(f, data);
            Tree tree;
            try {
                tree = new TarReader().read(f, "fuzz.tar");
            } catch (KilnException e) {
                return;
            }
            byte[] buf = new byte[8192];
            for (Entry e : tree.entries()) {
                if (e.node() instanceof Node.File file) {
                    try (InputStream in = file.content().open()) {
                        long n = 0;
                        for (int r; (r = in.read(buf)) > 0; ) n += r;
                        if (n != file.content().size()) throw new AssertionError(e.path() + ": read " + n + " of " + file.content().size());
                    }
                }
            }
        } finally {
            Files.deleteIfExists(f);
        }
    }
}
