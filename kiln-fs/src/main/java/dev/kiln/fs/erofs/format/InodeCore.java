package dev.kiln.fs.erofs.format;

import java.nio.ByteBuffer;

/**
 * The inode core (reference §2), the fixed part of an inode before its xattrs and data:
 * {@code struct erofs_inode_compact} (32 bytes) or {@code struct erofs_inode_extended} (64
 * bytes). Both start with {@code i_format}, whose bit 0 says which one follows and whose bits 1–3
 * give the data layout (§3). Named "core", as the EROFS documentation does, to keep it apart from
 * the writer's own {@code Inode}.
 */
public final class InodeCore {
    private InodeCore() {}

    public static final int COMPACT_SIZE = 32;
    public static final int EXTENDED_SIZE = 64;

    public static final int VERSION_COMPACT = 0;
    public static final int VERSION_EXTENDED = 1;

    // Data layouts (§3), bits 1..3 of i_format.
    public static final int FLAT_PLAIN = 0;
    public static final int COMPRESSED_FULL = 1;
    public static final int FLAT_INLINE = 2;
    public static final int COMPRESSED_COMPACT = 3;
    public static final int CHUNK_BASED = 4;

    /** The i_format bits kernels before 48-bit addressing know (version and layout). */
    public static final int FORMAT_KNOWN_BITS = 0x0F;

    /** {@code i_format} of an inode of {@code version} with data {@code layout}. */
    public static int format(int version, int layout) {
        return version | (layout << 1);
    }

    public static int version(int format) {
        return format & 1;
    }

    public static int layout(int format) {
        return (format >>> 1) & 7;
    }

    /** {@code i_format}, which tells which core follows; the same bytes in both. */
    public static int formatAt(ByteBuffer b, int off) {
        return Short.toUnsignedInt(b.getShort(off));
    }

    /** Linux {@code new_encode_dev}: the 32-bit device number a device inode keeps in {@code i_u} (§2.5). */
    public static int encodeDevice(int major, int minor) {
        return (minor & 0xff) | (major << 8) | ((minor & ~0xff) << 12);
    }

    /** The major number of {@link #encodeDevice}: 12 bits, above the minor's low byte. */
    public static int deviceMajor(int iu) {
        return (iu & 0xFFF00) >>> 8;
    }

    /** The minor number of {@link #encodeDevice}: its low byte, then the rest from bit 20 up. */
    public static int deviceMinor(int iu) {
        return (iu & 0xFF) | ((iu >>> 12) & 0xFFF00);
    }

    /**
     * {@code struct erofs_inode_compact}. Its 4 bytes at 0x0C are an mtime only with 48-bit
     * addressing; kiln writes them 0 and reads a compact inode's time from the superblock (§2.4).
     *
     * @param iu start block, compressed block count, device number or chunk format (§2.5)
     */
    public record Compact(int format, int xattrIcount, int mode, int nlink, int size, int iu, int ino, int uid,
                          int gid) {
        public void put(ByteBuffer b, int off) {
            b.putShort(off, (short) format);
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

        public static Compact decode(ByteBuffer b, int off) {
            return new Compact(u16(b, off), u16(b, off + 0x02), u16(b, off + 0x04), u16(b, off + 0x06),
                    b.getInt(off + 0x08), b.getInt(off + 0x10), b.getInt(off + 0x14), u16(b, off + 0x18),
                    u16(b, off + 0x1A));
        }
    }

    /** {@code struct erofs_inode_extended}; {@code i_nb} at 0x06 and the 16 bytes at 0x30 are reserved. */
    public record Extended(int format, int xattrIcount, int mode, long size, int iu, int ino, int uid, int gid,
                           long mtime, int mtimeNsec, int nlink) {
        public void put(ByteBuffer b, int off) {
            b.putShort(off, (short) format);
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

        public static Extended decode(ByteBuffer b, int off) {
            return new Extended(u16(b, off), u16(b, off + 0x02), u16(b, off + 0x04), b.getLong(off + 0x08),
                    b.getInt(off + 0x10), b.getInt(off + 0x14), b.getInt(off + 0x18), b.getInt(off + 0x1C),
                    b.getLong(off + 0x20), b.getInt(off + 0x28), b.getInt(off + 0x2C));
        }
    }

    private static int u16(ByteBuffer b, int off) {
        return Short.toUnsignedInt(b.getShort(off));
    }
}
