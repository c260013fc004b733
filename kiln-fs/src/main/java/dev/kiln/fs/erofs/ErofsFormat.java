package dev.kiln.fs.erofs;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The EROFS on-disk format: constants and one record per on-disk structure, named after
 * {@code include/erofs_fs.h} (erofs-utils / Linux {@code fs/erofs/erofs_fs.h}). Pure values, no
 * I/O, no state: the one file a writer and a reader of this package may share. All integers are
 * little-endian.
 *
 * <p>Each record's {@code put} encodes it at an absolute offset of a little-endian buffer, so
 * callers can lay many structures into one big metadata buffer without per-structure arrays.
 */
final class ErofsFormat {
    private ErofsFormat() {}

    // ---- global ----
    public static final int BLOCK_SIZE_BITS = 12;
    /** The only block size fsck.erofs 1.5 accepts and the page size older kernels require. */
    public static final int BLOCK_SIZE = 1 << BLOCK_SIZE_BITS;
    public static final int SUPER_OFFSET = 1024;
    public static final int SUPER_SIZE = 128;
    public static final int MAGIC = 0xE0F5E1E2;
    /** Inodes live on 32-byte slots: {@code offset = meta_blkaddr * bs + nid * 32}. */
    public static final int SLOT_SIZE_BITS = 5;
    public static final int SLOT_SIZE = 1 << SLOT_SIZE_BITS;
    public static final int NULL_ADDR = 0xFFFFFFFF;

    // ---- feature bits (superblock) ----
    public static final int FEATURE_COMPAT_SB_CHKSUM = 0x1;
    /** Informational: the extended-inode time is an mtime, not a ctime. */
    public static final int FEATURE_COMPAT_MTIME = 0x2;
    public static final int FEATURE_INCOMPAT_LZ4_0PADDING = 0x1;
    /** Same bit, two names: compression config records after the superblock, and big pclusters. */
    public static final int FEATURE_INCOMPAT_COMPR_CFGS = 0x2;
    public static final int FEATURE_INCOMPAT_BIG_PCLUSTER = 0x2;
    public static final int FEATURE_INCOMPAT_CHUNKED_FILE = 0x4;
    public static final int FEATURE_INCOMPAT_DEVICE_TABLE = 0x8;
    public static final int FEATURE_INCOMPAT_ZTAILPACKING = 0x10;
    public static final int FEATURE_INCOMPAT_FRAGMENTS = 0x20;

    // ---- inodes ----
    public static final int INODE_COMPACT_SIZE = 32;
    public static final int INODE_EXTENDED_SIZE = 64;
    public static final int INODE_VERSION_COMPACT = 0;
    public static final int INODE_VERSION_EXTENDED = 1;
    /** Data layouts: bits 1..3 of {@code i_format}. */
    public static final int INODE_FLAT_PLAIN = 0;
    public static final int INODE_COMPRESSED_FULL = 1;
    public static final int INODE_FLAT_INLINE = 2;
    public static final int INODE_COMPRESSED_COMPACT = 3;
    public static final int INODE_CHUNK_BASED = 4;

    public static int inodeFormat(int version, int layout) {
        return version | (layout << 1);
    }

    /** Linux {@code new_encode_dev}: the 32-bit device number stored in {@code i_u}. */
    public static int encodeDevice(int major, int minor) {
        return (minor & 0xff) | (major << 8) | ((minor & ~0xff) << 12);
    }

    // ---- directories ----
    public static final int DIRENT_SIZE = 12;
    public static final int MAX_NAME_LEN = 255;
    public static final int FT_UNKNOWN = 0, FT_REG_FILE = 1, FT_DIR = 2, FT_CHRDEV = 3, FT_BLKDEV = 4,
            FT_FIFO = 5, FT_SOCK = 6, FT_SYMLINK = 7;

    // ---- xattrs ----
    public static final int XATTR_IBODY_HEADER_SIZE = 12;
    public static final int XATTR_ENTRY_SIZE = 4;
    public static final int XATTR_INDEX_USER = 1, XATTR_INDEX_POSIX_ACL_ACCESS = 2, XATTR_INDEX_POSIX_ACL_DEFAULT = 3,
            XATTR_INDEX_TRUSTED = 4, XATTR_INDEX_LUSTRE = 5, XATTR_INDEX_SECURITY = 6;

    /** Bytes of an inline xattr area with {@code icount} (0 = none): {@code 12 + 4 * (icount - 1)}. */
    public static int xattrIbodySize(int icount) {
        return icount == 0 ? 0 : XATTR_IBODY_HEADER_SIZE + 4 * (icount - 1);
    }

