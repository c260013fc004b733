package dev.kiln.fs.lz4;

/**
 * An LZ4 block compressor (raw block format: no frame, no size header). Instances keep match
 * tables and are not thread-safe: use one per thread.
 */
public interface Lz4Compressor {
    /**
     * Compresses {@code src[srcOff, srcOff+srcLen)} into one LZ4 block at {@code dst[dstOff..]}.
     * Returns the number of bytes written, or -1 when the block would exceed {@code maxDstLen}.
     * Bytes of {@code dst} past the returned length may have been written to (within
     * {@code maxDstLen}) only when -1 is returned.
     *
     * @throws IndexOutOfBoundsException if a range lies outside its array
     */
    int compress(byte[] src, int srcOff, int srcLen, byte[] dst, int dstOff, int maxDstLen);

    /**
     * Encodes the longest prefix of {@code src[srcOff, srcOff+srcLen)} that fits in
     * {@code dstCapacity} bytes, as {@code LZ4_compress_destSize} does. Returns
     * {@code (consumed << 32) | written}; the block decodes to exactly {@code consumed} bytes and
     * nothing past {@code dst[dstOff + written)} is touched. A capacity of 0 returns 0.
     *
     * @throws IndexOutOfBoundsException if a range lies outside its array
     */
    long compressDestSize(byte[] src, int srcOff, int srcLen, byte[] dst, int dstOff, int dstCapacity);

    static int consumed(long result) {
        return (int) (result >>> 32);
    }

    static int written(long result) {
        return (int) result;
    }

    /** The fast compressor (as LZ4_compress_default / LZ4_compress_destSize). */
    static Lz4Compressor fast() {
        return new Lz4Fast();
    }

    /**
     * The high-compression compressor at {@code level} 1..12 (as LZ4_compress_HC / LZ4_compress_HC_destSize):
     * 1-9 use a hash-chain parser of growing depth, 10-12 an optimal parser.
     *
     * @throws IllegalArgumentException if {@code level} is outside 1..12
     */
    static Lz4Compressor hc(int level) {
        return new Lz4Hc(level);
    }
}
