package dev.kiln.fs.lz4;

import static dev.kiln.fs.lz4.Lz4Blocks.LAST_LITERALS;
import static dev.kiln.fs.lz4.Lz4Blocks.MAX_DISTANCE;
import static dev.kiln.fs.lz4.Lz4Blocks.MF_LIMIT;
import static dev.kiln.fs.lz4.Lz4Blocks.MIN_INPUT_FOR_MATCH;
import static dev.kiln.fs.lz4.Lz4Blocks.MIN_MATCH;
import static dev.kiln.fs.lz4.Lz4Blocks.commonLength;
import static dev.kiln.fs.lz4.Lz4Blocks.extBytes;
import static dev.kiln.fs.lz4.Lz4Blocks.read32;

import java.util.Objects;

/**
 * High-compression LZ4. Every position goes into a hash chain; a match search walks up to
 * {@code maxAttempts} earlier positions with the same 4-byte hash. Levels 1-9 parse greedily but
 * look, before committing to a match, for a longer one overlapping its tail (see {@link #parse});
 * levels 10-12 parse optimally over byte costs (see {@link #parseOptimal}). Levels trade chain
 * depth for speed like liblz4's HC levels, and land within about 1% of liblz4's sizes.
 */
final class Lz4Hc implements Lz4Compressor {
    private static final int HASH_LOG = 15;
    private static final int WINDOW_MASK = 0xFFFF;
    /**
     * A longer match starting this close after the current one replaces it, the skipped bytes
     * becoming literals; further away, both are kept. 2 measured best on text and binaries.
     */
    private static final int REPLACE_GAP = 2;
    /** A third match starting this close to the second one replaces the second. */
    private static final int SWALLOW_GAP = 3;

    /** Positions one optimal-parse window spans at most. */
    private static final int OPT_WINDOW = 4096;

    private final int maxAttempts;
    private final int sufficientLength;
    // Optimal parser scratch, per window position: cheapest cost in bytes to get there, and how
    // (arrivalLen 0 = by a literal, with literalRun the length of that run).
    private final int[] price;
    private final int[] arrivalLen;
    private final int[] arrivalOffset;
    private final int[] literalRun;
    private final int[] candLen;
    private final int[] candRef;
    private final int[] pathStart;
    private final int[] pathLen;
    private final int[] pathOffset;

    /** Newest position per hash, as {@code generation + offset} (see {@link Generations} for why). */
    private final int[] head = new int[1 << HASH_LOG];
    /** Distance from a position to the previous one with the same hash, indexed by position mod 64 KiB. */
    private final char[] chain = new char[WINDOW_MASK + 1];
    private final Generations generations = new Generations(head);

    // State of the call in progress (instances are single-threaded by contract).
    private byte[] src;
    private int srcStart;
    private int shift;
    private int nextToInsert;
    private int foundRef;
    private int foundStart;
    private byte[] dst;
    private int op;
    private int dstEnd;
    private int anchor;
    private boolean fill;

    Lz4Hc(int level) {
        if (level < 1 || level > 12) {
            throw new IllegalArgumentException("LZ4HC level must be 1..12, got " + level);
        }
        // Chain depth doubles per level from 3 up, as in liblz4. Levels 10-12 switch to the
        // optimal parser; a match of sufficientLength or more is taken without weighing alternatives.
        this.maxAttempts = switch (level) {
            case 1, 2 -> 2;
            case 10 -> 96;
            case 11 -> 512;
            case 12 -> 16384;
            default -> 1 << (level - 1);
        };
        this.sufficientLength = switch (level) {
            case 10 -> 64;
            case 11 -> 128;
            case 12 -> OPT_WINDOW;
            default -> 0;
        };
        if (sufficientLength > 0) {
            int size = OPT_WINDOW + sufficientLength + 1;
            price = new int[size];
            arrivalLen = new int[size];
            arrivalOffset = new int[size];
            literalRun = new int[size];
            // Each candidate kept is longer than the last, so there are at most maxAttempts.
            candLen = new int[maxAttempts + 1];
            candRef = new int[maxAttempts + 1];
            pathStart = new int[OPT_WINDOW + 1];
            pathLen = new int[OPT_WINDOW + 1];
            pathOffset = new int[OPT_WINDOW + 1];
        } else {
            price = arrivalLen = arrivalOffset = literalRun = candLen = candRef = null;
            pathStart = pathLen = pathOffset = null;
        }
    }

