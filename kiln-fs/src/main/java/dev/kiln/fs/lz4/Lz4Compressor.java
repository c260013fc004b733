package dev.kiln.fs.lz4;

/**
 * An LZ4 block compressor (raw block format: no frame, no size header). Instances keep match
 * tables and are not thread-safe: use one per thread.
 */
public interface Lz4Compressor {
    /**
     * Compresses {@code src[srcOff, srcOff+srcLen)} into one LZ4 block at {@code dst[dstOff..]}.
     * Returns the number of bytes written, or -1 when the block would exceed {@code maxDstLen}.
     */
    int compress(byte[] src, int srcOff, int srcLen, byte[] dst, int dstOff, int maxDstLen);

    /**
     * Encodes the longest prefix of {@code src[srcOff, srcOff+srcLen)} that fits in
     * {@code dstCapacity} bytes, as {@code LZ4_compress_destSize} does. Returns
     * {@code (consumed << 32) | written}.
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

    /** The high-compression compressor at {@code level} 1..12 (as LZ4_compress_HC / LZ4_compress_HC_destSize). */
    static Lz4Compressor hc(int level) {
        return new Lz4Hc(level);
    }
}
