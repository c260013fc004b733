package dev.kiln.fs.lz4;

/**
 * Safe LZ4 block decoding (raw block format: no frame, no size header).
 *
 * <p>Every length read from the block is checked against the remaining input and output before
 * any byte moves, so a hostile block can make this fail but never read or write outside the
 * ranges it was given. Offsets in error messages are relative to the start of the block.
 *
 * <p>A whole block is held to the end-of-block rules of the reference decoder
 * ({@code LZ4_decompress_safe}, which the Linux kernel and fsck.erofs use): no match starts in the
 * last 12 bytes of the output or reaches into its last 5, and literals that end in the last 12
 * bytes (or leave under 8 bytes of input) close the block. A block that breaks them decodes in
 * lenient decoders but fails in the kernel, so reading it must fail here too.
 */
public final class Lz4Decompressor {
    private Lz4Decompressor() {}

    private static final java.lang.invoke.VarHandle LONG =
            java.lang.invoke.MethodHandles.byteArrayViewVarHandle(long[].class, java.nio.ByteOrder.LITTLE_ENDIAN);

    /** The smallest match LZ4 encodes; the token's low nibble counts from here. */
    private static final int MIN_MATCH = 4;
    /** A match may not start in the last MF_LIMIT bytes of a block's output. */
    private static final int MF_LIMIT = 12;
    /** The last LAST_LITERALS bytes of a block's output are literals. */
    private static final int LAST_LITERALS = 5;

    /**
     * Decodes one LZ4 block {@code src[srcOff, srcOff+srcLen)} into {@code dst[dstOff..dstOff+dstLen)}
     * and returns the number of bytes produced. Never reads or writes outside those ranges; a
     * malformed block, or one that breaks the end-of-block rules counted from
     * {@code dstOff + dstLen} (so {@code dstLen} must be the block's decoded size, as for
     * {@code LZ4_decompress_safe}), throws {@link Lz4Exception} naming the offset within the block.
     */
    public static int decompress(byte[] src, int srcOff, int srcLen, byte[] dst, int dstOff, int dstLen) {
        return decode(src, srcOff, srcLen, dst, dstOff, dstLen, false);
    }

    /**
     * Decodes the first {@code dstLen} bytes of a block and stops there, ignoring whatever the
     * block holds after them (as {@code LZ4_decompress_safe_partial} does). EROFS needs this for
     * pclusters that are only partly referenced and for images without 0-padding, where the block
     * is followed by junk. Returns the number of bytes produced, less than {@code dstLen} only
     * when the block ends first.
     */
    public static int decompressPrefix(byte[] src, int srcOff, int srcLen, byte[] dst, int dstOff, int dstLen) {
        return decode(src, srcOff, srcLen, dst, dstOff, dstLen, true);
    }