    @Override
    public int compress(byte[] src, int srcOff, int srcLen, byte[] dst, int dstOff, int maxDstLen) {
        long r = run(src, srcOff, srcLen, dst, dstOff, maxDstLen, false);
        return r < 0 ? -1 : Lz4Compressor.written(r);
    }

    @Override
    public long compressDestSize(byte[] src, int srcOff, int srcLen, byte[] dst, int dstOff, int dstCapacity) {
        return run(src, srcOff, srcLen, dst, dstOff, dstCapacity, true);
    }

    private static int hash(int fourBytes) {
        return (fourBytes * -1640531535) >>> (32 - HASH_LOG);
    }

    /** Adds every position up to and including {@code target} to the hash chains. */
    private void insertUpTo(int target) {
        final byte[] s = src;
        final int[] hd = head;
        final char[] ch = chain;
        for (int p = nextToInsert; p <= target; p++) {
            int h = hash(read32(s, p));
            int delta = p + shift - hd[h];
            // A capped delta may lead to a position with another hash; the byte comparison rejects it.
            ch[p & WINDOW_MASK] = (char) Math.min(delta, MAX_DISTANCE);
            hd[h] = p + shift;
        }
        nextToInsert = Math.max(nextToInsert, target + 1);
    }

    /**
     * A longer match than {@code cand}'s {@code len} bytes must agree at every offset inside it,
     * so it lies on the hash chain of each of those offsets. Returns the offset whose chain link
     * jumps furthest back: walking that chain skips candidates that cannot win. Only offsets
     * already inserted (at or before {@code ip}) have valid links.
     */
    private int sparsestLink(int cand, int len, int ip) {
        final char[] ch = chain;
        int limit = Math.min(Math.min(len - MIN_MATCH, ip - cand), 64);
        int bestOffset = 0;
        int bestJump = ch[cand & WINDOW_MASK];
        for (int off = 1; off <= limit; off++) {
            int jump = ch[(cand + off) & WINDOW_MASK];
            if (jump > bestJump) {
                bestJump = jump;
                bestOffset = off;
            }
        }
        return bestOffset;
    }

    /**
     * Longest match for {@code ip} of at least {@code minLen} bytes ending before {@code matchLimit};
     * returns its length (0 if none) and leaves its start in {@link #foundRef}.
     */
    private int findLongest(int ip, int matchLimit, int minLen) {
        insertUpTo(ip);
        final byte[] s = src;
        final char[] ch = chain;
        final int lowLimit = Math.max(srcStart, ip - MAX_DISTANCE);
        final int first = read32(s, ip);
        int best = minLen - 1;
        int bestRef = -1;
        // To beat the best, a candidate must agree on the 4 bytes ending at offset best: the
        // cheapest filter, and it rejects most candidates without a full comparison.
        int tail = best - 3;
        int tailWord = read32(s, ip + tail);
        int follow = 0;
        int cand = ip - ch[ip & WINDOW_MASK];
        for (int attempts = maxAttempts; attempts > 0 && cand >= lowLimit; attempts--) {
            if (read32(s, cand + tail) == tailWord && read32(s, cand) == first) {
                int len = MIN_MATCH + commonLength(s, ip + MIN_MATCH, cand + MIN_MATCH, matchLimit);
                if (len > best) {
                    best = len;
                    bestRef = cand;
                    if (ip + len >= matchLimit) {
                        break; // cannot get longer
                    }
                    tail = best - 3;
                    tailWord = read32(s, ip + tail);
                    follow = sparsestLink(cand, best, ip);
                }
            }
            cand -= ch[(cand + follow) & WINDOW_MASK];
        }
        if (bestRef < 0) {
            return 0;
        }
        foundRef = bestRef;
        return best;
    }

