package dev.kiln.fs.erofs.format;

import java.nio.ByteBuffer;

/**
 * {@code struct erofs_dirent} (reference §4). A directory block holds its dirents from byte 0,
 * then their names back to back without NULs: the first dirent's {@code nameoff} divided by 12
 * is the number of entries in the block, and a name ends where the next one starts (the last at
 * the first NUL or the end of the block).
 *
 * @param nameOff  where the name starts, from the start of the block
 * @param fileType one of the {@code FT_} values
 */
public record Dirent(long nid, int nameOff, int fileType) {
    public static final int SIZE = 12;
    public static final int MAX_NAME_LEN = 255;

    public static final int FT_UNKNOWN = 0, FT_REG_FILE = 1, FT_DIR = 2, FT_CHRDEV = 3, FT_BLKDEV = 4,
            FT_FIFO = 5, FT_SOCK = 6, FT_SYMLINK = 7;

    public void put(ByteBuffer b, int off) {
        put(b, off, nid, nameOff, fileType);
    }

    /** {@link #put(ByteBuffer, int)} without a record, for the directory writer's inner loop. */
    public static void put(ByteBuffer b, int off, long nid, int nameOff, int fileType) {
        b.putLong(off, nid);
        b.putShort(off + 8, (short) nameOff);
        b.put(off + 10, (byte) fileType);
        b.put(off + 11, (byte) 0);
    }

    public static Dirent decode(ByteBuffer b, int off) {
        return new Dirent(b.getLong(off), Short.toUnsignedInt(b.getShort(off + 8)), Byte.toUnsignedInt(b.get(off + 10)));
    }
}
