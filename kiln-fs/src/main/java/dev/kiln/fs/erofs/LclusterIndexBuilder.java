package dev.kiln.fs.erofs;

import static dev.kiln.fs.erofs.format.Erofs.BLOCK_SIZE;
import static dev.kiln.fs.erofs.format.LclusterIndex.FULL_INDEX_START;

import dev.kiln.fs.erofs.format.Erofs;
import dev.kiln.fs.erofs.format.LclusterIndex;
import dev.kiln.fs.erofs.format.ZMap;
import java.nio.ByteBuffer;

/**
 * FULL lcluster indexes (reference §8.2–8.3) for one compressed file, built extent by extent in
 * file order the way mkfs 1.5 writes them ({@code vle_write_indexes}): the lcluster where an
 * extent starts gets a head (HEAD1 for LZ4, PLAIN for a stored block) with the start offset and
 * the pcluster address, every further lcluster the extent covers a NONHEAD with the distances
 * back to the head and forward to the next one, and the first NONHEAD of a big-pcluster extent
 * carries the pcluster's block count instead. A last partial lcluster gets a PLAIN terminator
 * at the end-of-file offset.
 *
 * <p>The body also holds the alignment padding and the map header that precede the indexes, so
 * it can be stored right after the inode's xattrs.
 */
final class LclusterIndexBuilder {
    private final boolean bigPcluster;
    private final byte[] body;
    private final ByteBuffer buf;
    private final int start;
    private final long count;
    private int lcn;
    /** Offset inside the current lcluster where the next extent begins. */
    private int clusterOfs;

    /**
     * @param size       uncompressed file size
     * @param pad        0 or 4: bytes that 8-align the map header after core and xattrs
     */
    LclusterIndexBuilder(long size, int pad, boolean bigPcluster) {
        this.bigPcluster = bigPcluster;
        this.count = (size + BLOCK_SIZE - 1) / BLOCK_SIZE;
        long total = pad + FULL_INDEX_START + count * LclusterIndex.SIZE;
        if (total > Integer.MAX_VALUE - 16) throw new dev.kiln.fs.KilnException("file too large for one EROFS index array: " + size);
        this.body = new byte[(int) total];
        this.buf = Erofs.littleEndian(body);
        this.start = pad + FULL_INDEX_START;
        int advise = bigPcluster ? ZMap.ADVISE_BIG_PCLUSTER_1 : 0;
        new ZMap.MapHeader(0, advise, ZMap.COMPRESSION_LZ4, 0).put(buf, pad);
    }

    /** Bytes of body for a file of {@code size} bytes with {@code pad} alignment bytes. */
    static long bodySize(long size, int pad) {
        return pad + FULL_INDEX_START + (size + BLOCK_SIZE - 1) / BLOCK_SIZE * LclusterIndex.SIZE;
    }

    /**
     * The next extent: {@code length} uncompressed bytes stored in {@code blocks} blocks at
     * {@code blkAddr}, LZ4-compressed or ({@code raw}) stored as is in one block.
     */
    void extent(int length, int blkAddr, int blocks, boolean raw) {
        int headType = raw ? LclusterIndex.TYPE_PLAIN : LclusterIndex.TYPE_HEAD1;
        int ofs = clusterOfs;
        int d1 = (ofs + length) / BLOCK_SIZE;
        if (d1 == 0) {
            // The extent ends inside the lcluster it starts in: only the file's last extent can.
            put(LclusterIndex.head(headType, clusterOfs, blkAddr));
            clusterOfs = 0;
            return;
        }
        int remaining = length;
        int d0 = 0;
        do {
            if (d0 == 0) {
                put(LclusterIndex.head(headType, clusterOfs, blkAddr));
            } else if (d0 == 1 && bigPcluster) {
                put(LclusterIndex.nonHead(clusterOfs, LclusterIndex.D0_CBLKCNT | blocks, d1));
            } else {
                // delta[0] with the CBLKCNT bit set would read as a block count: cap it as mkfs does.
                int back = Math.min(d0, LclusterIndex.D0_CBLKCNT - 1);
                put(LclusterIndex.nonHead(clusterOfs, back, d1));
            }
            remaining -= BLOCK_SIZE - ofs;
            ofs = 0;
            d0++;
            d1--;
        } while (ofs + remaining >= BLOCK_SIZE);
        clusterOfs = ofs + remaining;
    }

    private void put(LclusterIndex index) {
        if (lcn >= count) throw new IllegalStateException("extents run past the end of the file");
        index.put(buf, start + lcn * LclusterIndex.SIZE);
        lcn++;
    }

    /** Adds the terminator if needed and returns the body. */
    byte[] finish() {
        if (clusterOfs != 0) {
            put(LclusterIndex.head(LclusterIndex.TYPE_PLAIN, clusterOfs, 0));
            clusterOfs = 0;
        }
        if (lcn != count) throw new IllegalStateException("index has " + lcn + " of " + count + " lclusters");
        return body;
    }
}
