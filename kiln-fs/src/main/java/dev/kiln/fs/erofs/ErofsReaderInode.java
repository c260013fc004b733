package dev.kiln.fs.erofs;

import static dev.kiln.fs.erofs.ErofsReaderImage.i32;
import static dev.kiln.fs.erofs.ErofsReaderImage.i64;
import static dev.kiln.fs.erofs.ErofsReaderImage.u16;
import static dev.kiln.fs.erofs.ErofsReaderImage.u32;

import java.io.IOException;

/**
 * One on-disk inode, compact (32 bytes) or extended (64 bytes), decoded and range-checked.
 *
 * @param dataPos where inline data, chunk indexes or the compression map start: right after the
 *                core and the xattr area
 */
record ErofsReaderInode(long nid, long pos, boolean extended, int layout, int mode, long size, int iu,
                        long uid, long gid, long mtime, int mtimeNsec, long nlink,
                        int xattrSize, long dataPos) {
    static final int LAYOUT_FLAT_PLAIN = 0;
    static final int LAYOUT_COMPRESSED_FULL = 1;
    static final int LAYOUT_FLAT_INLINE = 2;
    static final int LAYOUT_COMPRESSED_COMPACT = 3;
    static final int LAYOUT_CHUNK_BASED = 4;

    int coreSize() {
        return extended ? 64 : 32;
    }

    int type() {
        return mode & dev.kiln.fs.Node.S_IFMT;
    }

    static ErofsReaderInode read(ErofsReaderImage img, long nid) throws IOException {
        long pos = img.inodePos(nid);
        byte[] c = img.read(pos, 32, "inode " + nid);
        int format = u16(c, 0);
        boolean extended = (format & 1) != 0;
        int layout = (format >>> 1) & 7;
        // Bit 4 and up only mean something with 48-bit addressing, which the superblock check refuses.
        if ((format & ~0x0F) != 0) {
            throw img.error(nid, pos, "unsupported i_format 0x" + Integer.toHexString(format));
        }
        if (layout > LAYOUT_CHUNK_BASED) throw img.error(nid, pos, "unknown data layout " + layout);
        int icount = u16(c, 2);
        int mode = u16(c, 4);
        long size, uid, gid, mtime, nlink;
        int iu, nsec;
        if (extended) {
            c = img.read(pos, 64, "inode " + nid);
            size = i64(c, 0x08);
            iu = i32(c, 0x10);
            uid = u32(c, 0x18);
            gid = u32(c, 0x1C);
            mtime = i64(c, 0x20);
            nsec = i32(c, 0x28);
            nlink = u32(c, 0x2C);
            if (Integer.compareUnsigned(nsec, 999_999_999) > 0) {
                throw img.error(nid, pos, "mtime nanoseconds " + Integer.toUnsignedString(nsec) + " out of range");
            }
        } else {
            size = u32(c, 0x08);
            iu = i32(c, 0x10);
            uid = u16(c, 0x18);
            gid = u16(c, 0x1A);
            // Kernels up to 6.14 and erofs-utils 1.5 give every compact inode the build time.
            mtime = img.buildTime;
            nsec = img.buildTimeNsec;
            nlink = u16(c, 0x06);
        }
        if (size < 0) throw img.error(nid, pos, "negative size " + size);
        int xattrSize = icount == 0 ? 0 : 12 + 4 * (icount - 1);
        int core = extended ? 64 : 32;
        long dataPos = pos + core + xattrSize;
        img.checkRange(pos, core + xattrSize, "nid " + nid + ": inode and xattrs");
        return new ErofsReaderInode(nid, pos, extended, layout, mode, size, iu, uid, gid, mtime, nsec, nlink, xattrSize, dataPos);
    }
}
