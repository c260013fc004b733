package dev.kiln.fs.erofs.format;

import java.nio.ByteBuffer;

/**
 * {@code struct z_erofs_lz4_cfgs} (reference §1.1): with COMPR_CFGS, one record per algorithm of
 * {@code available_compr_algs} follows the superblock, each a le16 length and that many bytes.
 * This is LZ4's: 14 bytes, of which the last 10 are reserved.
 *
 * @param maxDistance       the longest LZ4 match offset used; the kernel sizes its in-place
 *                          decompression margin from it
 * @param maxPclusterBlocks the largest pcluster, in blocks
 */
public record Lz4Config(int maxDistance, int maxPclusterBlocks) {
    public static final int SIZE = 14;
    /** Bytes of the record with its length prefix: already a multiple of 4, the records' alignment. */
    public static final int ENCODED_SIZE = 2 + SIZE;
    /** LZ4's whole window; mkfs writes it too, here and in the superblock's u1 without COMPR_CFGS. */
    public static final int MAX_DISTANCE = 65535;

    /** Writes the length prefix and the record at {@code off}; returns {@link #ENCODED_SIZE}. */
    public int put(ByteBuffer b, int off) {
        b.putShort(off, (short) SIZE);
        b.putShort(off + 2, (short) maxDistance);
        b.putShort(off + 4, (short) maxPclusterBlocks);
        for (int i = 6; i < ENCODED_SIZE; i++) b.put(off + i, (byte) 0);
        return ENCODED_SIZE;
    }

    /** The record whose length prefix is at {@code off}; the prefix itself is the caller's to check. */
    public static Lz4Config decode(ByteBuffer b, int off) {
        return new Lz4Config(Short.toUnsignedInt(b.getShort(off + 2)), Short.toUnsignedInt(b.getShort(off + 4)));
    }
}