    private static int decode(byte[] src, int srcOff, int srcLen, byte[] dst, int dstOff, int dstLen, boolean prefix) {
        // Checking the ranges up front lets the loop trust its own bounds arithmetic.
        if (srcOff < 0 || srcLen < 0 || srcOff > src.length - srcLen) {
            throw new IndexOutOfBoundsException("source range " + srcOff + "+" + srcLen + " of " + src.length);
        }
        if (dstOff < 0 || dstLen < 0 || dstOff > dst.length - dstLen) {
            throw new IndexOutOfBoundsException("destination range " + dstOff + "+" + dstLen + " of " + dst.length);
        }
        if (srcLen == 0) throw new Lz4Exception("offset 0: empty block");
        final int srcEnd = srcOff + srcLen;
        final int dstEnd = dstOff + dstLen;
        int ip = srcOff;
        int op = dstOff;
        while (true) {
            int tokenAt = ip;
            int token = src[ip++] & 0xFF;

            int litLen = token >>> 4;
            if (litLen == 15) {
                int extra;
                do {
                    if (ip >= srcEnd) throw truncated(ip - srcOff, "literal length");
                    extra = src[ip++] & 0xFF;
                    litLen += extra;
                    // A length beyond the input can never be valid; stop before int overflow.
                    if (litLen > srcLen) throw new Lz4Exception("offset " + (tokenAt - srcOff)
                            + ": literal length runs past the end of the block");
                } while (extra == 255);
            }
            if (litLen > srcEnd - ip) {
                throw new Lz4Exception("offset " + (ip - srcOff) + ": " + litLen
                        + " literal bytes run past the end of the block (" + (srcEnd - ip) + " left)");
            }
            if (litLen > dstEnd - op) {
                if (prefix) {
                    int n = Math.min(litLen, srcEnd - ip);
                    n = Math.min(n, dstEnd - op);
                    System.arraycopy(src, ip, dst, op, n);
                    return op + n - dstOff;
                }
                throw new Lz4Exception("offset " + (ip - srcOff) + ": " + litLen
                        + " literal bytes overflow the output (" + (dstEnd - op) + " bytes of room)");
            }
            if (!prefix && (litLen > dstEnd - MF_LIMIT - op || litLen > srcEnd - ip - (2 + 1 + LAST_LITERALS))
                    && litLen != srcEnd - ip) {
                // The reference decoder takes such a run as the block's last; anything after it is an error.
                throw new Lz4Exception("offset " + (tokenAt - srcOff) + ": a match follows literals that end "
                        + (dstEnd - op - litLen) + " bytes before the end of the output (" + MF_LIMIT
                        + " needed) and " + (srcEnd - ip - litLen) + " bytes before the end of the block ("
                        + (2 + 1 + LAST_LITERALS) + " needed)");
            }
            if (litLen <= 16 && srcEnd - ip >= 16 && dstEnd - op >= 16 && src != dst) {
                // Short literal runs dominate text; two 8-byte moves beat arraycopy's call overhead.
                // The bytes past litLen land inside the output range and are overwritten next.
                LONG.set(dst, op, (long) LONG.get(src, ip));
                LONG.set(dst, op + 8, (long) LONG.get(src, ip + 8));
            } else {
                System.arraycopy(src, ip, dst, op, litLen);
            }
            ip += litLen;
            op += litLen;

            // The last sequence has literals only: the block simply ends after them.
            if (ip == srcEnd || (prefix && op == dstEnd)) return op - dstOff;

            if (srcEnd - ip < 2) throw truncated(ip - srcOff, "match offset");
            int offsetAt = ip;
            int offset = (src[ip] & 0xFF) | (src[ip + 1] & 0xFF) << 8;
            ip += 2;
            if (offset == 0) throw new Lz4Exception("offset " + (offsetAt - srcOff) + ": match offset 0");
            if (offset > op - dstOff) {
                throw new Lz4Exception("offset " + (offsetAt - srcOff) + ": match offset " + offset
                        + " reaches before the start of the output (" + (op - dstOff) + " bytes produced)");
            }

            int matchLen = token & 0x0F;
            if (matchLen == 15) {
                int extra;
                do {
                    if (ip >= srcEnd) throw truncated(ip - srcOff, "match length");
                    extra = src[ip++] & 0xFF;
                    matchLen += extra;
                    if (matchLen > dstLen) {
                        if (!prefix) throw new Lz4Exception("offset " + (tokenAt - srcOff) + ": match length overflows the output");
                        matchLen = dstLen; // it gets cut at the end of the output anyway; this only avoids overflow
                    }
                } while (extra == 255);
            }
            matchLen += MIN_MATCH;
            if (!prefix && matchLen > dstEnd - op - LAST_LITERALS && matchLen <= dstEnd - op) {
                throw new Lz4Exception("offset " + (offsetAt - srcOff) + ": match of " + matchLen + " bytes ends "
                        + (dstEnd - op - matchLen) + " bytes before the end of the output (the last "
                        + LAST_LITERALS + " must be literals)");
            }
            if (matchLen > dstEnd - op) {
                if (prefix) matchLen = dstEnd - op;
                else throw new Lz4Exception("offset " + (offsetAt - srcOff) + ": match of " + matchLen
                        + " bytes overflows the output (" + (dstEnd - op) + " bytes of room)");
            }
            int from = op - offset;
            if (offset >= 8 && matchLen <= 32 && dstEnd - op >= matchLen + 8) {
                // 8-byte steps: with offset >= 8 every word read is already complete, and the
                // overshoot (under 8 bytes, inside the output range) is overwritten later.
                for (int k = 0; k < matchLen; k += 8) LONG.set(dst, op + k, (long) LONG.get(dst, from + k));
                op += matchLen;
            } else if (offset >= matchLen) {
                System.arraycopy(dst, from, dst, op, matchLen);
                op += matchLen;
            } else if (offset == 1) {
                // A run of one byte (common in zero-filled data) is a fill.
                java.util.Arrays.fill(dst, op, op + matchLen, dst[from]);
                op += matchLen;
            } else {
                // Overlapping match: the source grows as we copy, so copy in chunks of `offset`,
                // each of which is already complete when it is read.
                int end = op + matchLen;
                while (op < end) {
                    int n = Math.min(end - op, op - from);
                    System.arraycopy(dst, from, dst, op, n);
                    op += n;
                }
            }
            if (prefix && op == dstEnd) return op - dstOff;
            if (ip >= srcEnd) {
                // A block must end with a literal-only sequence; ending right after a match is invalid.
                throw truncated(ip - srcOff, "next sequence");
            }
        }
    }

    private static Lz4Exception truncated(int at, String what) {
        return new Lz4Exception("offset " + at + ": block truncated while reading the " + what);
    }
}
