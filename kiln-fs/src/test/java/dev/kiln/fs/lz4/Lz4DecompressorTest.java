package dev.kiln.fs.lz4;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.fail;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Decodes blocks made by the real liblz4 (called through the FFM API), so the decoder is checked
 * against the reference encoder's output rather than against our own compressor.
 */
class Lz4DecompressorTest {
    private static final Path LIB = Path.of("/usr/lib/x86_64-linux-gnu/liblz4.so.1");
    private static Arena arena;
    private static MethodHandle compressDefault, compressHc, compressDestSize, compressBound;

    @BeforeAll
    static void loadLibLz4() {
        if (!Files.exists(LIB)) fail(LIB + " is missing: apt-get install liblz4-1");
        arena = Arena.ofShared();
        SymbolLookup lib = SymbolLookup.libraryLookup(LIB, arena);
        Linker linker = Linker.nativeLinker();
        var I = ValueLayout.JAVA_INT;
        var P = ValueLayout.ADDRESS;
        compressDefault = linker.downcallHandle(lib.find("LZ4_compress_default").orElseThrow(), FunctionDescriptor.of(I, P, P, I, I));
        compressHc = linker.downcallHandle(lib.find("LZ4_compress_HC").orElseThrow(), FunctionDescriptor.of(I, P, P, I, I, I));
        compressDestSize = linker.downcallHandle(lib.find("LZ4_compress_destSize").orElseThrow(), FunctionDescriptor.of(I, P, P, P, I));
        compressBound = linker.downcallHandle(lib.find("LZ4_compressBound").orElseThrow(), FunctionDescriptor.of(I, I));
    }

    @AfterAll
    static void close() {
        if (arena != null) arena.close();
    }

    /** Compresses with liblz4: level 0 = LZ4_compress_default, otherwise LZ4_compress_HC at that level. */
    static byte[] nativeCompress(byte[] in, int level) throws Throwable {
        try (Arena a = Arena.ofConfined()) {
            int bound = (int) compressBound.invokeExact(in.length);
            MemorySegment src = a.allocate(Math.max(1, in.length));
            MemorySegment.copy(in, 0, src, ValueLayout.JAVA_BYTE, 0, in.length);
            MemorySegment dst = a.allocate(bound);
            int n = level == 0
                    ? (int) compressDefault.invokeExact(src, dst, in.length, bound)
                    : (int) compressHc.invokeExact(src, dst, in.length, bound, level);
            assertThat(n).as("liblz4 result").isPositive();
            return dst.asSlice(0, n).toArray(ValueLayout.JAVA_BYTE);
        }
    }

    /** LZ4_compress_destSize into {@code target} bytes; returns {consumed, block}. */
    static Object[] nativeDestSize(byte[] in, int target) throws Throwable {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment src = a.allocate(Math.max(1, in.length));
            MemorySegment.copy(in, 0, src, ValueLayout.JAVA_BYTE, 0, in.length);
            MemorySegment dst = a.allocate(target);
            MemorySegment size = a.allocate(ValueLayout.JAVA_INT);
            size.set(ValueLayout.JAVA_INT, 0, in.length);
            int n = (int) compressDestSize.invokeExact(src, dst, size, target);
            assertThat(n).isPositive();
            return new Object[] {size.get(ValueLayout.JAVA_INT, 0), dst.asSlice(0, n).toArray(ValueLayout.JAVA_BYTE)};
        }
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
    void decodesBlocksFromLiblz4DefaultAndHc() throws Throwable {
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
    void decodesDestSizeBlocks() throws Throwable {
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
    void outputLargerThanNeededReportsTheProducedLength() throws Throwable {
        byte[] in = inputs().get(5);
        byte[] block = nativeCompress(in, 0);
        byte[] dst = new byte[in.length + 1000];
        assertThat(Lz4Decompressor.decompress(block, 0, block.length, dst, 0, dst.length)).isEqualTo(in.length);
    }

    @Test
    void prefixDecodingStopsWhereAsked() throws Throwable {
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
    void tooSmallOutputIsAnError() throws Throwable {
        byte[] in = inputs().get(5);
        byte[] block = nativeCompress(in, 9);
        assertThatThrownBy(() -> Lz4Decompressor.decompress(block, 0, block.length, new byte[in.length - 1], 0, in.length - 1))
                .isInstanceOf(Lz4Exception.class).hasMessageContaining("the output");
    }

    @Test
    void truncatedBlocksFail() throws Throwable {
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
        byte[] bad = {0x10, 'a', 0x02, 0x00, 0x00};
        assertThatThrownBy(() -> Lz4Decompressor.decompress(bad, 0, bad.length, new byte[64], 0, 64))
                .isInstanceOf(Lz4Exception.class).hasMessage("offset 2: match offset 2 reaches before the start of the output (1 bytes produced)");
        byte[] zero = {0x10, 'a', 0x00, 0x00, 0x00};
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

    @Test
    void randomCorruptionNeverEscapesAsAnythingElse() throws Throwable {
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
