package dev.kiln.fs.lz4;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * Facts of the LZ4 block format shared by the compressors, and the byte-level helpers they use to
 * write sequences. A sequence is: token (literal length in the high nibble, match length - 4 in the
 * low nibble, 15 meaning "more bytes follow"), literal-length bytes, literals, 2-byte little-endian
 * offset, match-length bytes. The last sequence carries literals only.
 */
final class Lz4Blocks {
    private Lz4Blocks() {}

    static final int MIN_MATCH = 4;
    /** Largest back-reference distance the 2-byte offset can express. */
    static final int MAX_DISTANCE = 65535;
    /**
     * Decoders copy in 8-byte strides, so the format reserves the tail of every block: the last 5
     * bytes are always literals and the last match must start at least 12 bytes before the end.
     * A block shorter than 13 bytes therefore holds literals only.
     */
    static final int LAST_LITERALS = 5;
    static final int MF_LIMIT = 12;
    static final int MIN_INPUT_FOR_MATCH = MF_LIMIT + 1;
    static final int RUN_MASK = 15;
    static final int ML_MASK = 15;

    static final VarHandle I16 = MethodHandles.byteArrayViewVarHandle(short[].class, ByteOrder.LITTLE_ENDIAN);
    static final VarHandle I32 = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);
    static final VarHandle I64 = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

    /**
     * The compressors' reads skip the bounds check where the JVM allows sun.misc.Unsafe's memory
     * access ({@code --sun-misc-unsafe-memory-access=allow}, as {@code ./kiln} starts it), and go
     * through the checked VarHandles otherwise. Why: a match search is mostly reads at computed
     * offsets, and without the checks LZ4HC ran 9% faster on the /usr/share sample of
     * bench/lz4.sh. Every offset the compressors pass is inside the array by their own limits,
     * which the tests hold them to on the checked path, and a test compares both paths' output.
     * Only compressors read here: they read kiln's own buffers, never an image being read.
     * Unsafe's memory access is deprecated for removal; without the option kiln never touches it,
     * so the JVM has nothing to warn about.
     */
    private static final sun.misc.Unsafe UNSAFE = unsafeIfAllowed();
    private static final long BYTE_BASE = UNSAFE == null ? 0 : UNSAFE.arrayBaseOffset(byte[].class);

    @SuppressWarnings("removal")
    private static sun.misc.Unsafe unsafeIfAllowed() {
        // The compressors read words little-endian, as the format stores them.
        if (!"allow".equals(System.getProperty("sun.misc.unsafe.memory.access"))
                || ByteOrder.nativeOrder() != ByteOrder.LITTLE_ENDIAN) {
            return null;
        }
        try {
            java.lang.reflect.Field f = sun.misc.Unsafe.class.getDeclaredField("theUnsafe");
            f.setAccessible(true);
            return (sun.misc.Unsafe) f.get(null);
        } catch (ReflectiveOperationException | RuntimeException e) {
            return null;
        }
    }

    /** Whether reads skip the bounds check (see {@link #UNSAFE}). */
    static boolean unchecked() {
        return UNSAFE != null;
    }

    static int read32(byte[] b, int i) {
        return UNSAFE != null ? UNSAFE.getInt(b, BYTE_BASE + i) : (int) I32.get(b, i);
    }

    static long read64(byte[] b, int i) {
        return UNSAFE != null ? UNSAFE.getLong(b, BYTE_BASE + i) : (long) I64.get(b, i);
    }

    /** Number of extra length bytes after the token for a length field value {@code n}. */
    static int extBytes(int n) {
        return n < 15 ? 0 : (n - 15) / 255 + 1;
    }

    /** Worst-case output size for {@code srcLen} input bytes (all literals, as LZ4_compressBound). */
    static int bound(int srcLen) {
        return srcLen + srcLen / 255 + 16;
    }

    /**
     * Length of the common run of {@code b[p..]} and {@code b[m..]} (with {@code m < p}), not
     * reading at or past {@code limit}.
     */
    static int commonLength(byte[] b, int p, int m, int limit) {
        int start = p;
        while (p <= limit - 8) {
            long x = read64(b, p) ^ read64(b, m);
            if (x != 0) {
                return p - start + (Long.numberOfTrailingZeros(x) >>> 3);
            }
            p += 8;
            m += 8;
        }
        while (p < limit && b[p] == b[m]) {
            p++;
            m++;
        }
        return p - start;
    }

    /**
     * Length of the common run ending just before {@code b[p]} and {@code b[m]} (with {@code m < p}),
     * counted backwards, at most {@code max} bytes (the caller keeps both runs inside the array).
     */
    static int commonLengthBackward(byte[] b, int p, int m, int max) {
        int n = 0;
        while (n <= max - 8) {
            // Little-endian: the bytes nearest p and m are the most significant.
            long x = read64(b, p - n - 8) ^ read64(b, m - n - 8);
            if (x != 0) {
                return n + (Long.numberOfLeadingZeros(x) >>> 3);
            }
            n += 8;
        }
        while (n < max && b[p - n - 1] == b[m - n - 1]) {
            n++;
        }
        return n;
    }

    /** Writes the bytes of a length field beyond the token's 15 and returns the new output position. */
    static int writeExt(byte[] dst, int op, int n) {
        n -= 15;
        while (n >= 255) {
            dst[op++] = (byte) 255;
            n -= 255;
        }
        dst[op++] = (byte) n;
        return op;
    }

    /**
     * Writes one full sequence; the caller has checked that it fits. Returns the new output position.
     */
    static int writeSequence(byte[] dst, int op, int dstEnd, byte[] src, int anchor, int litLen, int offset,
            int matchLen) {
        int tokenPos = op++;
        int token;
        if (litLen >= RUN_MASK) {
            token = RUN_MASK << 4;
            op = writeExt(dst, op, litLen);
        } else {
            token = litLen << 4;
        }
        if (litLen <= 32 && anchor + 32 <= src.length && op + 32 <= dstEnd) {
            // Short runs dominate; 8-byte moves beat arraycopy's call overhead. The overshoot (< 8
            // bytes) is always overwritten: a match sequence is followed by its offset, a token and at
            // least 5 closing literals.
            I64.set(dst, op, read64(src, anchor));
            if (litLen > 8) {
                I64.set(dst, op + 8, read64(src, anchor + 8));
                if (litLen > 16) {
                    I64.set(dst, op + 16, read64(src, anchor + 16));
                    if (litLen > 24) {
                        I64.set(dst, op + 24, read64(src, anchor + 24));
                    }
                }
            }
        } else {
            System.arraycopy(src, anchor, dst, op, litLen);
        }
        op += litLen;
        I16.set(dst, op, (short) offset);
        op += 2;
        int code = matchLen - MIN_MATCH;
        if (code >= ML_MASK) {
            token |= ML_MASK;
            op = writeExt(dst, op, code);
        } else {
            token |= code;
        }
        dst[tokenPos] = (byte) token;
        return op;
    }

    /** Writes the closing literals-only sequence; the caller has checked that it fits. */
    static int writeLastLiterals(byte[] dst, int op, byte[] src, int anchor, int litLen) {
        if (litLen >= RUN_MASK) {
            dst[op++] = (byte) (RUN_MASK << 4);
            op = writeExt(dst, op, litLen);
        } else {
            dst[op++] = (byte) (litLen << 4);
        }
        System.arraycopy(src, anchor, dst, op, litLen);
        return op + litLen;
    }

    /** Bytes a sequence with these lengths occupies. */
    static int sequenceCost(int litLen, int matchLen) {
        return 1 + extBytes(litLen) + litLen + 2 + extBytes(matchLen - MIN_MATCH);
    }

    /**
     * Largest literal run whose literals-only sequence (token, length bytes, literals) fits in
     * {@code room} bytes; 0 when only the token fits.
     */
    static int maxLiteralsFitting(int room) {
        int n = room - 1;
        if (n < RUN_MASK) {
            return Math.max(n, 0);
        }
        n -= extBytes(n);
        while (n + extBytes(n) < room - 1) {
            n++;
        }
        while (n + extBytes(n) > room - 1) {
            n--;
        }
        return n;
    }
}
