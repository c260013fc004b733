package dev.kiln.fs.lz4;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The compressors read without bounds checks where the JVM allows Unsafe's memory access (as
 * {@code ./kiln} runs them) and with checks otherwise (as this test JVM runs them): both must
 * write the same bytes. A second JVM started with the option compresses the standard corpus with
 * every compressor and mode and prints a digest of the output, which must equal this JVM's.
 */
class Lz4UncheckedReadsTest {
    @Test
    void uncheckedReadsCompressToTheSameBytes() throws IOException, InterruptedException {
        assertThat(Lz4Blocks.unchecked()).as("this JVM runs the checked path").isFalse();
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        Process p = new ProcessBuilder(java.toString(), "--sun-misc-unsafe-memory-access=allow",
                "-cp", System.getProperty("java.class.path"), Lz4UncheckedReadsTest.class.getName())
                .redirectErrorStream(true).start();
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(out).isZero();
        assertThat(out).isEqualTo("unchecked " + digest());
    }

    /** Run in the second JVM: whether its reads are unchecked, and the digest. */
    public static void main(String[] args) {
        System.out.println((Lz4Blocks.unchecked() ? "unchecked " : "checked ") + digest());
    }

    /** SHA-256 over every compressor's output for the standard corpus: whole blocks and filled pclusters. */
    static String digest() {
        MessageDigest md;
        try {
            md = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        List<Corpus> corpus = Corpus.standard();
        int[] levels = {0, 1, 4, 9, 10, 12}; // 0: the fast compressor
        for (int level : levels) {
            Lz4Compressor z = level == 0 ? Lz4Compressor.fast() : Lz4Compressor.hc(level);
            for (Corpus c : corpus) {
                byte[] src = c.data();
                if (level == 12 && src.length > 100_000) continue; // level 12 is slow; smaller inputs cover it
                byte[] dst = new byte[Lz4Blocks.bound(src.length)];
                int n = z.compress(src, 0, src.length, dst, 0, dst.length);
                md.update(dst, 0, Math.max(n, 0));
                // Filling 4 KiB and 64 KiB pclusters, as the EROFS writer does.
                for (int cap : new int[] {4096, 65536}) {
                    byte[] out = new byte[cap];
                    for (int at = 0; at < src.length; ) {
                        long r = z.compressDestSize(src, at, src.length - at, out, 0, cap);
                        int read = (int) (r >>> 32);
                        md.update(out, 0, Lz4Compressor.written(r));
                        if (read <= 0) break;
                        at += read;
                    }
                }
            }
        }
        return HexFormat.of().formatHex(md.digest());
    }
}
