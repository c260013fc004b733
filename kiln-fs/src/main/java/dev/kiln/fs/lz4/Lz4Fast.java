package dev.kiln.fs.lz4;

import static dev.kiln.fs.lz4.Lz4Blocks.LAST_LITERALS;
import static dev.kiln.fs.lz4.Lz4Blocks.MAX_DISTANCE;
import static dev.kiln.fs.lz4.Lz4Blocks.MF_LIMIT;
import static dev.kiln.fs.lz4.Lz4Blocks.MIN_INPUT_FOR_MATCH;
import static dev.kiln.fs.lz4.Lz4Blocks.MIN_MATCH;
import static dev.kiln.fs.lz4.Lz4Blocks.commonLength;
import static dev.kiln.fs.lz4.Lz4Blocks.extBytes;
import static dev.kiln.fs.lz4.Lz4Blocks.read32;
import static dev.kiln.fs.lz4.Lz4Blocks.read64;

import java.util.Objects;

/**
 * Greedy single-probe LZ4 compressor: one hash table slot per hash, no chains, and a probe stride
 * that grows on incompressible stretches. Same speed class and output quality as liblz4's
 * acceleration-1 compressor.
 */
final class Lz4Fast implements Lz4Compressor {
    /**
     * Inputs under 64 KiB (+ the 11 bytes that can never start a match) get a twice larger table
     * keyed by 4 bytes; larger inputs hash 5 bytes into 4096 slots, which spreads better there.
     */
    private static final int SMALL_INPUT = 65536 + 11;
    private static final int SMALL_HASH_LOG = 13;
    private static final int LARGE_HASH_LOG = 12;
    /** After this many failed probes the stride grows by one, so random data is skipped quickly. */
    private static final int SKIP_TRIGGER = 6;

    /** Slots hold {@code generation + position}; see {@link Generations}. */
    private final int[] table = new int[1 << SMALL_HASH_LOG];
    private final Generations generations = new Generations(table);

    @Override
    public int compress(byte[] src, int srcOff, int srcLen, byte[] dst, int dstOff, int maxDstLen) {
        long r = run(src, srcOff, srcLen, dst, dstOff, maxDstLen, false);
        return r < 0 ? -1 : Lz4Compressor.written(r);
    }

    @Override
    public long compressDestSize(byte[] src, int srcOff, int srcLen, byte[] dst, int dstOff, int dstCapacity) {
        return run(src, srcOff, srcLen, dst, dstOff, dstCapacity, true);
    }

    /**
     * Multiplicative hash of the low {@code 8 - (keep / 8)} bytes at {@code p}: {@code keep} is 32
     * (4 bytes) or 24 (5 bytes), so both table shapes share one branch-free formula.
     */
    private static int hash(byte[] b, int p, int keep, int hashShift) {
        return hashOf(read64(b, p), keep, hashShift);
    }

    private static int hashOf(long word, int keep, int hashShift) {
        return (int) (((word << keep) * 889523592379L) >>> hashShift);
    }