    // ---- compression ----
    public static final int COMPRESSION_LZ4 = 0;
    public static final int LZ4_MAX_DISTANCE = 65535;
    public static final int MAP_HEADER_SIZE = 8;
    /** FULL indexes start 8 bytes after the (8-aligned) map header. */
    public static final int FULL_INDEX_START = MAP_HEADER_SIZE + 8;
    public static final int LCLUSTER_INDEX_SIZE = 8;
    public static final int LCLUSTER_TYPE_PLAIN = 0, LCLUSTER_TYPE_HEAD1 = 1, LCLUSTER_TYPE_NONHEAD = 2,
            LCLUSTER_TYPE_HEAD2 = 3;
    /** In the first NONHEAD after a head (big pcluster): delta[0] holds the pcluster block count. */
    public static final int LI_D0_CBLKCNT = 0x800;
    public static final int ADVISE_COMPACTED_2B = 0x1, ADVISE_BIG_PCLUSTER_1 = 0x2, ADVISE_BIG_PCLUSTER_2 = 0x4,
            ADVISE_INLINE_PCLUSTER = 0x8, ADVISE_INTERLACED_PCLUSTER = 0x10, ADVISE_FRAGMENT_PCLUSTER = 0x20;
    /** The kernel refuses pclusters above 1 MiB. */
    public static final int PCLUSTER_MAX_SIZE = 1 << 20;

    public static ByteBuffer littleEndian(byte[] b) {
        return ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
    }

    /** {@code struct erofs_super_block} as of erofs-utils 1.5 (128 bytes, no extension slots). */
    public record SuperBlock(int checksum, int featureCompat, int rootNid, long inos, long buildTime,
                             int buildTimeNsec, int blocks, int metaBlkAddr, int xattrBlkAddr, byte[] uuid,
                             byte[] volumeName, int featureIncompat, int u1) {
        public void put(ByteBuffer b, int off) {
            b.putInt(off, MAGIC);
            b.putInt(off + 0x04, checksum);
            b.putInt(off + 0x08, featureCompat);
            b.put(off + 0x0C, (byte) BLOCK_SIZE_BITS);
            b.put(off + 0x0D, (byte) 0); // sb_extslots
            b.putShort(off + 0x0E, (short) rootNid);
            b.putLong(off + 0x10, inos);
            b.putLong(off + 0x18, buildTime);
            b.putInt(off + 0x20, buildTimeNsec);
            b.putInt(off + 0x24, blocks);
            b.putInt(off + 0x28, metaBlkAddr);
            b.putInt(off + 0x2C, xattrBlkAddr);
            b.put(off + 0x30, uuid, 0, 16);
            b.put(off + 0x40, volumeName, 0, 16);
            b.putInt(off + 0x50, featureIncompat);
            b.putShort(off + 0x54, (short) u1);
            // extra_devices, devt_slotoff and the reserved tail stay zero.
        }
    }

    /** The LZ4 compression config record ({@code struct z_erofs_lz4_cfgs}), 14 bytes after its le16 length. */
    public record Lz4Config(int maxDistance, int maxPclusterBlocks) {
        public static final int SIZE = 14;

        /** Writes the length prefix and the record; returns the bytes used (4-byte aligned). */
        public int put(ByteBuffer b, int off) {
            b.putShort(off, (short) SIZE);
            b.putShort(off + 2, (short) maxDistance);
            b.putShort(off + 4, (short) maxPclusterBlocks);
            return 2 + SIZE; // 16, already 4-aligned
        }
    }

    /** {@code struct erofs_inode_compact} (32 bytes). The mtime slot at 0x0C is written 0 (see reference §2.4). */
    public record InodeCompact(int layout, int xattrIcount, int mode, int nlink, int size, int iu, int ino,
                               int uid, int gid) {
        public void put(ByteBuffer b, int off) {
            b.putShort(off, (short) inodeFormat(INODE_VERSION_COMPACT, layout));
            b.putShort(off + 0x02, (short) xattrIcount);
            b.putShort(off + 0x04, (short) mode);
            b.putShort(off + 0x06, (short) nlink);
            b.putInt(off + 0x08, size);
            b.putInt(off + 0x0C, 0);
            b.putInt(off + 0x10, iu);
            b.putInt(off + 0x14, ino);
            b.putShort(off + 0x18, (short) uid);
            b.putShort(off + 0x1A, (short) gid);
            b.putInt(off + 0x1C, 0);
        }
    }

