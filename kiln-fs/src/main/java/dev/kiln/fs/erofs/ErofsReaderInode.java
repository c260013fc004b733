package dev.kiln.fs.erofs;

import dev.kiln.fs.erofs.format.InodeCore;
import dev.kiln.fs.erofs.format.Xattr;
import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * One on-disk inode, compact (32 bytes) or extended (64 bytes), decoded and range-checked.
 *
 * @param dataPos where inline data, chunk indexes or the compression map start: right after the
 *                core and the xattr area
 */
record ErofsReaderInode(long nid, long pos, boolean extended, int layout, int mode, long size, int iu,
                        long uid, long gid, long mtime, int mtimeNsec, long nlink,
                        int xattrSize, long dataPos) {
    int coreSize() {
        return extended ? InodeCore.EXTENDED_SIZE : InodeCore.COMPACT_SIZE;
    }

    int type() {
        return mode & dev.kiln.fs.Node.S_IFMT;
    }

    static ErofsReaderInode read(ErofsReaderImage img, long nid) throws IOException {
        long pos = img.inodePos(nid);
        ByteBuffer c = img.buffer(pos, InodeCore.COMPACT_SIZE, "inode " + nid);
        int format = InodeCore.formatAt(c, 0);
        boolean extended = InodeCore.version(format) == InodeCore.VERSION_EXTENDED;
        int layout = InodeCore.layout(format);
        // Bit 4 and up only mean something with 48-bit addressing, which the superblock check refuses.
        if ((format & ~InodeCore.FORMAT_KNOWN_BITS) != 0) {
            throw img.error(nid, pos, "unsupported i_format 0x" + Integer.toHexString(format));
        }
        if (layout > InodeCore.CHUNK_BASED) throw img.error(nid, pos, "unknown data layout " + layout);
        int icount, mode, iu, nsec;
        long size, uid, gid, mtime, nlink;
        if (extended) {
            InodeCore.Extended x = InodeCore.Extended.decode(img.buffer(pos, InodeCore.EXTENDED_SIZE, "inode " + nid), 0);
            icount = x.xattrIcount();
            mode = x.mode();
            size = x.size();
            iu = x.iu();
            uid = Integer.toUnsignedLong(x.uid());
            gid = Integer.toUnsignedLong(x.gid());
            mtime = x.mtime();
            nsec = x.mtimeNsec();
            nlink = Integer.toUnsignedLong(x.nlink());
            if (Integer.compareUnsigned(nsec, 999_999_999) > 0) {
                throw img.error(nid, pos, "mtime nanoseconds " + Integer.toUnsignedString(nsec) + " out of range");
            }
        } else {
            InodeCore.Compact x = InodeCore.Compact.decode(c, 0);
            icount = x.xattrIcount();
            mode = x.mode();
            size = Integer.toUnsignedLong(x.size());
            iu = x.iu();
            uid = x.uid();
            gid = x.gid();
            // Kernels up to 6.14 and erofs-utils 1.5 give every compact inode the build time.
            mtime = img.buildTime;
            nsec = img.buildTimeNsec;
            nlink = x.nlink();
        }
        if (size < 0) throw img.error(nid, pos, "negative size " + size);
        int xattrSize = Xattr.ibodySize(icount);
        int core = extended ? InodeCore.EXTENDED_SIZE : InodeCore.COMPACT_SIZE;
        long dataPos = pos + core + xattrSize;
        img.checkRange(pos, core + xattrSize, "nid " + nid + ": inode and xattrs");
        return new ErofsReaderInode(nid, pos, extended, layout, mode, size, iu, uid, gid, mtime, nsec, nlink, xattrSize, dataPos);
    }
}
