package dev.kiln.fs.erofs.format;

import java.nio.ByteBuffer;

/**
 * Extended attributes (reference §6). An inode with xattrs has an area right after its core: an
 * {@link IbodyHeader}, the ids of the shared entries it carries, then its own entries. A shared
 * entry is stored once, at {@code xattr_blkaddr} plus its id times {@link #SHARED_ID_UNIT}.
 * Every entry is an {@link EntryHeader}, the name without its prefix, and the value, padded to
 * 4 bytes; the prefix is given by a name index.
 */
public final class Xattr {
    private Xattr() {}

    public static final int INDEX_USER = 1, INDEX_POSIX_ACL_ACCESS = 2, INDEX_POSIX_ACL_DEFAULT = 3,
            INDEX_TRUSTED = 4, INDEX_LUSTRE = 5, INDEX_SECURITY = 6;
    /** Set in a name index that refers to a long prefix of the superblock's table (XATTR_PREFIXES). */
    public static final int LONG_PREFIX = 0x80;

    /** Prefixes by name index; the two ACL prefixes are whole names, stored with an empty suffix. */
    private static final String[] PREFIXES = {
        null, "user.", "system.posix_acl_access", "system.posix_acl_default", "trusted.", "lustre.", "security.",
    };

    /** A shared entry's id is its offset from {@code xattr_blkaddr} in units of this many bytes. */
    public static final int SHARED_ID_UNIT = 4;
    /** {@code h_shared_count} is one byte. */
    public static final int MAX_SHARED = 255;
    /** {@code e_name_len} is one byte, {@code e_value_size} two. */
    public static final int MAX_NAME_LEN = 255, MAX_VALUE_SIZE = 0xFFFF;

    /** The prefix of name index {@code index}, or null when there is no such short prefix. */
    public static String prefix(int index) {
        return index > 0 && index < PREFIXES.length ? PREFIXES[index] : null;
    }

    /** The name index a full xattr name is stored under, or 0 when EROFS has no prefix for it. */
    public static int nameIndex(String name) {
        for (int i = 1; i < PREFIXES.length; i++) {
            boolean whole = i == INDEX_POSIX_ACL_ACCESS || i == INDEX_POSIX_ACL_DEFAULT;
            if (whole ? name.equals(PREFIXES[i]) : name.startsWith(PREFIXES[i])) return i;
        }
        return 0;
    }

    /** Bytes of an inline xattr area with {@code i_xattr_icount} {@code icount} (0 = none). */
    public static int ibodySize(int icount) {
        return icount == 0 ? 0 : IbodyHeader.SIZE + 4 * (icount - 1);
    }

    /**
     * {@code i_xattr_icount} of an area of {@code size} bytes, the inverse of {@link #ibodySize}.
     * An area holds at least one id or entry after its header, so this is never 1, the count
     * fsck.erofs 1.5 rejects.
     */
    public static int icount(int size) {
        return size == 0 ? 0 : (size - IbodyHeader.SIZE) / 4 + 1;
    }

    /**
     * {@code struct erofs_xattr_ibody_header}, followed by {@code sharedCount} le32 shared ids.
     *
     * @param nameFilter {@code h_name_filter}, a bloom filter of names when the superblock says
     *                   so; kiln writes 0, since a wrong filter hides xattrs
     */
    public record IbodyHeader(int nameFilter, int sharedCount) {
        public static final int SIZE = 12;

        public void put(ByteBuffer b, int off) {
            b.putInt(off, nameFilter);
            b.put(off + 4, (byte) sharedCount);
            for (int i = 5; i < SIZE; i++) b.put(off + i, (byte) 0);
        }

        public static IbodyHeader decode(ByteBuffer b, int off) {
            return new IbodyHeader(b.getInt(off), Byte.toUnsignedInt(b.get(off + 4)));
        }

        /** Where shared id {@code i} lies, from the start of the area. */
        public static int sharedIdOffset(int i) {
            return SIZE + 4 * i;
        }
    }

    /** The fixed start of {@code struct erofs_xattr_entry}; the name suffix and the value follow it. */
    public record EntryHeader(int nameLen, int nameIndex, int valueSize) {
        public static final int SIZE = 4;

        /** Bytes of the whole entry, padded to 4. */
        public int entrySize() {
            return (SIZE + nameLen + valueSize + 3) & ~3;
        }

        public void put(ByteBuffer b, int off) {
            b.put(off, (byte) nameLen);
            b.put(off + 1, (byte) nameIndex);
            b.putShort(off + 2, (short) valueSize);
        }

        public static EntryHeader decode(ByteBuffer b, int off) {
            return new EntryHeader(Byte.toUnsignedInt(b.get(off)), Byte.toUnsignedInt(b.get(off + 1)),
                    Short.toUnsignedInt(b.getShort(off + 2)));
        }
    }

    /** A whole {@code struct erofs_xattr_entry}: header, name suffix, value and padding. */
    public record Entry(int nameIndex, byte[] name, byte[] value) {
        public EntryHeader header() {
            return new EntryHeader(name.length, nameIndex, value.length);
        }

        public int size() {
            return header().entrySize();
        }

        /** Writes the entry with zero padding; returns {@link #size()}. */
        public int put(ByteBuffer b, int off) {
            EntryHeader h = header();
            h.put(b, off);
            b.put(off + EntryHeader.SIZE, name);
            b.put(off + EntryHeader.SIZE + name.length, value);
            int size = h.entrySize();
            for (int i = EntryHeader.SIZE + name.length + value.length; i < size; i++) b.put(off + i, (byte) 0);
            return size;
        }

        public static Entry decode(ByteBuffer b, int off) {
            EntryHeader h = EntryHeader.decode(b, off);
            byte[] name = new byte[h.nameLen()];
            byte[] value = new byte[h.valueSize()];
            b.get(off + EntryHeader.SIZE, name);
            b.get(off + EntryHeader.SIZE + name.length, value);
            return new Entry(h.nameIndex(), name, value);
        }
    }
}