    /** {@code struct erofs_inode_extended} (64 bytes). */
    public record InodeExtended(int layout, int xattrIcount, int mode, long size, int iu, int ino, int uid,
                                int gid, long mtime, int mtimeNsec, int nlink) {
        public void put(ByteBuffer b, int off) {
            b.putShort(off, (short) inodeFormat(INODE_VERSION_EXTENDED, layout));
            b.putShort(off + 0x02, (short) xattrIcount);
            b.putShort(off + 0x04, (short) mode);
            b.putShort(off + 0x06, (short) 0);
            b.putLong(off + 0x08, size);
            b.putInt(off + 0x10, iu);
            b.putInt(off + 0x14, ino);
            b.putInt(off + 0x18, uid);
            b.putInt(off + 0x1C, gid);
            b.putLong(off + 0x20, mtime);
            b.putInt(off + 0x28, mtimeNsec);
            b.putInt(off + 0x2C, nlink);
            b.putLong(off + 0x30, 0);
            b.putLong(off + 0x38, 0);
        }
    }

    /** {@code struct erofs_dirent} (12 bytes); names follow the dirents of a block. */
    public record Dirent(long nid, int nameOff, int fileType) {
        public void put(ByteBuffer b, int off) {
            put(b, off, nid, nameOff, fileType);
        }

        /** Allocation-free form for the directory builder's inner loop. */
        public static void put(ByteBuffer b, int off, long nid, int nameOff, int fileType) {
            b.putLong(off, nid);
            b.putShort(off + 8, (short) nameOff);
            b.put(off + 10, (byte) fileType);
            b.put(off + 11, (byte) 0);
        }
    }

    /** {@code struct erofs_xattr_ibody_header} (12 bytes), followed by {@code sharedCount} le32 ids. */
    public record XattrIbodyHeader(int sharedCount) {
        public void put(ByteBuffer b, int off) {
            b.putInt(off, 0); // h_name_filter: 0 = no bloom filter (a wrong one hides xattrs)
            b.put(off + 4, (byte) sharedCount);
            for (int i = 5; i < XATTR_IBODY_HEADER_SIZE; i++) b.put(off + i, (byte) 0);
        }
    }

    /** {@code struct erofs_xattr_entry}: 4-byte header, name suffix, value, padded to 4 bytes. */
    public record XattrEntry(int nameIndex, byte[] suffix, byte[] value) {
        public int size() {
            return (XATTR_ENTRY_SIZE + suffix.length + value.length + 3) & ~3;
        }

        /** Writes the entry with zero padding; returns {@link #size()}. */
        public int put(ByteBuffer b, int off) {
            b.put(off, (byte) suffix.length);
            b.put(off + 1, (byte) nameIndex);
            b.putShort(off + 2, (short) value.length);
            b.put(off + 4, suffix);
            b.put(off + 4 + suffix.length, value);
            int end = off + XATTR_ENTRY_SIZE + suffix.length + value.length;
            int size = size();
            for (int i = end; i < off + size; i++) b.put(i, (byte) 0);
            return size;
        }
    }

    /** {@code struct z_erofs_map_header} (8 bytes) at the 8-aligned end of inode + xattrs. */
    public record MapHeader(int idataSize, int advise, int algorithmType, int clusterBits) {
        public void put(ByteBuffer b, int off) {
            b.putShort(off, (short) 0);
            b.putShort(off + 2, (short) idataSize);
            b.putShort(off + 4, (short) advise);
            b.put(off + 6, (byte) algorithmType);
            b.put(off + 7, (byte) clusterBits);
        }
    }

    /**
     * {@code struct z_erofs_lcluster_index} (8 bytes, FULL indexes): heads carry the pcluster's
     * block address, NONHEADs the distances back to their head and forward to the next head.
     */
    public record LclusterIndex(int type, int clusterOfs, int blkAddr, int delta0, int delta1) {
        public static LclusterIndex head(int type, int clusterOfs, int blkAddr) {
            return new LclusterIndex(type, clusterOfs, blkAddr, 0, 0);
        }

        public static LclusterIndex nonHead(int delta0, int delta1) {
            return new LclusterIndex(LCLUSTER_TYPE_NONHEAD, 0, 0, delta0, delta1);
        }

        public void put(ByteBuffer b, int off) {
            b.putShort(off, (short) type);
            b.putShort(off + 2, (short) clusterOfs);
            if (type == LCLUSTER_TYPE_NONHEAD) {
                b.putShort(off + 4, (short) delta0);
                b.putShort(off + 6, (short) delta1);
            } else {
                b.putInt(off + 4, blkAddr);
            }
        }
    }
}