    private long run(byte[] src, int srcOff, int srcLen, byte[] dst, int dstOff, int capacity, boolean fill) {
        Objects.checkFromIndexSize(srcOff, srcLen, src.length);
        Objects.checkFromIndexSize(dstOff, capacity, dst.length);
        if (fill && capacity == 0) {
            return 0;
        }
        this.src = src;
        this.dst = dst;
        this.srcStart = srcOff;
        this.op = dstOff;
        this.dstEnd = dstOff + capacity;
        this.anchor = srcOff;
        this.fill = fill;
        try {
            final int srcEnd = srcOff + srcLen;
            if (srcLen >= MIN_INPUT_FOR_MATCH
                    && !(sufficientLength > 0 ? parseOptimal(srcOff, srcEnd) : parse(srcOff, srcEnd))) {
                return -1;
            }
            int lastRun = srcEnd - anchor;
            if (1 + extBytes(lastRun) + lastRun > dstEnd - op) {
                if (!fill) {
                    return -1;
                }
                lastRun = Lz4Blocks.maxLiteralsFitting(dstEnd - op);
            }
            op = Lz4Blocks.writeLastLiterals(dst, op, src, anchor, lastRun);
            return ((long) (anchor + lastRun - srcOff) << 32) | (op - dstOff);
        } finally {
            this.src = null;
            this.dst = null;
        }
    }

    /**
     * Longest match that covers position {@code r}, may start as early as {@code lowBound}, ends
     * after {@code minEnd} and is longer than {@code longerThan}: a match that overlaps the tail of
     * the current one and reaches further. Requiring it to be longer than the current match too
     * keeps short tail matches from cutting a long match for a gain of a byte or two.
     * Returns its length (0 if none); {@link #foundStart} and {@link #foundRef} locate it.
     */
    private int findWider(int r, int lowBound, int minEnd, int longerThan, int matchLimit) {
        if (minEnd >= matchLimit) {
            return 0;
        }
        insertUpTo(r);
        final byte[] s = src;
        final char[] ch = chain;
        final int lowLimit = Math.max(srcStart, r - MAX_DISTANCE);
        final int first = read32(s, r);
        final int endProbe = minEnd - r;
        final byte endByte = s[minEnd];
        int best = longerThan;
        boolean found = false;
        int start = 0;
        int ref = 0;
        int end = 0;
        int cand = r - ch[r & WINDOW_MASK];
        for (int attempts = maxAttempts; attempts > 0 && cand >= lowLimit; attempts--) {
            // To end after minEnd the candidate must agree at minEnd: a one-byte filter. Once a
            // match [start, end) is found, a longer one must reach past one of its ends, so it
            // agrees at end or at start - 1: two more one-byte filters that spare most candidates
            // the backward and forward scans, this search's main cost.
            if (s[cand + endProbe] == endByte
                    && (!found || (end < matchLimit && s[cand + (end - r)] == s[end])
                            || (start > lowBound && cand - (r - start) > srcStart
                                    && s[cand - (r - start) - 1] == s[start - 1]))
                    && read32(s, cand) == first) {
                int forward = MIN_MATCH + commonLength(s, r + MIN_MATCH, cand + MIN_MATCH, matchLimit);
                int backLimit = Math.min(r - lowBound, cand - srcStart);
                // Only a backward extension of more than best - forward bytes wins: test that byte first.
                int deficit = best - forward;
                if (deficit < backLimit && (deficit < 0 || s[r - deficit - 1] == s[cand - deficit - 1])) {
                    int back = Lz4Blocks.commonLengthBackward(s, r, cand, backLimit);
                    if (back + forward > best) {
                        best = back + forward;
                        found = true;
                        start = r - back;
                        ref = cand - back;
                        end = r + forward;
                    }
                }
            }
            cand -= ch[cand & WINDOW_MASK];
        }
        if (!found) {
            return 0;
        }
        foundStart = start;
        foundRef = ref;
        return best;
    }

