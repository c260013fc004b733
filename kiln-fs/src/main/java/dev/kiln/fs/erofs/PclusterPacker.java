package dev.kiln.fs.erofs;

import static dev.kiln.fs.erofs.format.Erofs.BLOCK_SIZE;

import dev.kiln.fs.lz4.Lz4Compressor;
import java.util.Arrays;

/**
 * Cuts one run of file data into extents and pclusters as mkfs 1.5 does
 * ({@code vle_compress_one}): each pcluster is filled with as much input as its LZ4 block can hold
 * ({@code compressDestSize}), kept only if it saves at least a block, else the start of that
 * input is stored raw (see {@link #pack}); a last piece of at most one block is always stored
 * raw. Compressed blocks are right-aligned in their pcluster with leading zeros
 * (LZ4_0PADDING), so the pcluster is exactly {@code ceil(csize / 4096)} blocks.
 *
 * <p>One instance per thread: it owns the compressor's match tables and a scratch buffer.
 */
final class PclusterPacker {
    private final Lz4Compressor lz4;
    private final int pclusterSize;
    private final boolean probe;
    private final byte[] scratch;
    private Lz4Compressor fast;

    /**
     * @param probe {@code lz4} is a slow compressor (HC): after a window fails to save a block,
     *              or when a segment's first block looks compressed already
     *              ({@link #looksCompressed}), the next window is first tried with the fast
     *              compressor, and only compressed with {@code lz4} when that probe saves a
     *              block. Already-compressed files (a fifth of a typical /usr/share) then cost
     *              one fast pass instead of two HC passes per byte; a window the fast probe
     *              cannot shrink by a whole block is nearly incompressible, so the image grows
     *              by a few blocks at most.
     */
    PclusterPacker(Lz4Compressor lz4, int pclusterSize, boolean probe) {
        this.lz4 = lz4;
        this.pclusterSize = pclusterSize;
        this.probe = probe;
        this.scratch = new byte[pclusterSize];
    }

    /** The probing compressor, made on first use (only HC builds with incompressible data need it). */
    private Lz4Compressor fast() {
        if (fast == null) fast = Lz4Compressor.fast();
        return fast;
    }

    /** Output bound for {@code len} input bytes: compressed pclusters never grow data, a last raw block may. */
    static int maxOutput(int len) {
        return ((len + BLOCK_SIZE - 1) & -BLOCK_SIZE) + BLOCK_SIZE;
    }

    /**
     * Packs {@code src[off, off+len)} into whole blocks at {@code out[outOff..]} and appends its
     * extents to {@code extents}. Returns the output bytes (a multiple of 4096).
     */
    int pack(byte[] src, int off, int len, byte[] out, int outOff, Extents extents) {
        int pos = 0;
        int o = outOff;
        // Already-compressed data (gzip man pages and changelogs, PNG: 2 400 files of a
        // /usr/share) would cost a full HC pass on its first window just to find that out.
        boolean failed = probe && len > BLOCK_SIZE && looksCompressed(src, off);
        while (pos < len) {
            int rem = len - pos;
            int rawBlocks = 1;
            if (rem > BLOCK_SIZE) {
                long r = -1;
                if (failed && probe) {
                    long p = fast().compressDestSize(src, off + pos, rem, scratch, 0, pclusterSize);
                    if (!saves(p)) r = p; // still incompressible: no HC pass
                }
                if (r == -1) r = lz4.compressDestSize(src, off + pos, rem, scratch, 0, pclusterSize);
                int consumed = Lz4Compressor.consumed(r);
                int written = Lz4Compressor.written(r);
                int blocks = (written + BLOCK_SIZE - 1) / BLOCK_SIZE;
                failed = !saves(r);
                if (!failed) {
                    int room = blocks * BLOCK_SIZE;
                    Arrays.fill(out, o, o + room - written, (byte) 0);
                    System.arraycopy(scratch, 0, out, o + room - written, written);
                    o += room;
                    extents.add(consumed, blocks, false);
                    pos += consumed;
                    continue;
                }
                // mkfs retries one block further on, compressing nearly the same window again:
                // on incompressible data (media, archives) that is 16 attempts per 64 KiB
                // pcluster. Half of what failed to fit is stored raw at once instead; a
                // compressible run starting inside it loses at most those blocks' gain.
                rawBlocks = Math.max(1, consumed / 2 / BLOCK_SIZE);
            }
            // Not worth compressing (or too small to save a block): raw blocks.
            for (int i = 0; i < rawBlocks && pos < len; i++) {
                int n = Math.min(BLOCK_SIZE, len - pos);
                System.arraycopy(src, off + pos, out, o, n);
                Arrays.fill(out, o + n, o + BLOCK_SIZE, (byte) 0);
                o += BLOCK_SIZE;
                extents.add(n, 1, true);
                pos += n;
            }
        }
        return o - outOff;
    }

    private final int[] histogram = new int[256];

    /**
     * Whether the first block of {@code src[off..]} has the byte statistics of compressed or
     * encrypted data: above 7.5 bits per byte of order-0 entropy (text has 4-5.5, machine code
     * about 6, deflate and PNG streams 7.9 and more). Only a hint: such a window is first tried
     * with the fast compressor, and HC still runs when that saves a block.
     */
    private boolean looksCompressed(byte[] src, int off) {
        int[] h = histogram;
        Arrays.fill(h, 0);
        for (int i = off; i < off + BLOCK_SIZE; i++) h[src[i] & 0xff]++;
        // H = log2(n) - sum(c log2 c) / n, with n = 4096 = 2^12.
        double sum = 0;
        for (int c : h) if (c > 1) sum += c * Math.log(c);
        double bits = 12 - sum / BLOCK_SIZE / Math.log(2);
        return bits > 7.5;
    }

    /** Whether a destSize result covers more input than the whole blocks it takes. */
    private static boolean saves(long r) {
        int written = Lz4Compressor.written(r);
        int blocks = (written + BLOCK_SIZE - 1) / BLOCK_SIZE;
        return written > 0 && Lz4Compressor.consumed(r) > blocks * BLOCK_SIZE;
    }

    /** Extents of a run, as parallel int arrays (no object per extent). */
    static final class Extents {
        int count;
        int[] length = new int[16];
        int[] blocks = new int[16];
        boolean[] raw = new boolean[16];

        void add(int len, int blks, boolean isRaw) {
            if (count == length.length) {
                length = Arrays.copyOf(length, count * 2);
                blocks = Arrays.copyOf(blocks, count * 2);
                raw = Arrays.copyOf(raw, count * 2);
            }
            length[count] = len;
            blocks[count] = blks;
            raw[count++] = isRaw;
        }

        void clear() {
            count = 0;
        }

        int totalBlocks() {
            int t = 0;
            for (int i = 0; i < count; i++) t += blocks[i];
            return t;
        }
    }
}
