package dev.kiln.fs.erofs;

import dev.kiln.fs.FormatException;
import dev.kiln.fs.erofs.format.Erofs;
import dev.kiln.fs.erofs.format.InodeCore;
import dev.kiln.fs.erofs.format.SuperBlock;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * An open EROFS image as the reader sees it: the superblock fields it needs and bounds-checked
 * reads. Every read is checked against the image size first, so a hostile offset becomes a
 * {@link FormatException} instead of a short read, a huge allocation or a read past the end.
 *
 * <p>Metadata is read through a small block cache because inodes, dirents and xattrs of
 * neighbouring entries share blocks; one pread per inode would cost a syscall per entry.
 */
final class ErofsReaderImage implements AutoCloseable {
    /** What this reader understands; 48BIT and METABOX change addressing and are refused. */
    static final int INCOMPAT_SUPPORTED = Erofs.FEATURE_INCOMPAT_LZ4_0PADDING | Erofs.FEATURE_INCOMPAT_COMPR_CFGS
            | Erofs.FEATURE_INCOMPAT_CHUNKED_FILE | Erofs.FEATURE_INCOMPAT_DEVICE_TABLE
            | Erofs.FEATURE_INCOMPAT_ZTAILPACKING | Erofs.FEATURE_INCOMPAT_FRAGMENTS
            | Erofs.FEATURE_INCOMPAT_XATTR_PREFIXES;

    final Path path;
    final String name;
    final long size;
    final int blkszbits;
    final int blockSize;
    final long rootNid;
    final long buildTime;
    final int buildTimeNsec;
    final long metaBase;
    final long xattrBase;
    final int featureIncompat;
    final int featureCompat;
    /** available_compr_algs when COMPR_CFGS is set, otherwise the LZ4 max distance (informational). */
    final int u1;
    final int extraDevices;
    final long packedNid;

    private final FileChannel ch;
    private final long[] cacheTag = new long[64];
    private final byte[][] cacheData = new byte[64][];

    ErofsReaderImage(Path path, String name) throws IOException {
        this.path = path;
        this.name = name;
        this.ch = FileChannel.open(path, StandardOpenOption.READ);
        boolean ok = false;
        try {
            this.size = ch.size();
            java.util.Arrays.fill(cacheTag, -1);
            if (size < SuperBlock.OFFSET + SuperBlock.SIZE) {
                throw error(0, "image of " + size + " bytes is too small to hold an EROFS superblock");
            }
            SuperBlock sb = SuperBlock.decode(Erofs.littleEndian(readRaw(SuperBlock.OFFSET, SuperBlock.SIZE)), 0);
            if (sb.magic() != Erofs.MAGIC) throw error(SuperBlock.OFFSET, "no EROFS superblock magic");
            featureCompat = sb.featureCompat();
            blkszbits = sb.blkszbits();
            if (blkszbits < 9 || blkszbits > 16) {
                throw error(SuperBlock.OFFSET + SuperBlock.BLKSZBITS_OFFSET, "unsupported block size 2^" + blkszbits);
            }
            blockSize = 1 << blkszbits;
            rootNid = sb.rootNid();
            buildTime = sb.buildTime();
            buildTimeNsec = sb.buildTimeNsec();
            metaBase = Integer.toUnsignedLong(sb.metaBlkAddr()) << blkszbits;
            xattrBase = Integer.toUnsignedLong(sb.xattrBlkAddr()) << blkszbits;
            featureIncompat = sb.featureIncompat();
            u1 = sb.u1();
            extraDevices = sb.extraDevices();
            packedNid = sb.packedNid();
            int unknown = featureIncompat & ~INCOMPAT_SUPPORTED;
            if (unknown != 0) {
                throw error(SuperBlock.OFFSET + SuperBlock.FEATURE_INCOMPAT_OFFSET, "unsupported incompatible feature bits 0x" + Integer.toHexString(unknown));
            }
            if (extraDevices != 0) {
                throw error(SuperBlock.OFFSET + SuperBlock.EXTRA_DEVICES_OFFSET, "multi-device images (" + extraDevices + " extra devices) are not supported");
            }
            if (Integer.compareUnsigned(buildTimeNsec, 999_999_999) > 0) {
                throw error(SuperBlock.OFFSET + SuperBlock.BUILD_TIME_NSEC_OFFSET, "build time nanoseconds " + Integer.toUnsignedString(buildTimeNsec) + " out of range");
            }
            if ((featureCompat & Erofs.FEATURE_COMPAT_SB_CHKSUM) != 0) verifyChecksum(sb.checksum());
            ok = true;
        } finally {
            if (!ok) ch.close();
        }
    }