    /**
     * Emits all match sequences; false when the block does not fit (non-fill mode).
     *
     * <p>After finding the longest match P at a position, the parser looks for a match Q covering
     * P's last bytes that reaches further (possibly starting earlier). If Q starts within 3 bytes of
     * P, Q simply replaces P (a few literals cost less than a sequence). Otherwise P and Q overlap
     * and P is shortened to end where Q begins — but only once a third search shows that Q itself
     * survives; if the next match R swallows Q's start instead, R takes Q's place.
     */
    private boolean parse(int srcOff, int srcEnd) {
        shift = generations.start(srcEnd - srcOff) - srcOff;
        nextToInsert = srcOff;
        final byte[] s = src;
        final int lastMatchStart = srcEnd - MF_LIMIT;
        final int matchLimit = srcEnd - LAST_LITERALS;
        int ip = srcOff;
        while (ip <= lastMatchStart) {
            int pLen = findLongest(ip, matchLimit, MIN_MATCH);
            if (pLen == 0) {
                ip++;
                continue;
            }
            int pRef = foundRef;
            int pStart = ip;
            int back = Lz4Blocks.commonLengthBackward(s, pStart, pRef, Math.min(pStart - anchor, pRef - srcOff));
            pStart -= back;
            pRef -= back;
            pLen += back;
            int qStart = -1;
            int qRef = 0;
            int qLen = 0;
            while (true) {
                if (qStart < 0) {
                    int r = pStart + pLen - 2;
                    int len = r <= lastMatchStart ? findWider(r, anchor, pStart + pLen, pLen, matchLimit) : 0;
                    if (len == 0) {
                        int outcome = emit(pStart, pRef, pLen);
                        if (outcome <= 0) {
                            return outcome == 0;
                        }
                        ip = pStart + pLen;
                        break;
                    }
                    if (foundStart <= pStart + REPLACE_GAP) {
                        pStart = foundStart;
                        pRef = foundRef;
                        pLen = len;
                    } else {
                        // P keeps at least MIN_MATCH bytes; Q gives up what overlaps them.
                        // A Q that the cut would push past lastMatchStart (the decoder's 12-byte
                        // rule) replaces P instead.
                        int cut = Math.max(0, pStart + MIN_MATCH - foundStart);
                        if (len - cut < MIN_MATCH || foundStart + cut > lastMatchStart) {
                            pStart = foundStart;
                            pRef = foundRef;
                            pLen = len;
                            continue;
                        }
                        qStart = foundStart + cut;
                        qRef = foundRef + cut;
                        qLen = len - cut;
                    }
                    continue;
                }
                int r = qStart + qLen - 3;
                int len = r <= lastMatchStart ? findWider(r, pStart + MIN_MATCH, qStart + qLen, qLen, matchLimit) : 0;
                if (len > 0 && foundStart <= qStart + SWALLOW_GAP) {
                    qStart = foundStart;
                    qRef = foundRef;
                    qLen = len;
                    continue;
                }
                // P and Q are both kept: settle where P ends and Q begins.
                int boundary;
                if (qStart >= pStart + pLen) {
                    boundary = qStart; // a replacement Q may begin after P's end: literals between
                } else {
                    // Moving the boundary moves Q's start: it must stay at or before
                    // lastMatchStart, or the block breaks the end-of-block rule.
                    int hi = Math.min(Math.min(pStart + pLen, qStart + qLen - MIN_MATCH), lastMatchStart);
                    if (len > 0) {
                        hi = Math.min(hi, foundStart - MIN_MATCH);
                    }
                    boundary = cheapestBoundary(pStart, qStart, hi, qStart + qLen);
                }
                int outcome = emit(pStart, pRef, Math.min(pLen, boundary - pStart));
                if (outcome <= 0) {
                    return outcome == 0;
                }
                pRef = qRef + (boundary - qStart);
                pLen = qStart + qLen - boundary;
                pStart = boundary;
                if (len == 0) {
                    outcome = emit(pStart, pRef, pLen);
                    if (outcome <= 0) {
                        return outcome == 0;
                    }
                    ip = pStart + pLen;
                    break;
                }
                qStart = foundStart;
                qRef = foundRef;
                qLen = len;
            }
        }
        return true;
    }

