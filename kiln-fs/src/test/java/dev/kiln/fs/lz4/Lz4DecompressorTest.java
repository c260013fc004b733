package dev.kiln.fs.lz4;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Decodes blocks made by the real liblz4 (called through the FFM API), so the decoder is checked
 * against the reference encoder's output rather than against our own compressor, and holds
 * hand-made blocks to the reference decoder's verdict.
 */
class Lz4DecompressorTest {
    private static final LibLz4 LIB = LibLz4.load();

    /** Compresses with liblz4: level 0 = LZ4_compress_default, otherwise LZ4_compress_HC at that level. */
    static byte[] nativeCompress(byte[] in, int level) {
        byte[] dst = new byte[Lz4Blocks.bound(in.length)];
        int n = level == 0 ? LIB.compressDefault(in, in.length, dst) : LIB.compressHc(in, in.length, dst, level);
        assertThat(n).as("liblz4 result").isPositive();
        return Arrays.copyOf(dst, n);
    }

    /** LZ4_compress_destSize into {@code target} bytes; returns {consumed, block}. */
    static Object[] nativeDestSize(byte[] in, int target) {
        byte[] dst = new byte[target];
        long r = LIB.compressDestSize(in, in.length, dst, target);
        assertThat(Lz4Compressor.written(r)).isPositive();
        return new Object[] {Lz4Compressor.consumed(r), Arrays.copyOf(dst, Lz4Compressor.written(r))};
    }

    static List<byte[]> inputs() {
        List<byte[]> out = new ArrayList<>();
        SplittableRandom r = new SplittableRandom(42);
        out.add(new byte[] {7});
        out.add("hello".getBytes());
        out.add(new byte[13]); // the smallest block that may hold a match
        out.add(new byte[100_000]); // long runs: offset-1 overlapping matches
        byte[] random = new byte[70_000];
        r.nextBytes(random);
        out.add(random); // incompressible: long literal runs
        byte[] text = new byte[300_000];
        String[] words = {"kiln ", "erofs ", "cpio ", "tar ", "unikernel ", "\n", "block ", "root "};
        for (int i = 0; i < text.length; ) {
            byte[] w = words[r.nextInt(words.length)].getBytes();
            int n = Math.min(w.length, text.length - i);
            System.arraycopy(w, 0, text, i, n);
            i += n;
        }
        out.add(text);
        byte[] periodic = new byte[50_000]; // short periods: overlapping matches with offsets 2..7
        for (int i = 0; i < periodic.length; i++) periodic[i] = (byte) (i % (2 + (i / 5000) % 6));
        out.add(periodic);
        byte[] mixed = new byte[1 << 20];
        for (int i = 0; i < mixed.length; i++) mixed[i] = (i / 512) % 2 == 0 ? (byte) ('a' + r.nextInt(8)) : (byte) r.nextInt(256);
        out.add(mixed);
        byte[] far = new byte[200_000]; // matches near the 65535 window limit
        byte[] chunk = new byte[1000];
        r.nextBytes(chunk);
        for (int i = 0; i + 1000 <= far.length; i += 65_000) System.arraycopy(chunk, 0, far, i, 1000);
        out.add(far);
        return out;
    }

    @Test
    void decodesBlocksFromLiblz4DefaultAndHc() {
        for (byte[] in : inputs()) {
            for (int level : new int[] {0, 1, 9, 12}) {
                byte[] block = nativeCompress(in, level);
                // Decode into the middle of a larger buffer to prove the offsets are honoured.
                byte[] dst = new byte[in.length + 20];
                Arrays.fill(dst, (byte) 0x5A);
                byte[] src = new byte[block.length + 6];
                System.arraycopy(block, 0, src, 3, block.length);
                int n = Lz4Decompressor.decompress(src, 3, block.length, dst, 10, in.length);
                assertThat(n).as("level %d, %d bytes", level, in.length).isEqualTo(in.length);
                assertThat(Arrays.copyOfRange(dst, 10, 10 + in.length)).isEqualTo(in);
                for (int i = 0; i < 10; i++) assertThat(dst[i]).isEqualTo((byte) 0x5A);
                for (int i = 10 + in.length; i < dst.length; i++) assertThat(dst[i]).isEqualTo((byte) 0x5A);
            }
        }
    }

