package dev.kiln.fs.erofs;

import static dev.kiln.fs.erofs.format.Erofs.BLOCK_SIZE;

import dev.kiln.fs.erofs.format.Erofs;
import dev.kiln.fs.erofs.format.Lz4Config;
import dev.kiln.fs.erofs.format.SuperBlock;
import java.nio.ByteBuffer;

/**
 * Block 0 (reference §1): the superblock at byte 1024, the compression config records after it,
 * and the superblock checksum, which covers the rest of block 0 (inodes placed there included)
 * and so is computed last.
 */
final class SuperBlockEncoder {
    private SuperBlockEncoder() {}

    /** Where the first structure after the superblock (and its config records) may start. */
    static int headerEnd(boolean comprCfgs) {
        return SuperBlock.OFFSET + SuperBlock.SIZE + (comprCfgs ? Lz4Config.ENCODED_SIZE : 0);
    }

    /** Writes the LZ4 config record right after the superblock (only with COMPR_CFGS). */
    static void putLz4Config(byte[] block0, int maxPclusterBlocks) {
        new Lz4Config(Lz4Config.MAX_DISTANCE, maxPclusterBlocks).put(Erofs.littleEndian(block0), SuperBlock.OFFSET + SuperBlock.SIZE);
    }

    /**
     * The superblock kiln writes: 4 KiB blocks, metadata and shared xattrs addressed from block 0,
     * no volume name, no extra devices, no packed inode; the checksum is filled in by {@link #put}.
     */
    static SuperBlock superBlock(int featureCompat, int featureIncompat, int u1, long rootNid, long inos,
                                 long buildTime, long blocks, byte[] uuid) {
        return new SuperBlock(Erofs.MAGIC, 0, featureCompat, Erofs.BLOCK_SIZE_BITS, 0, (int) rootNid, inos, buildTime,
                0, (int) blocks, 0, 0, uuid, new byte[16], featureIncompat, u1, 0, 0, 0);
    }

    /** Encodes {@code sb}, then stores the checksum of block 0 in it. */
    static void put(byte[] block0, SuperBlock sb) {
        ByteBuffer b = Erofs.littleEndian(block0);
        sb.put(b, SuperBlock.OFFSET);
        int checksum = SuperBlock.checksum(block0, SuperBlock.OFFSET, SuperBlock.checksumLength(BLOCK_SIZE));
        b.putInt(SuperBlock.OFFSET + SuperBlock.CHECKSUM_OFFSET, checksum);
    }
}
