package dev.kiln.fs.erofs.format;

import java.nio.ByteBuffer;

/**
 * The map of a compressed inode (reference §8.1–8.2, §8.7): an 8-byte header at the 8-aligned end
 * of core and xattrs, then one {@link LclusterIndex} per logical cluster. The header says which
 * index form follows (by the inode's layout), how big pclusters may be, which algorithms the
 * heads use and where a packed tail lives.
 */
public final class ZMap {
    private ZMap() {}

    /** Algorithm ids, in {@code h_algorithmtype} and as bits of {@code available_compr_algs} (§8.8). */
    public static final int COMPRESSION_LZ4 = 0, COMPRESSION_LZMA = 1, COMPRESSION_DEFLATE = 2, COMPRESSION_ZSTD = 3;

    // h_advise
    /** COMPACT: the middle of the index uses 2-byte packs. */
    public static final int ADVISE_COMPACTED_2B = 0x1;
    /** HEAD1 (HEAD2) pclusters may be bigger than a block; the block count follows the head. */
    public static final int ADVISE_BIG_PCLUSTER_1 = 0x2, ADVISE_BIG_PCLUSTER_2 = 0x4;
    /** The last pcluster is stored inline after the index (ztailpacking). */
    public static final int ADVISE_INLINE_PCLUSTER = 0x8;
    /** Uncompressed pclusters start at the extent's offset within its block and wrap around. */
    public static final int ADVISE_INTERLACED_PCLUSTER = 0x10;
    /** The tail lives in the packed inode, at {@code h_fragmentoff}. */
    public static final int ADVISE_FRAGMENT_PCLUSTER = 0x20;

    /** Bits of {@code h_clusterbits}: the lcluster size as a shift above the block size. */
    public static final int CLUSTERBITS_MASK = 0x0F;
    /** Bit of {@code h_clusterbits}: the whole file is in the packed inode. */
    public static final int CLUSTERBITS_FRAGMENT_INODE = 0x80;

    /** The kernel's limits: a pcluster holds at most 1 MiB, an extent decodes to at most 12 MiB. */
    public static final int PCLUSTER_MAX_SIZE = 1 << 20;
    public static final int PCLUSTER_MAX_DSIZE = 12 << 20;

    /** Where the map header is: the end of core and xattrs, rounded up to 8. */
    public static long headerPos(long inodeDataPos) {
        return (inodeDataPos + 7) & ~7L;
    }

    /**
     * {@code struct z_erofs_map_header}. Its first 4 bytes are a union, kept raw: {@code
     * h_fragmentoff}, or a reserved le16 and {@code h_idata_size} (see {@link #idataSize()}).
     * With {@link #CLUSTERBITS_FRAGMENT_INODE} all 8 bytes but that bit are the whole file's
     * offset in the packed inode ({@link #wholeFileFragmentOffset()}).
     */
    public record MapHeader(int fragmentOff, int advise, int algorithmType, int clusterBits) {
        public static final int SIZE = 8;

        /** Bytes of the inline tail pcluster, with {@link #ADVISE_INLINE_PCLUSTER}. */
        public int idataSize() {
            return fragmentOff >>> 16;
        }

        /** The algorithm of HEAD1 lclusters (low nibble) and of HEAD2 lclusters (high nibble). */
        public int algorithmHead1() {
            return algorithmType & 0x0F;
        }

        public int algorithmHead2() {
            return algorithmType >>> 4;
        }

        public boolean wholeFileFragment() {
            return (clusterBits & CLUSTERBITS_FRAGMENT_INODE) != 0;
        }

        public long wholeFileFragmentOffset() {
            long all = Integer.toUnsignedLong(fragmentOff) | (long) advise << 32 | (long) algorithmType << 48
                    | (long) clusterBits << 56;
            return all & Long.MAX_VALUE;
        }

        public void put(ByteBuffer b, int off) {
            b.putInt(off, fragmentOff);
            b.putShort(off + 4, (short) advise);
            b.put(off + 6, (byte) algorithmType);
            b.put(off + 7, (byte) clusterBits);
        }

        public static MapHeader decode(ByteBuffer b, int off) {
            return new MapHeader(b.getInt(off), Short.toUnsignedInt(b.getShort(off + 4)),
                    Byte.toUnsignedInt(b.get(off + 6)), Byte.toUnsignedInt(b.get(off + 7)));
        }
    }
}