    @Test
    void decodesDestSizeBlocks() {
        for (byte[] in : inputs()) {
            for (int target : new int[] {16, 4096, 8192, 65536}) {
                Object[] r = nativeDestSize(in, target);
                int consumed = (int) r[0];
                byte[] block = (byte[]) r[1];
                assertThat(block.length).isLessThanOrEqualTo(target);
                byte[] dst = new byte[consumed];
                int n = Lz4Decompressor.decompress(block, 0, block.length, dst, 0, consumed);
                assertThat(n).isEqualTo(consumed);
                assertThat(dst).isEqualTo(Arrays.copyOf(in, consumed));
            }
        }
    }

    @Test
    void outputLargerThanNeededReportsTheProducedLength() {
        byte[] in = inputs().get(5);
        byte[] block = nativeCompress(in, 0);
        byte[] dst = new byte[in.length + 1000];
        assertThat(Lz4Decompressor.decompress(block, 0, block.length, dst, 0, dst.length)).isEqualTo(in.length);
    }

    @Test
    void prefixDecodingStopsWhereAsked() {
        for (byte[] in : inputs()) {
            if (in.length > 300_000) continue;
            byte[] block = nativeCompress(in, 9);
            for (int want : new int[] {0, 1, 7, in.length / 3, in.length - 1, in.length}) {
                byte[] dst = new byte[want];
                int n = Lz4Decompressor.decompressPrefix(block, 0, block.length, dst, 0, want);
                assertThat(n).isEqualTo(Math.min(want, in.length));
                assertThat(dst).isEqualTo(Arrays.copyOf(in, want));
            }
            // Junk after the block (EROFS without 0-padding) is never looked at once the output is full.
            byte[] junk = Arrays.copyOf(block, block.length + 100);
            byte[] dst = new byte[in.length];
            assertThat(Lz4Decompressor.decompressPrefix(junk, 0, junk.length, dst, 0, in.length)).isEqualTo(in.length);
            assertThat(dst).isEqualTo(in);
        }
    }

    @Test
    void tooSmallOutputIsAnError() {
        byte[] in = inputs().get(5);
        byte[] block = nativeCompress(in, 9);
        assertThatThrownBy(() -> Lz4Decompressor.decompress(block, 0, block.length, new byte[in.length - 1], 0, in.length - 1))
                .isInstanceOf(Lz4Exception.class).hasMessageContaining("the output");
    }

    @Test
    void truncatedBlocksFail() {
        byte[] in = inputs().get(7);
        byte[] block = nativeCompress(in, 0);
        byte[] dst = new byte[in.length];
        for (int cut : new int[] {1, 2, 3, 100, block.length / 2, block.length - 1}) {
            assertThatThrownBy(() -> Lz4Decompressor.decompress(block, 0, cut, dst, 0, dst.length))
                    .as("cut at %d", cut).isInstanceOf(Lz4Exception.class).hasMessageStartingWith("offset ");
        }
        assertThatThrownBy(() -> Lz4Decompressor.decompress(block, 0, 0, dst, 0, dst.length)).isInstanceOf(Lz4Exception.class);
    }

    @Test
    void offsetsBeforeTheOutputFail() {
        // token: 1 literal, match len 4; offset 2 but only 1 byte was produced.
        byte[] bad = {0x10, 'a', 0x02, 0x00, 0x50, 'x', 'x', 'x', 'x', 'x'};
        assertThatThrownBy(() -> Lz4Decompressor.decompress(bad, 0, bad.length, new byte[64], 0, 64))
                .isInstanceOf(Lz4Exception.class).hasMessage("offset 2: match offset 2 reaches before the start of the output (1 bytes produced)");
        byte[] zero = {0x10, 'a', 0x00, 0x00, 0x50, 'x', 'x', 'x', 'x', 'x'};
        assertThatThrownBy(() -> Lz4Decompressor.decompress(zero, 0, zero.length, new byte[64], 0, 64))
                .isInstanceOf(Lz4Exception.class).hasMessageContaining("match offset 0");
        // Literal length that claims far more bytes than the block holds.
        byte[] lit = {(byte) 0xF0, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, 0x10, 'x'};
        assertThatThrownBy(() -> Lz4Decompressor.decompress(lit, 0, lit.length, new byte[1 << 16], 0, 1 << 16))
                .isInstanceOf(Lz4Exception.class).hasMessageContaining("literal length");
        // The decoder must not read past srcLen even when the array goes on.
        byte[] longer = {0x20, 'a', 'b', 'c'};
        assertThatThrownBy(() -> Lz4Decompressor.decompress(longer, 0, 2, new byte[8], 0, 8))
                .isInstanceOf(Lz4Exception.class).hasMessageContaining("run past the end");
    }

