package dev.kiln.fs.erofs.format;

import java.nio.ByteBuffer;

/**
 * {@code struct z_erofs_lcluster_index} (reference §8.2–8.3), the FULL form: 8 bytes per logical
 * cluster, from {@link #FULL_INDEX_START} bytes after the map header. A head lcluster (PLAIN,
 * HEAD1, HEAD2) starts an extent at {@code clusterOfs} and holds its pcluster's block address; a
 * NONHEAD lies wholly inside an extent and holds the distances back to its head and forward to
 * the next one, except that the first NONHEAD after a big-pcluster head holds the pcluster's
 * block count ({@link #D0_CBLKCNT}) in {@code delta[0]}. COMPACT indexes (§8.4) pack the same
 * information into 2 or 4 bytes per lcluster: {@link CompactPacks} and {@link CompactEntry}.
 *
 * @param advise {@code di_advise}: the type in bits 0–1, {@link #PARTIAL_REF} in bit 15
 * @param u      the union {@code di_u}, kept raw: {@code blkaddr} of a head, or {@code delta[0]}
 *               (low half) and {@code delta[1]} (high half) of a NONHEAD
 */
public record LclusterIndex(int advise, int clusterOfs, int u) {
    public static final int SIZE = 8;
    /** FULL indexes start 8 bytes after the (8-byte, 8-aligned) map header. */
    public static final int FULL_INDEX_START = ZMap.MapHeader.SIZE + 8;
    /** COMPACT indexes start right after the map header. */
    public static final int COMPACT_INDEX_START = ZMap.MapHeader.SIZE;

    public static final int TYPE_PLAIN = 0, TYPE_HEAD1 = 1, TYPE_NONHEAD = 2, TYPE_HEAD2 = 3;
    private static final int TYPE_MASK = 3;
    /** Dedupe: the head's pcluster decodes to more than this extent, which uses a prefix of it. */
    public static final int PARTIAL_REF = 0x8000;
    /** In the first NONHEAD after a big-pcluster head: the rest of delta[0] is the block count. */
    public static final int D0_CBLKCNT = 0x800;

    public static LclusterIndex head(int type, int clusterOfs, int blkAddr) {
        return new LclusterIndex(type, clusterOfs, blkAddr);
    }

    public static LclusterIndex nonHead(int clusterOfs, int delta0, int delta1) {
        return new LclusterIndex(TYPE_NONHEAD, clusterOfs, (delta0 & 0xFFFF) | delta1 << 16);
    }

    public int type() {
        return advise & TYPE_MASK;
    }

    public boolean partialRef() {
        return (advise & PARTIAL_REF) != 0;
    }

    public int blkAddr() {
        return u;
    }

    public int delta0() {
        return u & 0xFFFF;
    }

    public int delta1() {
        return u >>> 16;
    }

    public void put(ByteBuffer b, int off) {
        b.putShort(off, (short) advise);
        b.putShort(off + 2, (short) clusterOfs);
        b.putInt(off + 4, u);
    }

    public static LclusterIndex decode(ByteBuffer b, int off) {
        return new LclusterIndex(Short.toUnsignedInt(b.getShort(off)), Short.toUnsignedInt(b.getShort(off + 2)),
                b.getInt(off + 4));
    }

    /**
     * Where the entries of a COMPACT index lie (§8.4). Entries come in packs that end with a le32
     * base block address: 4-byte packs (2 entries in 8 bytes) until {@code ebase} reaches a
     * 32-byte boundary, then, with {@link ZMap#ADVISE_COMPACTED_2B}, 2-byte packs (16 entries in
     * 32 bytes) for as many whole packs as fit, then 4-byte packs again.
     *
     * @param ebase       where the index starts, {@link #COMPACT_INDEX_START} after the map header
     * @param initial4b   entries in the leading 4-byte packs
     * @param compacted2b entries in 2-byte packs
     */
    public record CompactPacks(long ebase, long initial4b, long compacted2b) {
        public static final int PACK_4B = 8, PACK_2B = 32;
        /** Bytes per entry in each kind of pack; 2-byte packs are the densest index there is. */
        public static final int ENTRY_4B = 4, ENTRY_2B = 2;
        private static final int PER_PACK_2B = PACK_2B / ENTRY_2B;
        /** 2-byte packs exist for 4 KiB lclusters only: their 14-bit entries have room for 12 bits of offset. */
        public static final int LCLUSTER_BITS_2B = 12;

