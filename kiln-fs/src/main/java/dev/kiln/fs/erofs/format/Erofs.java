package dev.kiln.fs.erofs.format;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * What the whole image shares (reference §1): the block size kiln writes, the magic, the null
 * block address, inode slots and the superblock's feature bits.
 */
public final class Erofs {
    private Erofs() {}

    public static final int MAGIC = 0xE0F5E1E2;

    /** The only block size fsck.erofs 1.5 accepts and the page size older kernels require (§1.4). */
    public static final int BLOCK_SIZE_BITS = 12;
    public static final int BLOCK_SIZE = 1 << BLOCK_SIZE_BITS;

    /** "No block": all-inline data, a hole in a chunk table (§2.5, §3.3). */
    public static final int NULL_ADDR = 0xFFFFFFFF;

    /** Inodes live on 32-byte slots: {@code offset = meta_blkaddr * bs + nid * 32} (§1.5). */
    public static final int SLOT_SIZE_BITS = 5;
    public static final int SLOT_SIZE = 1 << SLOT_SIZE_BITS;

    // feature_compat (§1.2)
    public static final int FEATURE_COMPAT_SB_CHKSUM = 0x1;
    /** Informational: the extended-inode time is an mtime, not a ctime. */
    public static final int FEATURE_COMPAT_MTIME = 0x2;

    // feature_incompat (§1.2); several bits carry two names, the second for a later feature.
    public static final int FEATURE_INCOMPAT_LZ4_0PADDING = 0x1;
    public static final int FEATURE_INCOMPAT_COMPR_CFGS = 0x2;
    public static final int FEATURE_INCOMPAT_BIG_PCLUSTER = 0x2;
    public static final int FEATURE_INCOMPAT_CHUNKED_FILE = 0x4;
    public static final int FEATURE_INCOMPAT_DEVICE_TABLE = 0x8;
    public static final int FEATURE_INCOMPAT_COMPR_HEAD2 = 0x8;
    public static final int FEATURE_INCOMPAT_ZTAILPACKING = 0x10;
    public static final int FEATURE_INCOMPAT_FRAGMENTS = 0x20;
    public static final int FEATURE_INCOMPAT_DEDUPE = 0x20;
    public static final int FEATURE_INCOMPAT_XATTR_PREFIXES = 0x40;
    /** 48-bit block addresses: changes where several fields live. */
    public static final int FEATURE_INCOMPAT_48BIT = 0x80;
    public static final int FEATURE_INCOMPAT_METABOX = 0x100;

    /** A little-endian view of {@code b}, the byte order of every EROFS field. */
    public static ByteBuffer littleEndian(byte[] b) {
        return ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
    }
}
