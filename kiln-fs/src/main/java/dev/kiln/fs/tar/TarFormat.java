package dev.kiln.fs.tar;

import java.nio.charset.StandardCharsets;

/**
 * The tar on-disk format, one place for every constant and the header record, named after
 * POSIX.1-2017 {@code <tar.h>} and the pax interchange format. Writer and reader share only
 * these immutable definitions, never state.
 *
 * <p>A tar archive is a sequence of 512-byte blocks: a header block per member, followed by the
 * member's data padded to whole blocks, and at the end two zero blocks. Writers pad the whole
 * archive to a 10240-byte record (20 blocks), the default "blocking factor" of GNU tar and bsdtar.
 */
final class TarFormat {
    private TarFormat() {}

    static final int BLOCK = 512;
    static final int RECORD = 20 * BLOCK;

    // ustar header fields: offset and length in bytes.
    static final int NAME = 0, NAME_LEN = 100;
    static final int MODE = 100, MODE_LEN = 8;
    static final int UID = 108, UID_LEN = 8;
    static final int GID = 116, GID_LEN = 8;
    static final int SIZE = 124, SIZE_LEN = 12;
    static final int MTIME = 136, MTIME_LEN = 12;
    static final int CHKSUM = 148, CHKSUM_LEN = 8;
    static final int TYPEFLAG = 156;
    static final int LINKNAME = 157, LINKNAME_LEN = 100;
    static final int MAGIC = 257, MAGIC_LEN = 6;
    static final int VERSION = 263, VERSION_LEN = 2;
    static final int UNAME = 265, UNAME_LEN = 32;
    static final int GNAME = 297, GNAME_LEN = 32;
    static final int DEVMAJOR = 329, DEVMAJOR_LEN = 8;
    static final int DEVMINOR = 337, DEVMINOR_LEN = 8;
    /** POSIX ustar only; old GNU headers keep atime/ctime/sparse data here instead. */
    static final int PREFIX = 345, PREFIX_LEN = 155;

    /** "ustar\0" then version "00": POSIX ustar and pax. */
    static final byte[] MAGIC_USTAR = "ustar\0".getBytes(StandardCharsets.US_ASCII);
    static final byte[] VERSION_USTAR = "00".getBytes(StandardCharsets.US_ASCII);
    /** "ustar " then " \0": GNU tar's pre-POSIX format (--format=gnu / oldgnu). */
    static final byte[] MAGIC_GNU = "ustar ".getBytes(StandardCharsets.US_ASCII);

    // Type flags.
    static final byte REGTYPE = '0';
    static final byte AREGTYPE = '\0'; // v7: regular file, or a directory if the name ends in '/'
    static final byte LNKTYPE = '1';
    static final byte SYMTYPE = '2';
    static final byte CHRTYPE = '3';
    static final byte BLKTYPE = '4';
    static final byte DIRTYPE = '5';
    static final byte FIFOTYPE = '6';
    static final byte CONTTYPE = '7'; // contiguous file: a regular file everywhere that matters
    static final byte XHDTYPE = 'x'; // pax extended header for the next member
    static final byte XGLTYPE = 'g'; // pax global header for all following members
    static final byte GNU_LONGNAME = 'L';
    static final byte GNU_LONGLINK = 'K';
    static final byte GNU_SPARSE = 'S';
    static final byte GNU_DUMPDIR = 'D';
    static final byte GNU_VOLHDR = 'V';
    static final byte GNU_MULTIVOL = 'M';

    // pax keywords kiln reads or writes.
    static final String PAX_PATH = "path";
    static final String PAX_LINKPATH = "linkpath";
    static final String PAX_SIZE = "size";
    static final String PAX_UID = "uid";
    static final String PAX_GID = "gid";
    static final String PAX_MTIME = "mtime";
    static final String PAX_SCHILY_XATTR = "SCHILY.xattr.";
    static final String PAX_LIBARCHIVE_XATTR = "LIBARCHIVE.xattr.";
    static final String PAX_SCHILY_DEVMAJOR = "SCHILY.devmajor";
    static final String PAX_SCHILY_DEVMINOR = "SCHILY.devminor";
    static final String PAX_GNU_SPARSE = "GNU.sparse.";

    /** Largest value an octal field of {@code len} bytes holds with its terminating NUL. */
    static long maxOctal(int len) {
        return (1L << (3 * (len - 1))) - 1;
    }

    /** Bytes needed to pad {@code size} to whole blocks. */
    static long padding(long size) {
        return (BLOCK - (size % BLOCK)) % BLOCK;
    }

    /** The header checksum: the unsigned byte sum with the checksum field counted as spaces. */
    static long unsignedChecksum(byte[] h) {
        long sum = 0;
        for (int i = 0; i < BLOCK; i++) {
            sum += (i >= CHKSUM && i < CHKSUM + CHKSUM_LEN) ? ' ' : (h[i] & 0xff);
        }
        return sum;
    }

    /** The same with signed bytes, as some historic tars (old Sun, early GNU) computed it. */
    static long signedChecksum(byte[] h) {
        long sum = 0;
        for (int i = 0; i < BLOCK; i++) {
            sum += (i >= CHKSUM && i < CHKSUM + CHKSUM_LEN) ? ' ' : h[i];
        }
        return sum;
    }

    /**
     * One decoded header block, before pax and GNU extensions are applied.
     *
     * @param name     the name field, or prefix + "/" + name for POSIX ustar headers
     * @param linkName the linkname field
     * @param gnu      true for GNU-magic headers, whose prefix area is not a prefix
     */
    record Header(byte typeflag, byte[] name, byte[] linkName, int mode, long uid, long gid, long size,
                  long mtime, long devMajor, long devMinor, boolean gnu) {}
}