    /**
     * The kernel refuses to mount an image whose superblock checksum does not match, so a reader
     * that accepted it would hide corruption. The checksum is a raw CRC32C (seed ~0, no final
     * inversion) over the rest of block 0 with the checksum field taken as zero.
     */
    private void verifyChecksum(int stored) throws IOException {
        int len = SuperBlock.checksumLength(blockSize);
        if (SuperBlock.OFFSET + (long) len > size) throw error(SuperBlock.OFFSET, "superblock block runs past the end of the image");
        int computed = SuperBlock.checksum(readRaw(SuperBlock.OFFSET, len), 0, len);
        if (computed != stored) {
            throw error(SuperBlock.OFFSET + SuperBlock.CHECKSUM_OFFSET, String.format("superblock checksum mismatch (stored %08x, computed %08x)", stored, computed));
        }
    }

    boolean has(int incompatBit) {
        return (featureIncompat & incompatBit) != 0;
    }

    /** Byte position of inode {@code nid}, or an error when it cannot lie inside the image. */
    long inodePos(long nid) {
        if (nid < 0 || nid > (size >>> Erofs.SLOT_SIZE_BITS)) throw error(-1, "nid " + Long.toUnsignedString(nid) + " lies outside the image");
        long pos = metaBase + (nid << Erofs.SLOT_SIZE_BITS);
        if (pos < 0 || pos + InodeCore.COMPACT_SIZE > size) throw error(-1, "nid " + nid + " lies outside the image");
        return pos;
    }

    /** Checks that {@code [pos, pos+len)} lies inside the image. */
    void checkRange(long pos, long len, String what) {
        if (pos < 0 || len < 0 || pos > size || len > size - pos) {
            throw error(pos, what + " (" + len + " bytes at offset " + pos + ") runs past the end of the image (" + size + " bytes)");
        }
    }

    /** Reads metadata through the block cache. */
    byte[] read(long pos, int len, String what) throws IOException {
        checkRange(pos, len, what);
        byte[] out = new byte[len];
        int done = 0;
        while (done < len) {
            long p = pos + done;
            long blk = p >>> blkszbits;
            int off = (int) (p & (blockSize - 1));
            byte[] b = block(blk);
            int n = Math.min(len - done, b.length - off);
            if (n <= 0) throw error(p, what + " runs past the end of the image");
            System.arraycopy(b, off, out, done, n);
            done += n;
        }
        return out;
    }

    /** {@link #read} as a little-endian buffer, for decoding with the format's records. */
    ByteBuffer buffer(long pos, int len, String what) throws IOException {
        return Erofs.littleEndian(read(pos, len, what));
    }

    private byte[] block(long blk) throws IOException {
        int slot = (int) (blk & 63);
        if (cacheTag[slot] == blk) return cacheData[slot];
        long pos = blk << blkszbits;
        int len = (int) Math.min(blockSize, size - pos);
        byte[] b = readRaw(pos, len);
        cacheTag[slot] = blk;
        cacheData[slot] = b;
        return b;
    }

    private byte[] readRaw(long pos, int len) throws IOException {
        byte[] b = new byte[len];
        readFully(ch, pos, b, 0, len, name);
        return b;
    }

    static void readFully(FileChannel ch, long pos, byte[] b, int off, int len, String name) throws IOException {
        ByteBuffer buf = ByteBuffer.wrap(b, off, len);
        while (buf.hasRemaining()) {
            int n = ch.read(buf, pos + (buf.position() - off));
            if (n < 0) throw new FormatException(name + ": offset " + (pos + buf.position() - off) + ": unexpected end of image");
        }
    }

    FormatException error(long offset, String problem) {
        return offset >= 0 ? FormatException.at(name, offset, null, problem) : new FormatException(name + ": " + problem);
    }

    FormatException error(long nid, long offset, String problem) {
        return new FormatException(name + ": nid " + nid + (offset >= 0 ? " (offset " + offset + ")" : "") + ": " + problem);
    }

    @Override
    public void close() throws IOException {
        ch.close();
    }
}
