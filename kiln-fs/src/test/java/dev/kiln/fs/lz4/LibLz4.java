package dev.kiln.fs.lz4;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The reference implementation, Debian's liblz4 1.9.x, bound through FFM so tests can compare
 * against it. Heap arrays are passed directly ({@code critical} downcalls), so timings compare the
 * compressors and not copying. One instance per thread (it owns scratch memory).
 */
final class LibLz4 {
    static final Path LIBRARY = Path.of("/usr/lib/x86_64-linux-gnu/liblz4.so.1");

    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT;
    private static final ValueLayout ADDR = ValueLayout.ADDRESS;

    private final MethodHandle compressDefault;
    private final MethodHandle compressDestSize;
    private final MethodHandle compressHc;
    private final MethodHandle compressHcDestSize;
    private final MethodHandle decompressSafe;
    private final MemorySegment hcState;
    private final MemorySegment sizeCell;

    private LibLz4(SymbolLookup lib, Arena arena) {
        Linker linker = Linker.nativeLinker();
        Linker.Option heap = Linker.Option.critical(true);
        compressDefault = linker.downcallHandle(lib.findOrThrow("LZ4_compress_default"),
                FunctionDescriptor.of(INT, ADDR, ADDR, INT, INT), heap);
        // srcSizePtr stays off-heap: it is a pointer the library writes through.
        compressDestSize = linker.downcallHandle(lib.findOrThrow("LZ4_compress_destSize"),
                FunctionDescriptor.of(INT, ADDR, ADDR, ADDR, INT), heap);
        compressHc = linker.downcallHandle(lib.findOrThrow("LZ4_compress_HC"),
                FunctionDescriptor.of(INT, ADDR, ADDR, INT, INT, INT), heap);
        compressHcDestSize = linker.downcallHandle(lib.findOrThrow("LZ4_compress_HC_destSize"),
                FunctionDescriptor.of(INT, ADDR, ADDR, ADDR, ADDR, INT, INT), heap);
        decompressSafe = linker.downcallHandle(lib.findOrThrow("LZ4_decompress_safe"),
                FunctionDescriptor.of(INT, ADDR, ADDR, INT, INT), heap);
        MethodHandle sizeofStateHc = linker.downcallHandle(lib.findOrThrow("LZ4_sizeofStateHC"),
                FunctionDescriptor.of(INT));
        try {
            hcState = arena.allocate((int) sizeofStateHc.invokeExact(), 16);
        } catch (Throwable e) {
            throw new AssertionError(e);
        }
        sizeCell = arena.allocate(INT);
    }

    /** Loads liblz4, failing (never skipping) with the install hint when it is missing. */
    static LibLz4 load() {
        if (!Files.exists(LIBRARY)) {
            throw new AssertionError(LIBRARY + " is missing: the LZ4 differential tests need the reference "
                    + "library; run `apt-get install liblz4-1`");
        }
        Arena arena = Arena.ofAuto();
        return new LibLz4(SymbolLookup.libraryLookup(LIBRARY, arena), arena);
    }

    int compressDefault(byte[] src, int srcLen, byte[] dst) {
        try {
            return (int) compressDefault.invokeExact(MemorySegment.ofArray(src), MemorySegment.ofArray(dst), srcLen,
                    dst.length);
        } catch (Throwable e) {
            throw new AssertionError(e);
        }
    }

    int compressHc(byte[] src, int srcLen, byte[] dst, int level) {
        try {
            return (int) compressHc.invokeExact(MemorySegment.ofArray(src), MemorySegment.ofArray(dst), srcLen,
                    dst.length, level);
        } catch (Throwable e) {
            throw new AssertionError(e);
        }
    }

    /** Returns (consumed << 32) | written, like {@link Lz4Compressor#compressDestSize}. */
    long compressDestSize(byte[] src, int srcLen, byte[] dst, int capacity) {
        return compressDestSize(src, 0, srcLen, dst, capacity);
    }

    /** The same for {@code src[srcOff, srcOff+srcLen)}, read in place. */
    long compressDestSize(byte[] src, int srcOff, int srcLen, byte[] dst, int capacity) {
        sizeCell.set(INT, 0, srcLen);
        try {
            int written = (int) compressDestSize.invokeExact(MemorySegment.ofArray(src).asSlice(srcOff),
                    MemorySegment.ofArray(dst), sizeCell, capacity);
            return ((long) sizeCell.get(INT, 0) << 32) | written;
        } catch (Throwable e) {
            throw new AssertionError(e);
        }
    }

    long compressHcDestSize(byte[] src, int srcLen, byte[] dst, int capacity, int level) {
        return compressHcDestSize(src, 0, srcLen, dst, capacity, level);
    }

    long compressHcDestSize(byte[] src, int srcOff, int srcLen, byte[] dst, int capacity, int level) {
        sizeCell.set(INT, 0, srcLen);
        try {
            int written = (int) compressHcDestSize.invokeExact(hcState, MemorySegment.ofArray(src).asSlice(srcOff),
                    MemorySegment.ofArray(dst), sizeCell, capacity, level);
            return ((long) sizeCell.get(INT, 0) << 32) | written;
        } catch (Throwable e) {
            throw new AssertionError(e);
        }
    }

    /**
     * Decodes a block into exactly {@code dstLen} bytes of room, so the end-of-block rules are
     * checked against the block's own size. Returns the decoded length, negative on error.
     */
    int decompressSafe(byte[] src, int srcLen, byte[] dst, int dstLen) {
        try {
            return (int) decompressSafe.invokeExact(MemorySegment.ofArray(src), MemorySegment.ofArray(dst), srcLen,
                    dstLen);
        } catch (Throwable e) {
            throw new AssertionError(e);
        }
    }
}
