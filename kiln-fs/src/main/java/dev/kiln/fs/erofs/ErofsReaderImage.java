package dev.kiln.fs.erofs;

import dev.kiln.fs.FormatException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.zip.CRC32C;

/**
 * An open EROFS image as the reader sees it: the superblock fields it needs and bounds-checked
 * reads. Every read is checked against the image size first, so a hostile offset becomes a
 * {@link FormatException} instead of a short read, a huge allocation or a read past the end.
 *
 * <p>Metadata is read through a small block cache because inodes, dirents and xattrs of
 * neighbouring entries share blocks; one pread per inode would cost a syscall per entry.
 */
final class ErofsReaderImage implements AutoCloseable {
    static final int SUPERBLOCK_OFFSET = 1024;
    static final int MAGIC = 0xE0F5E1E2;
    static final long NULL_ADDR = 0xFFFFFFFFL;

    static final int COMPAT_SB_CHKSUM = 0x1;

    static final int INCOMPAT_ZERO_PADDING = 0x1;
    static final int INCOMPAT_COMPR_CFGS = 0x2; // also BIG_PCLUSTER
    static final int INCOMPAT_CHUNKED_FILE = 0x4;
    static final int INCOMPAT_DEVICE_TABLE = 0x8; // also COMPR_HEAD2
    static final int INCOMPAT_ZTAILPACKING = 0x10;
    static final int INCOMPAT_FRAGMENTS = 0x20; // also DEDUPE
    static final int INCOMPAT_XATTR_PREFIXES = 0x40;
    /** What this reader understands; 48BIT (0x80) and METABOX (0x100) change addressing and are refused. */
    static final int INCOMPAT_SUPPORTED = 0x7F;

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
            if (size < SUPERBLOCK_OFFSET + 128) {
                throw error(0, "image of " + size + " bytes is too small to hold an EROFS superblock");
            }
            byte[] sb = readRaw(SUPERBLOCK_OFFSET, 128);
            if (i32(sb, 0) != MAGIC) throw error(SUPERBLOCK_OFFSET, "no EROFS superblock magic");
            featureCompat = i32(sb, 0x08);
            blkszbits = sb[0x0C] & 0xFF;
            if (blkszbits < 9 || blkszbits > 16) {
                throw error(SUPERBLOCK_OFFSET + 0x0C, "unsupported block size 2^" + blkszbits);
            }
            blockSize = 1 << blkszbits;
            int extSlots = sb[0x0D] & 0xFF;
            rootNid = u16(sb, 0x0E);
            buildTime = i64(sb, 0x18);
            buildTimeNsec = i32(sb, 0x20);
            metaBase = u32(sb, 0x28) << blkszbits;
            xattrBase = u32(sb, 0x2C) << blkszbits;
            featureIncompat = i32(sb, 0x50);
            u1 = u16(sb, 0x54);
            extraDevices = u16(sb, 0x56);
            packedNid = i64(sb, 0x60);
            int unknown = featureIncompat & ~INCOMPAT_SUPPORTED;
            if (unknown != 0) {
                throw error(SUPERBLOCK_OFFSET + 0x50, "unsupported incompatible feature bits 0x" + Integer.toHexString(unknown));
            }
            if (extraDevices != 0) {
                throw error(SUPERBLOCK_OFFSET + 0x56, "multi-device images (" + extraDevices + " extra devices) are not supported");
            }
            if (Integer.compareUnsigned(buildTimeNsec, 999_999_999) > 0) {
                throw error(SUPERBLOCK_OFFSET + 0x20, "build time nanoseconds " + Integer.toUnsignedString(buildTimeNsec) + " out of range");
            }
            if ((featureCompat & COMPAT_SB_CHKSUM) != 0) verifyChecksum(extSlots);
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
    private void verifyChecksum(int extSlots) throws IOException {
        int len = blockSize > SUPERBLOCK_OFFSET ? blockSize - SUPERBLOCK_OFFSET : blockSize;
        if (SUPERBLOCK_OFFSET + (long) len > size) throw error(SUPERBLOCK_OFFSET, "superblock block runs past the end of the image");
        byte[] b = readRaw(SUPERBLOCK_OFFSET, len);
        int stored = i32(b, 4);
        b[4] = b[5] = b[6] = b[7] = 0;
        CRC32C crc = new CRC32C();
        crc.update(b, 0, len);
        int computed = (int) ~crc.getValue();
        if (computed != stored) {
            throw error(SUPERBLOCK_OFFSET + 4, String.format("superblock checksum mismatch (stored %08x, computed %08x)", stored, computed));
        }
    }

    boolean has(int incompatBit) {
        return (featureIncompat & incompatBit) != 0;
    }

    /** Byte position of inode {@code nid}, or an error when it cannot lie inside the image. */
    long inodePos(long nid) {
        if (nid < 0 || nid > (size >>> 5)) throw error(-1, "nid " + Long.toUnsignedString(nid) + " lies outside the image");
        long pos = metaBase + (nid << 5);
        if (pos < 0 || pos + 32 > size) throw error(-1, "nid " + nid + " lies outside the image");
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

    static int u16(byte[] b, int o) {
        return (b[o] & 0xFF) | (b[o + 1] & 0xFF) << 8;
    }

    static int i32(byte[] b, int o) {
        return (b[o] & 0xFF) | (b[o + 1] & 0xFF) << 8 | (b[o + 2] & 0xFF) << 16 | (b[o + 3] & 0xFF) << 24;
    }

    static long u32(byte[] b, int o) {
        return i32(b, o) & 0xFFFFFFFFL;
    }

    static long i64(byte[] b, int o) {
        return u32(b, o) | (long) i32(b, o + 4) << 32;
    }
}
