package dev.kiln.fs.erofs;

import dev.kiln.fs.EntryPath;
import dev.kiln.fs.KilnException;
import dev.kiln.fs.Xattrs;
import dev.kiln.fs.erofs.format.Erofs;
import dev.kiln.fs.erofs.format.Xattr;
import dev.kiln.fs.erofs.format.Xattr.IbodyHeader;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Extended attributes (reference §6): maps names to EROFS name indexes, picks the xattrs to
 * share, lays out the shared area and encodes each inode's inline xattr body.
 *
 * <p>An xattr (name and value) carried by two or more inodes is stored once in the shared area
 * and referenced by a 4-byte id; the rest stay inline. Shared entries are ordered by first use in
 * inode order, so the layout depends only on the tree.
 */
final class XattrEncoder {
    /** Identity of an xattr for sharing: full name and value bytes. */
    private static final class Key {
        final String name;
        final byte[] value;
        final int hash;
        int uses;
        int sharedId = -1;

        Key(String name, byte[] value) {
            this.name = name;
            this.value = value;
            this.hash = name.hashCode() * 31 + Arrays.hashCode(value);
        }

        @Override public boolean equals(Object o) {
            return o instanceof Key k && k.hash == hash && k.name.equals(name) && Arrays.equals(k.value, value);
        }

        @Override public int hashCode() {
            return hash;
        }
    }

    private final HashMap<Key, Key> keys = new HashMap<>();
    private final List<Key> firstUse = new ArrayList<>();
    private byte[] sharedArea = new byte[0];

    /** Splits a full xattr name into (index, suffix), or fails naming the entry. */
    static Xattr.Entry entry(String name, byte[] value, EntryPath where) {
        int index = Xattr.nameIndex(name);
        if (index == 0) {
            throw new KilnException(where + ": xattr \"" + EntryPath.printable(name)
                    + "\" cannot be stored in EROFS (only user., trusted., security., lustre. and POSIX ACLs)");
        }
        byte[] s = name.substring(Xattr.prefix(index).length()).getBytes(StandardCharsets.UTF_8);
        if (s.length > Xattr.MAX_NAME_LEN) throw new KilnException(where + ": xattr name \"" + EntryPath.printable(name) + "\" is too long for EROFS");
        if (value.length > Xattr.MAX_VALUE_SIZE) throw new KilnException(where + ": xattr \"" + EntryPath.printable(name) + "\" value exceeds 65535 bytes");
        return new Xattr.Entry(index, s, value);
    }

    /** First pass: counts each inode's xattrs (call once per inode, in inode order). */
    void count(Xattrs x, EntryPath where) {
        if (x.isEmpty()) return;
        for (Map.Entry<String, byte[]> e : x.asMap().entrySet()) {
            entry(e.getKey(), e.getValue(), where); // validate early, with the path in the message
            Key k = new Key(e.getKey(), e.getValue());
            Key known = keys.putIfAbsent(k, k);
            if (known == null) {
                known = k;
                firstUse.add(k);
            }
            known.uses++;
        }
    }

    /**
     * Lays out the shared area starting at byte {@code start} (4-aligned) of the image, with
     * {@code xattr_blkaddr = 0}; returns the area's end offset.
     */
    int layoutShared(int start) {
        int size = 0;
        List<Xattr.Entry> entries = new ArrayList<>();
        for (Key k : firstUse) {
            if (k.uses < 2) continue;
            Xattr.Entry e = entry(k.name, k.value, EntryPath.ROOT);
            k.sharedId = (start + size) / Xattr.SHARED_ID_UNIT;
            size += e.size();
            entries.add(e);
        }
        sharedArea = new byte[size];
        ByteBuffer b = Erofs.littleEndian(sharedArea);
        int off = 0;
        for (Xattr.Entry e : entries) off += e.put(b, off);
        return start + size;
    }

    byte[] sharedArea() {
        return sharedArea;
    }

    /** The inline xattr body of an inode (header, shared ids, inline entries), or null if none. */
    byte[] ibody(Xattrs x, EntryPath where) {
        if (x.isEmpty()) return null;
        int[] shared = new int[x.size()];
        int nShared = 0;
        List<Xattr.Entry> inline = new ArrayList<>();
        int size = IbodyHeader.SIZE;
        for (Map.Entry<String, byte[]> e : x.asMap().entrySet()) {
            Key k = keys.get(new Key(e.getKey(), e.getValue()));
            // h_shared_count is one byte: past 255 shared references the rest stay inline.
            if (k != null && k.sharedId >= 0 && nShared < Xattr.MAX_SHARED) {
                shared[nShared++] = k.sharedId;
                size += 4;
            } else {
                Xattr.Entry en = entry(e.getKey(), e.getValue(), where);
                inline.add(en);
                size += en.size();
            }
        }
        if (Xattr.icount(size) > 0xFFFF) {
            throw new KilnException(where + ": extended attributes too large for EROFS (" + size + " bytes)");
        }
        byte[] out = new byte[size];
        ByteBuffer b = Erofs.littleEndian(out);
        new IbodyHeader(0, nShared).put(b, 0);
        for (int i = 0; i < nShared; i++) b.putInt(IbodyHeader.sharedIdOffset(i), shared[i]);
        int off = IbodyHeader.sharedIdOffset(nShared);
        for (Xattr.Entry en : inline) off += en.put(b, off);
        return out;
    }

    /**
     * The least and the most bytes {@link #ibody} can give {@code x}, before it is known which of
     * its xattrs other inodes share: all shared (as far as the 255 ids reach), or all inline.
     */
    static int[] ibodyBounds(Xattrs x, EntryPath where) {
        if (x.isEmpty()) return new int[] {0, 0};
        int most = IbodyHeader.SIZE;
        int[] sizes = new int[x.size()];
        int i = 0;
        for (Map.Entry<String, byte[]> e : x.asMap().entrySet()) {
            sizes[i] = entry(e.getKey(), e.getValue(), where).size();
            most += sizes[i++];
        }
        int least = IbodyHeader.SIZE;
        for (i = 0; i < sizes.length; i++) least += i < Xattr.MAX_SHARED ? Math.min(4, sizes[i]) : sizes[i];
        return new int[] {least, most};
    }
}
