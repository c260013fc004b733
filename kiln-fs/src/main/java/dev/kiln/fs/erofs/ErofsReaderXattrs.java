package dev.kiln.fs.erofs;

import dev.kiln.fs.KilnException;
import dev.kiln.fs.Xattrs;
import dev.kiln.fs.erofs.format.Xattr;
import dev.kiln.fs.erofs.format.Xattr.EntryHeader;
import dev.kiln.fs.erofs.format.Xattr.IbodyHeader;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Extended attributes: the inline area after an inode (a 12-byte header, shared ids, inline
 * entries) and the shared entries it points to, which are cached because mkfs shares exactly the
 * xattrs that many inodes carry.
 */
final class ErofsReaderXattrs {
    private final ErofsReaderImage img;
    private final Map<Long, Shared> shared = new HashMap<>();

    private record Shared(String name, byte[] value) {}

    ErofsReaderXattrs(ErofsReaderImage img) {
        this.img = img;
    }

    Xattrs read(ErofsReaderInode inode) throws IOException {
        if (inode.xattrSize() == 0) return Xattrs.NONE;
        long nid = inode.nid();
        long start = inode.pos() + inode.coreSize();
        int size = inode.xattrSize();
        if (size < IbodyHeader.SIZE) throw img.error(nid, start, "xattr area of " + size + " bytes");
        ByteBuffer area = img.buffer(start, size, "nid " + nid + ": xattrs");
        int sharedCount = IbodyHeader.decode(area, 0).sharedCount();
        if (IbodyHeader.sharedIdOffset(sharedCount) > size) {
            throw img.error(nid, start, sharedCount + " shared xattr ids do not fit in an area of " + size + " bytes");
        }
        Map<String, byte[]> out = new LinkedHashMap<>();
        for (int i = 0; i < sharedCount; i++) {
            long id = Integer.toUnsignedLong(area.getInt(IbodyHeader.sharedIdOffset(i)));
            Shared e = shared.get(id);
            if (e == null) {
                e = readShared(nid, id);
                shared.put(id, e);
            }
            out.put(e.name(), e.value());
        }
        int p = IbodyHeader.sharedIdOffset(sharedCount);
        while (p < size) {
            if (size - p < EntryHeader.SIZE) throw img.error(nid, start + p, "truncated xattr entry");
            EntryHeader h = EntryHeader.decode(area, p);
            if (EntryHeader.SIZE + h.nameLen() + h.valueSize() > size - p) {
                throw img.error(nid, start + p, "xattr entry runs past the xattr area");
            }
            Xattr.Entry e = Xattr.Entry.decode(area, p);
            out.put(name(nid, start + p, e.nameIndex(), e.name(), 0, e.name().length), e.value());
            p += h.entrySize();
        }
        try {
            return Xattrs.of(out);
        } catch (KilnException e) {
            throw img.error(nid, start, e.getMessage());
        }
    }

    private Shared readShared(long nid, long id) throws IOException {
        long pos = img.xattrBase + id * Xattr.SHARED_ID_UNIT;
        EntryHeader h = EntryHeader.decode(img.buffer(pos, EntryHeader.SIZE, "nid " + nid + ": shared xattr " + id), 0);
        int nameLen = h.nameLen();
        byte[] body = img.read(pos + EntryHeader.SIZE, nameLen + h.valueSize(), "nid " + nid + ": shared xattr " + id);
        String fullName = name(nid, pos, h.nameIndex(), body, 0, nameLen);
        return new Shared(fullName, java.util.Arrays.copyOfRange(body, nameLen, nameLen + h.valueSize()));
    }

    private String name(long nid, long at, int index, byte[] b, int off, int len) {
        if ((index & Xattr.LONG_PREFIX) != 0) {
            throw img.error(nid, at, "long xattr name prefix " + (index & ~Xattr.LONG_PREFIX) + " is not supported");
        }
        String prefix = Xattr.prefix(index);
        if (prefix == null) throw img.error(nid, at, "unknown xattr name index " + index);
        String suffix = new String(b, off, len, StandardCharsets.UTF_8);
        if (suffix.indexOf('\0') >= 0 || !java.util.Arrays.equals(suffix.getBytes(StandardCharsets.UTF_8), 0, len, b, off, off + len)) {
            throw img.error(nid, at, "xattr name is not valid UTF-8 or contains NUL");
        }
        return prefix + suffix;
    }
}
