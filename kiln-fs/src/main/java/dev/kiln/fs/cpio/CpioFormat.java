package dev.kiln.fs.cpio;

/**
 * The cpio on-disk formats kiln speaks, one record per structure, with the field names of the
 * specification (cpio(5), Linux {@code Documentation/driver-api/early-userspace/buffer-format.rst}).
 * Constants and pure functions only: {@link CpioWriter} and {@link CpioReader} share nothing else.
 *
 * <p>SVR4 "newc" ({@code 070701}) and "crc" ({@code 070702}) headers are 110 ASCII bytes: the
 * magic and thirteen 8-digit hexadecimal fields. The name (with its NUL) follows and header plus
 * name are padded with NULs to a multiple of 4, as is the data. The crc variant differs only in
 * {@code c_check}, the unsigned 32-bit sum of the data bytes.
 *
 * <p>POSIX "odc" ({@code 070707}) headers are 76 ASCII bytes of octal fields with one combined
 * device and rdev number each, and no padding at all. kiln reads odc but never writes it, since
 * neither Linux's initramfs unpacker nor Unikraft accepts it.
 */
final class CpioFormat {
    private CpioFormat() {}

    static final String MAGIC_NEWC = "070701";
    static final String MAGIC_CRC = "070702";
    static final String MAGIC_ODC = "070707";
    static final int MAGIC_LENGTH = 6;

    /** The magic and the 13 eight-digit hex fields of a newc/crc header. */
    static final int NEWC_HEADER_SIZE = 110;
    static final int NEWC_FIELD_WIDTH = 8;

    /** Widths of the odc fields after the magic, in header order (see {@link OdcField}). */
    static final int ODC_HEADER_SIZE = 76;

    /** The name of the entry that ends an archive. */
    static final String TRAILER = "TRAILER!!!";

    /** Archives end padded with NULs to this block size, as GNU cpio and the kernel's gen_init_cpio do. */
    static final int BLOCK_SIZE = 512;

    /**
     * Longest name (including its NUL) the reader accepts. Linux's PATH_MAX is 4096, GNU cpio
     * writes at most a few KiB; anything beyond this is corruption and not worth buffering.
     */
    static final int MAX_NAME_SIZE = 65536;

    /** Longest symlink target the reader accepts: targets are read into memory, so bound them. */
    static final int MAX_SYMLINK_SIZE = 65536;

    /** Largest value of a newc field: 8 hex digits. */
    static final long MAX_NEWC_VALUE = 0xFFFF_FFFFL;

    /** The newc header fields in on-disk order, each {@link #NEWC_FIELD_WIDTH} hex digits. */
    enum NewcField {
        C_INO, C_MODE, C_UID, C_GID, C_NLINK, C_MTIME, C_FILESIZE,
        C_DEVMAJOR, C_DEVMINOR, C_RDEVMAJOR, C_RDEVMINOR, C_NAMESIZE, C_CHECK;

        /** Offset of the field within the header. */
        int offset() {
            return MAGIC_LENGTH + ordinal() * NEWC_FIELD_WIDTH;
        }

        String label() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /** The odc header fields in on-disk order with their octal widths. */
    enum OdcField {
        C_DEV(6), C_INO(6), C_MODE(6), C_UID(6), C_GID(6), C_NLINK(6), C_RDEV(6), C_MTIME(11), C_NAMESIZE(6), C_FILESIZE(11);

        final int width;

        OdcField(int width) {
            this.width = width;
        }

        int offset() {
            int off = MAGIC_LENGTH;
            for (OdcField f : values()) {
                if (f == this) return off;
                off += f.width;
            }
            throw new AssertionError();
        }

        String label() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /** Which header layout an entry uses. */
    enum Kind {
        NEWC(MAGIC_NEWC), CRC(MAGIC_CRC), ODC(MAGIC_ODC);

        final String magic;

        Kind(String magic) {
            this.magic = magic;
        }

        int headerSize() {
            return this == ODC ? ODC_HEADER_SIZE : NEWC_HEADER_SIZE;
        }

        /** newc and crc pad header+name and data to 4 bytes; odc does not pad. */
        int alignment() {
            return this == ODC ? 1 : 4;
        }
    }

    /**
     * One decoded header, whatever the layout. odc's single {@code c_dev}/{@code c_rdev} are
     * split into major and minor with the glibc encoding, which is what GNU cpio and libarchive
     * store there.
     */
    record Header(Kind kind, long ino, long mode, long uid, long gid, long nlink, long mtime, long fileSize,
                  long devMajor, long devMinor, long rdevMajor, long rdevMinor, int nameSize, long check) {}

    /** Bytes of padding after {@code length} bytes to reach a multiple of {@code alignment}. */
    static int padding(long length, int alignment) {
        return (int) ((alignment - (length % alignment)) % alignment);
    }

    /** Major number of a glibc dev_t (12 bits low, the rest high). */
    static long major(long dev) {
        return ((dev >>> 8) & 0xfff) | ((dev >>> 32) & ~0xfffL);
    }

    /** Minor number of a glibc dev_t (8 bits low, the rest high). */
    static long minor(long dev) {
        return (dev & 0xff) | ((dev >>> 12) & ~0xffL);
    }
}