    /**
     * Hand-made blocks at the edges of the end-of-block rules, decoded into exactly their size:
     * kiln must accept what liblz4's {@code LZ4_decompress_safe} (the kernel's decoder) accepts
     * and reject what it rejects, since a lenient reader would pass images the kernel cannot read.
     */
    @Test
    void endOfBlockRulesAreTheReferenceDecoders() {
        HexFormat hex = HexFormat.of();
        String a8 = "41".repeat(8);
        // prefixOk: LZ4_decompress_safe_partial (EROFS's partly referenced pclusters) does not
        // enforce the rules, and neither may decompressPrefix.
        record Case(String what, String block, int size, boolean valid, String message, boolean prefixOk) {}
        List<Case> cases = List.of(
                new Case("13 literals", "d0" + "41".repeat(13), 13, true, null, true),
                new Case("a match 12 bytes before the end", "80" + a8 + "0800" + "80" + "42".repeat(8), 20, true, null, true),
                new Case("a match 8 bytes before the end", "80" + a8 + "0800" + "40" + "42".repeat(4), 16, false,
                        "a match follows literals that end 8 bytes before the end of the output", true),
                new Case("a match into the last 5 bytes", "8f" + a8 + "0800" + "ff00" + "30" + "42".repeat(3), 285, false,
                        "match of 274 bytes ends 3 bytes before the end of the output", true),
                new Case("a block that ends in a match", "80" + a8 + "0800", 12, false,
                        "2 bytes before the end of the block", true),
                new Case("literals that leave 7 bytes of block", "80" + a8 + "0800" + "40" + "42".repeat(4), 40, false,
                        "7 bytes before the end of the block", false));
        for (Case c : cases) {
            byte[] block = hex.parseHex(c.block());
            byte[] out = new byte[c.size()];
            int reference = LIB.decompressSafe(block, block.length, out, c.size());
            assertThat(reference >= 0).as("%s: liblz4's verdict", c.what()).isEqualTo(c.valid());
            if (c.valid()) {
                assertThat(Lz4Decompressor.decompress(block, 0, block.length, out, 0, c.size())).as(c.what()).isEqualTo(reference);
            } else {
                assertThatThrownBy(() -> Lz4Decompressor.decompress(block, 0, block.length, out, 0, c.size()))
                        .as(c.what()).isInstanceOf(Lz4Exception.class).hasMessageContaining(c.message());
                if (c.prefixOk()) {
                    assertThat(Lz4Decompressor.decompressPrefix(block, 0, block.length, out, 0, c.size())).as(c.what())
                            .isEqualTo(c.size());
                }
            }
        }
    }

    @Test
    void randomCorruptionNeverEscapesAsAnythingElse() {
        SplittableRandom r = new SplittableRandom(7);
        for (byte[] in : inputs()) {
            if (in.length > 300_000) continue;
            byte[] block = nativeCompress(in, 0);
            byte[] dst = new byte[in.length];
            for (int round = 0; round < 200; round++) {
                byte[] bad = block.clone();
                for (int k = 0; k < 1 + r.nextInt(4); k++) bad[r.nextInt(bad.length)] = (byte) r.nextInt(256);
                try {
                    int n = Lz4Decompressor.decompress(bad, 0, bad.length, dst, 0, dst.length);
                    assertThat(n).isBetween(0, dst.length);
                } catch (Lz4Exception expected) {
                    assertThat(expected.getMessage()).startsWith("offset ");
                }
            }
        }
    }
}