    /**
     * Every strictly longer match for {@code p} along the chain, shortest first, into
     * {@link #candLen}/{@link #candRef}. Returns the count.
     */
    private int findAll(int p, int matchLimit) {
        insertUpTo(p);
        final byte[] s = src;
        final char[] ch = chain;
        final int lowLimit = Math.max(srcStart, p - MAX_DISTANCE);
        final int first = read32(s, p);
        int n = 0;
        int best = MIN_MATCH - 1;
        int tail = 0;
        int tailWord = first;
        int follow = 0;
        int cand = p - ch[p & WINDOW_MASK];
        for (int attempts = maxAttempts; attempts > 0 && cand >= lowLimit; attempts--) {
            if (read32(s, cand + tail) == tailWord && read32(s, cand) == first) {
                int len = MIN_MATCH + commonLength(s, p + MIN_MATCH, cand + MIN_MATCH, matchLimit);
                if (len > best) {
                    candLen[n] = len;
                    candRef[n] = cand;
                    n++;
                    best = len;
                    if (p + len >= matchLimit) {
                        break;
                    }
                    tail = best - 3;
                    tailWord = read32(s, p + tail);
                    follow = sparsestLink(cand, best, p);
                }
            }
            cand -= ch[(cand + follow) & WINDOW_MASK];
        }
        return n;
    }

    /** Extra length byte needed when a literal run grows to {@code run}: at 15, then every 255. */
    private static int literalStepCost(int run) {
        return run >= 15 && (run - 15) % 255 == 0 ? 1 : 0;
    }

    /**
     * Optimal parsing (levels 10-12): within a window, the cheapest encoding in bytes is found by
     * dynamic programming over positions, each reachable by a literal or by any length of any
     * match found there. A window closes where no match reaches further, at {@link #OPT_WINDOW}
     * positions, or at a match of {@link #sufficientLength}, which is taken as is.
     */
    private boolean parseOptimal(int srcOff, int srcEnd) {
        shift = generations.start(srcEnd - srcOff) - srcOff;
        nextToInsert = srcOff;
        final int lastMatchStart = srcEnd - MF_LIMIT;
        final int matchLimit = srcEnd - LAST_LITERALS;
        final int[] cost = price;
        int pos = srcOff;
        while (pos <= lastMatchStart) {
            final int base = pos;
            cost[0] = 0;
            arrivalLen[0] = 0;
            literalRun[0] = pos - anchor;
            int furthest = 0;
            int longAt = -1;
            int longLen = 0;
            int longRef = 0;
            int i = 0;
            for (; i <= furthest && i < OPT_WINDOW; i++) {
                int p = base + i;
                // Inside a match whose bytes already arrive cheaply, a search here can hardly pay:
                // skipping it is what keeps the parser from re-finding the same long match at every
                // position it covers.
                boolean covered = i > 0 && i + MIN_MATCH <= furthest && cost[i + 1] <= cost[i]
                        && cost[i + MIN_MATCH] < cost[i] + 3;
                int n = p <= lastMatchStart && !covered ? findAll(p, matchLimit) : 0;
                if (n > 0 && candLen[n - 1] >= sufficientLength) {
                    longAt = i;
                    longLen = candLen[n - 1];
                    longRef = candRef[n - 1];
                    break;
                }
                int top = n > 0 ? i + candLen[n - 1] : i;
                for (int j = furthest + 1; j <= top; j++) {
                    cost[j] = Integer.MAX_VALUE;
                }
                furthest = Math.max(furthest, top);
                // Literal first: every position up to furthest is then reachable.
                if (i + 1 <= furthest) {
                    int run = (arrivalLen[i] > 0 ? 0 : literalRun[i]) + 1;
                    int c = cost[i] + 1 + literalStepCost(run);
                    if (c < cost[i + 1]) {
                        cost[i + 1] = c;
                        arrivalLen[i + 1] = 0;
                        literalRun[i + 1] = run;
                    }
                }
                int len = MIN_MATCH;
                for (int k = 0; k < n; k++) {
                    int offset = p - candRef[k];
                    for (; len <= candLen[k]; len++) {
                        int c = cost[i] + 3 + extBytes(len - MIN_MATCH);
                        if (c < cost[i + len]) {
                            cost[i + len] = c;
                            arrivalLen[i + len] = len;
                            arrivalOffset[i + len] = offset;
                        }
                    }
                }
            }
            int end = longAt >= 0 ? longAt : furthest;
            if (end == 0 && longAt < 0) {
                pos++; // nothing matches here: one more literal
                continue;
            }
            // Walk the cheapest path back from the window's end, then emit it forwards.
            int count = 0;
            for (int j = end; j > 0; ) {
                if (arrivalLen[j] > 0) {
                    pathStart[count] = j - arrivalLen[j];
                    pathLen[count] = arrivalLen[j];
                    pathOffset[count] = arrivalOffset[j];
                    count++;
                    j -= arrivalLen[j];
                } else {
                    j--;
                }
            }
            for (int k = count - 1; k >= 0; k--) {
                int start = base + pathStart[k];
                int outcome = emit(start, start - pathOffset[k], pathLen[k]);
                if (outcome <= 0) {
                    return outcome == 0;
                }
            }
            pos = base + end;
            if (longAt >= 0) {
                // The long match may reach back into the literals left pending before it.
                int back = Lz4Blocks.commonLengthBackward(src, pos, longRef, Math.min(pos - anchor, longRef - srcOff));
                pos -= back;
                longRef -= back;
                longLen += back;
                int outcome = emit(pos, longRef, longLen);
                if (outcome <= 0) {
                    return outcome == 0;
                }
                pos += longLen;
            }
        }
        return true;
    }

