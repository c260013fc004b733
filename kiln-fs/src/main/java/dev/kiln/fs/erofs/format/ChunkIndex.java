package dev.kiln.fs.erofs.format;

import java.nio.ByteBuffer;

/**
 * CHUNK_BASED files (reference §3.3): {@code i_u} holds the chunk format (its low 16 bits), and a
 * table with an entry per chunk follows core and xattrs, aligned to the entry size. Entries are
 * 4-byte block addresses (a "block map"), or with {@link #FORMAT_INDEXES} this record, {@code
 * struct erofs_inode_chunk_index}. A block address of {@link Erofs#NULL_ADDR} is a hole.
 *
 * @param advise   {@code startblk_hi} with 48-bit addressing, otherwise unused
 * @param deviceId the device the chunk lives on; 0 is the image itself
 */
public record ChunkIndex(int advise, int deviceId, int startBlk) {
    public static final int SIZE = 8;
    public static final int BLOCK_MAP_ENTRY_SIZE = 4;

    /** Chunk format bits: the chunk size as a shift above the block size, and 8-byte entries. */
    public static final int FORMAT_BLKBITS_MASK = 0x1F;
    public static final int FORMAT_INDEXES = 0x20;
    public static final int FORMAT_ALL = FORMAT_BLKBITS_MASK | FORMAT_INDEXES;

    /** The chunk format of a CHUNK_BASED inode's {@code i_u}. */
    public static int format(int iu) {
        return iu & 0xFFFF;
    }

    /** Bytes per table entry for {@code format}. */
    public static int entrySize(int format) {
        return (format & FORMAT_INDEXES) != 0 ? SIZE : BLOCK_MAP_ENTRY_SIZE;
    }

    public void put(ByteBuffer b, int off) {
        b.putShort(off, (short) advise);
        b.putShort(off + 2, (short) deviceId);
        b.putInt(off + 4, startBlk);
    }

    public static ChunkIndex decode(ByteBuffer b, int off) {
        return new ChunkIndex(Short.toUnsignedInt(b.getShort(off)), Short.toUnsignedInt(b.getShort(off + 2)),
                b.getInt(off + 4));
    }

    /** The block address of a block map entry. */
    public static int decodeBlockMap(ByteBuffer b, int off) {
        return b.getInt(off);
    }
}
