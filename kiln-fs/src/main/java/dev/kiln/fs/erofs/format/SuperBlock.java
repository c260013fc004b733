package dev.kiln.fs.erofs.format;

import java.nio.ByteBuffer;
import java.util.zip.CRC32C;

/**
 * {@code struct erofs_super_block} (reference §1.1): 128 bytes at byte 1024 of the image. The
 * fields after {@code packed_nid} (48-bit addressing, metabox, xattr prefixes and filters) stay
 * zero: kiln writes none of those features, and the reader refuses images that use them.
 *
 * @param sbExtslots      extra 16-byte slots after the 128 bytes
 * @param rootNid         {@code root_nid}, 16 bits: the root inode lies in the first 2 MiB of
 *                        the metadata
 * @param u1              {@code available_compr_algs} (a bit per algorithm) with COMPR_CFGS,
 *                        otherwise {@code lz4_max_distance}
 * @param devtSlotoff     where the device table starts, in 128-byte units
 * @param packedNid       the inode that holds fragments (FRAGMENTS)
 */
public record SuperBlock(int magic, int checksum, int featureCompat, int blkszbits, int sbExtslots, int rootNid,
                         long inos, long buildTime, int buildTimeNsec, int blocks, int metaBlkAddr,
                         int xattrBlkAddr, byte[] uuid, byte[] volumeName, int featureIncompat, int u1,
                         int extraDevices, int devtSlotoff, long packedNid) {
    public static final int OFFSET = 1024;
    public static final int SIZE = 128;
    /** Byte offsets of the fields a reader names in messages. */
    public static final int CHECKSUM_OFFSET = 0x04, BLKSZBITS_OFFSET = 0x0C, BUILD_TIME_NSEC_OFFSET = 0x20,
            FEATURE_INCOMPAT_OFFSET = 0x50, EXTRA_DEVICES_OFFSET = 0x56;
    private static final int UUID_SIZE = 16, VOLUME_NAME_SIZE = 16;

    public void put(ByteBuffer b, int off) {
        b.putInt(off, magic);
        b.putInt(off + CHECKSUM_OFFSET, checksum);
        b.putInt(off + 0x08, featureCompat);
        b.put(off + BLKSZBITS_OFFSET, (byte) blkszbits);
        b.put(off + 0x0D, (byte) sbExtslots);
        b.putShort(off + 0x0E, (short) rootNid);
        b.putLong(off + 0x10, inos);
        b.putLong(off + 0x18, buildTime);
        b.putInt(off + BUILD_TIME_NSEC_OFFSET, buildTimeNsec);
        b.putInt(off + 0x24, blocks);
        b.putInt(off + 0x28, metaBlkAddr);
        b.putInt(off + 0x2C, xattrBlkAddr);
        b.put(off + 0x30, uuid, 0, UUID_SIZE);
        b.put(off + 0x40, volumeName, 0, VOLUME_NAME_SIZE);
        b.putInt(off + FEATURE_INCOMPAT_OFFSET, featureIncompat);
        b.putShort(off + 0x54, (short) u1);
        b.putShort(off + EXTRA_DEVICES_OFFSET, (short) extraDevices);
        b.putShort(off + 0x58, (short) devtSlotoff);
        for (int i = 0x5A; i < 0x60; i++) b.put(off + i, (byte) 0);
        b.putLong(off + 0x60, packedNid);
        for (int i = 0x68; i < SIZE; i++) b.put(off + i, (byte) 0);
    }

    public static SuperBlock decode(ByteBuffer b, int off) {
        byte[] uuid = new byte[UUID_SIZE];
        byte[] volumeName = new byte[VOLUME_NAME_SIZE];
        b.get(off + 0x30, uuid);
        b.get(off + 0x40, volumeName);
        return new SuperBlock(b.getInt(off), b.getInt(off + CHECKSUM_OFFSET), b.getInt(off + 0x08),
                Byte.toUnsignedInt(b.get(off + BLKSZBITS_OFFSET)), Byte.toUnsignedInt(b.get(off + 0x0D)),
                Short.toUnsignedInt(b.getShort(off + 0x0E)), b.getLong(off + 0x10), b.getLong(off + 0x18),
                b.getInt(off + BUILD_TIME_NSEC_OFFSET), b.getInt(off + 0x24), b.getInt(off + 0x28), b.getInt(off + 0x2C),
                uuid, volumeName, b.getInt(off + FEATURE_INCOMPAT_OFFSET), Short.toUnsignedInt(b.getShort(off + 0x54)),
                Short.toUnsignedInt(b.getShort(off + EXTRA_DEVICES_OFFSET)), Short.toUnsignedInt(b.getShort(off + 0x58)),
                b.getLong(off + 0x60));
    }

    /**
     * How many bytes from the superblock on its checksum covers (§1.3): the rest of block 0, or
     * a whole block when blocks are smaller than the 1024 bytes before the superblock.
     */
    public static int checksumLength(int blockSize) {
        return blockSize > OFFSET ? blockSize - OFFSET : blockSize;
    }

    /**
     * The kernel's {@code crc32c(~0, ...)} over {@code len} bytes of {@code b} from the superblock
     * at {@code off}, with the checksum field taken as zero whatever it holds. That is CRC-32C
     * without the final inversion, i.e. the complement of what {@link CRC32C} computes.
     */
    public static int checksum(byte[] b, int off, int len) {
        CRC32C crc = new CRC32C();
        crc.update(b, off, CHECKSUM_OFFSET);
        crc.update(new byte[4]);
        crc.update(b, off + CHECKSUM_OFFSET + 4, len - CHECKSUM_OFFSET - 4);
        return (int) ~crc.getValue();
    }
}