    /**
     * Where two overlapping matches covering {@code [pStart, qEnd)} should meet, within
     * {@code [lo, hi]}: a match of up to 18 bytes fits its length in the token, so prefer a split
     * that keeps both (or at least one) that short.
     */
    private static int cheapestBoundary(int pStart, int lo, int hi, int qEnd) {
        int best = lo;
        int bestCost = splitCost(pStart, lo, qEnd);
        for (int i = 0; i < 3; i++) {
            int m = i == 0 ? hi : i == 1 ? pStart + 18 : qEnd - 18;
            if (m > lo && m <= hi) {
                int cost = splitCost(pStart, m, qEnd);
                if (cost < bestCost) {
                    best = m;
                    bestCost = cost;
                }
            }
        }
        return best;
    }

    private static int splitCost(int pStart, int m, int qEnd) {
        return extBytes(m - pStart - MIN_MATCH) + extBytes(qEnd - m - MIN_MATCH);
    }

    /**
     * Writes the sequence (literals since {@link #anchor}, then the match) if the budget allows.
     * Returns 1 to go on, 0 when fill mode has used up the output (anchor is then where the closing
     * literals start), -1 when the block does not fit in non-fill mode.
     */
    private int emit(int ip, int ref, int matchLen) {
        int litLen = ip - anchor;
        int room = dstEnd - op;
        if (litLen + (litLen >>> 7) + (matchLen >>> 7) + 24 > room) {
            int cost = Lz4Blocks.sequenceCost(litLen, matchLen);
            if (!fill) {
                if (cost > room) {
                    return -1;
                }
            } else if (cost + 1 + Math.max(LAST_LITERALS, MF_LIMIT - matchLen) > room) {
                // Same trimming as the fast compressor: keep a token and 5 closing literals.
                int lengthBytes = room - (1 + extBytes(litLen) + litLen + 2) - 1 - LAST_LITERALS;
                if (lengthBytes < 0) {
                    return 0;
                }
                int maxLen = MIN_MATCH + 14 + 255 * lengthBytes;
                if (maxLen >= matchLen) {
                    return 0;
                }
                op = Lz4Blocks.writeSequence(dst, op, dstEnd, src, anchor, litLen, ip - ref, maxLen);
                anchor = ip + maxLen;
                return 0;
            }
        }
        op = Lz4Blocks.writeSequence(dst, op, dstEnd, src, anchor, litLen, ip - ref, matchLen);
        anchor = ip + matchLen;
        return 1;
    }
}
