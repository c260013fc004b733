package dev.kiln.fs.lz4;

/** Placeholder: being implemented. Safe LZ4 block decoding. */
public final class Lz4Decompressor {
    private Lz4Decompressor() {}

    /**
     * Decodes one LZ4 block {@code src[srcOff, srcOff+srcLen)} into {@code dst[dstOff..dstOff+dstLen)}
     * and returns the number of bytes produced. Never reads or writes outside those ranges; a
     * malformed block throws {@link Lz4Exception} naming the offset within the block.
     */
    public static int decompress(byte[] src, int srcOff, int srcLen, byte[] dst, int dstOff, int dstLen) {
        throw new UnsupportedOperationException("LZ4 decompression is being implemented");
    }
}