    /**
     * Compresses with an output budget. In fill mode the block stops where the budget runs out
     * (trimming the last match and literal run to fit) and the result reports how much input it
     * covers; otherwise running out of budget fails with -1.
     */
    private long run(byte[] src, int srcOff, int srcLen, byte[] dst, int dstOff, int capacity, boolean fill) {
        Objects.checkFromIndexSize(srcOff, srcLen, src.length);
        Objects.checkFromIndexSize(dstOff, capacity, dst.length);
        if (fill && capacity == 0) {
            return 0;
        }
        final int[] t = table;
        final int dstEnd = dstOff + capacity;
        final int srcEnd = srcOff + srcLen;
        int op = dstOff;
        int anchor = srcOff;

        if (srcLen >= MIN_INPUT_FOR_MATCH) {
            final boolean small = srcLen < SMALL_INPUT;
            final int keep = small ? 32 : 24;
            final int hashShift = 64 - (small ? SMALL_HASH_LOG : LARGE_HASH_LOG);
            // Table values are generation + (position - srcOff); "shift" converts back and forth.
            final int shift = generations.start(srcLen) - srcOff;
            final int lastMatchStart = srcEnd - MF_LIMIT;
            final int matchLimit = srcEnd - LAST_LITERALS;

            int ip = srcOff;
            t[hash(src, ip, keep, hashShift)] = ip + shift;
            ip++;
            search:
            while (true) {
                // Find a 4-byte match at or after ip. The next probe's hash is computed before the
                // current probe is checked so the two memory loads overlap.
                int ref;
                int attempts = 1 << SKIP_TRIGGER;
                int next = ip;
                long word = read64(src, next);
                int h = hashOf(word, keep, hashShift);
                while (true) {
                    ip = next;
                    int current = (int) word;
                    next += attempts++ >>> SKIP_TRIGGER;
                    if (next > lastMatchStart + 1) {
                        break search;
                    }
                    ref = t[h] - shift;
                    t[h] = ip + shift;
                    word = read64(src, next); // next <= srcEnd - 11: 8 bytes readable
                    h = hashOf(word, keep, hashShift);
                    if (ip - ref - 1 + Integer.MIN_VALUE < MAX_DISTANCE + Integer.MIN_VALUE
                            && read32(src, ref) == current) {
                        break;
                    }
                }
                // The match may also cover some of the literals before it.
                while (ip > anchor && ref > srcOff && src[ip - 1] == src[ref - 1]) {
                    ip--;
                    ref--;
                }

                while (true) {
                    int matchLen = MIN_MATCH + commonLength(src, ip + MIN_MATCH, ref + MIN_MATCH, matchLimit);
                    int litLen = ip - anchor;
                    int room = dstEnd - op;
                    // Cheap over-estimate first (length bytes <= n/128 + 1, plus the tail reserve);
                    // the exact cost matters only near the end of the budget.
                    if (litLen + (litLen >>> 7) + (matchLen >>> 7) + 24 <= room) {
                        // fits, with room for the closing literals
                    } else if (!fill) {
                        int cost = Lz4Blocks.sequenceCost(litLen, matchLen);
                        if (cost > room) {
                            return -1;
                        }
                    } else if (Lz4Blocks.sequenceCost(litLen, matchLen) + 1
                            + Math.max(LAST_LITERALS, MF_LIMIT - matchLen) > room) {
                        // Keep room for a token and the closing literals the format demands after a
                        // match; a long match can give up length bytes to make that room.
                        int lengthBytes = room - (1 + extBytes(litLen) + litLen + 2) - 1 - LAST_LITERALS;
                        if (lengthBytes < 0) {
                            break search;
                        }
                        int maxLen = MIN_MATCH + 14 + 255 * lengthBytes;
                        if (maxLen >= matchLen) {
                            break search; // a short match needing more than 5 closing literals
                        }
                        op = Lz4Blocks.writeSequence(dst, op, dstEnd, src, anchor, litLen, ip - ref, maxLen);
                        anchor = ip + maxLen;
                        break search;
                    }
                    op = Lz4Blocks.writeSequence(dst, op, dstEnd, src, anchor, litLen, ip - ref, matchLen);
                    ip += matchLen;
                    anchor = ip;
                    if (ip > lastMatchStart) {
                        break search;
                    }
                    // Index a position inside the match (cheap and often useful), then try for an
                    // immediate follow-on match with no literals in between.
                    long behind = read64(src, ip - 2);
                    t[hashOf(behind, keep, hashShift)] = ip - 2 + shift;
                    long here = behind >>> 16; // 6 valid bytes: enough for a 4- or 5-byte hash
                    int h2 = hashOf(here, keep, hashShift);
                    ref = t[h2] - shift;
                    t[h2] = ip + shift;
                    if (!(ip - ref - 1 + Integer.MIN_VALUE < MAX_DISTANCE + Integer.MIN_VALUE
                            && read32(src, ref) == (int) here)) {
                        ip++;
                        continue search;
                    }
                }
            }
        }

        int lastRun = srcEnd - anchor;
        int room = dstEnd - op;
        if (1 + extBytes(lastRun) + lastRun > room) {
            if (!fill) {
                return -1;
            }
            lastRun = Lz4Blocks.maxLiteralsFitting(room);
        }
        op = Lz4Blocks.writeLastLiterals(dst, op, src, anchor, lastRun);
        return ((long) (anchor + lastRun - srcOff) << 32) | (op - dstOff);
    }
}