        /** Entries before the first 32-byte boundary after {@code ebase}, in 4-byte packs. */
        public static long initial4b(long ebase) {
            return ((PACK_2B - ebase % PACK_2B) / 4) & 7;
        }

        /** Entries in 2-byte packs when they are on: whole packs of the rest. */
        public static long compacted2b(long total, long initial4b) {
            return (total - initial4b) / PER_PACK_2B * PER_PACK_2B;
        }

        /** Bytes per entry in a pack of {@code packSize} bytes. */
        static int entrySize(int packSize) {
            return packSize == PACK_2B ? ENTRY_2B : ENTRY_4B;
        }

        /** Byte position of the entry of lcluster {@code lcn}. */
        public long pos(long lcn) {
            if (lcn < initial4b) return ebase + lcn * ENTRY_4B;
            long rest = lcn - initial4b;
            long start2b = ebase + initial4b * ENTRY_4B;
            if (rest < compacted2b) return start2b + rest * ENTRY_2B;
            return start2b + compacted2b * ENTRY_2B + (rest - compacted2b) * ENTRY_4B;
        }

        /** Bytes of the pack holding lcluster {@code lcn}: {@link #PACK_2B} or {@link #PACK_4B}. */
        public int packSize(long lcn) {
            return lcn >= initial4b && lcn - initial4b < compacted2b ? PACK_2B : PACK_4B;
        }

        /** Byte position of the pack holding lcluster {@code lcn}; packs are aligned to their size. */
        public long packStart(long lcn) {
            return pos(lcn) & -(long) packSize(lcn);
        }

        /** Which entry of its pack lcluster {@code lcn} is. */
        public int slot(long lcn) {
            return (int) ((pos(lcn) - packStart(lcn)) / entrySize(packSize(lcn)));
        }

        /** Where the pack of the last of {@code total} lclusters ends: an inline tail pcluster follows. */
        public long end(long total) {
            return packStart(total - 1) + packSize(total - 1);
        }
    }

    /**
     * One entry of a COMPACT pack: its type and {@code lo}, the cluster offset of a head or
     * delta[0] of a NONHEAD ({@link #D0_CBLKCNT} included; the last entry of a pack holds
     * delta[1] instead). A head's block address is not in the entry: it follows from the pack's
     * base address ({@link #packBlkAddr}) and the pclusters of the entries before it.
     */
    public record CompactEntry(int type, int lo) {
        /** {@code lo} is never narrower than 12 bits, so that {@link #D0_CBLKCNT} fits in it. */
        public static final int MIN_LOBITS = 12;

        /** Bits of {@code lo} for lclusters of {@code 1 << lclusterBits} bytes. */
        public static int lobits(int lclusterBits) {
            return Math.max(lclusterBits, MIN_LOBITS);
        }

        /**
         * Entry {@code slot} of the pack of {@code packSize} bytes at {@code packOff}, with
         * {@code lobits} from {@link #lobits}. The entries share the bits before the pack's base
         * address evenly: 16 each in 4-byte packs, 14 in 2-byte packs.
         */
        public static CompactEntry decode(ByteBuffer b, int packOff, int packSize, int slot, int lobits) {
            int vcnt = packSize / CompactPacks.entrySize(packSize);
            int encodebits = (packSize - Integer.BYTES) * 8 / vcnt;
            int bitPos = encodebits * slot;
            int v = b.getInt(packOff + bitPos / 8) >>> (bitPos & 7);
            return new CompactEntry((v >>> lobits) & TYPE_MASK, v & ((1 << lobits) - 1));
        }

        /** The le32 base block address at the end of a pack. */
        public static int packBlkAddr(ByteBuffer b, int packOff, int packSize) {
            return b.getInt(packOff + packSize - 4);
        }
    }
}
