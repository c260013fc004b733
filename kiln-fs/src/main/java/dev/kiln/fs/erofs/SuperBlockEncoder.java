package dev.kiln.fs.erofs;

import static dev.kiln.fs.erofs.ErofsFormat.BLOCK_SIZE;
import static dev.kiln.fs.erofs.ErofsFormat.SUPER_OFFSET;

import java.nio.ByteBuffer;
import java.util.zip.CRC32C;

/**
 * Block 0 (reference §1): the superblock at byte 1024, the compression config records after it,
 * and the superblock checksum, which covers the rest of block 0 (inodes placed there included)
 * and so is computed last.
 */
final class SuperBlockEncoder {
    private SuperBlockEncoder() {}

    /** Where the first structure after the superblock (and its config records) may start. */
    static int headerEnd(boolean comprCfgs) {
        return SUPER_OFFSET + ErofsFormat.SUPER_SIZE + (comprCfgs ? 2 + ErofsFormat.Lz4Config.SIZE : 0);
    }

    /** Writes the LZ4 config record right after the superblock (only with COMPR_CFGS). */
    static void putLz4Config(byte[] block0, int maxPclusterBlocks) {
        new ErofsFormat.Lz4Config(ErofsFormat.LZ4_MAX_DISTANCE, maxPclusterBlocks)
                .put(ErofsFormat.littleEndian(block0), SUPER_OFFSET + ErofsFormat.SUPER_SIZE);
    }

    /** Encodes {@code sb} with a zero checksum, then stores the checksum of block 0. */
    static void put(byte[] block0, ErofsFormat.SuperBlock sb) {
        ByteBuffer b = ErofsFormat.littleEndian(block0);
        sb.put(b, SUPER_OFFSET);
        b.putInt(SUPER_OFFSET + 4, checksum(block0));
    }

    /**
     * The kernel's {@code crc32c(~0, sb..end of block 0)}: CRC-32C without the final inversion,
     * i.e. the complement of the standard value Java computes. The field must be zero while hashing.
     */
    static int checksum(byte[] block0) {
        CRC32C crc = new CRC32C();
        crc.update(block0, SUPER_OFFSET, BLOCK_SIZE - SUPER_OFFSET);
        return (int) ~crc.getValue();
    }
}
