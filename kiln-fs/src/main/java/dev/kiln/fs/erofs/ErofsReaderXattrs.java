package dev.kiln.fs.erofs;

import static dev.kiln.fs.erofs.ErofsReaderImage.u16;
import static dev.kiln.fs.erofs.ErofsReaderImage.u32;

import dev.kiln.fs.KilnException;
import dev.kiln.fs.Xattrs;
import java.io.IOException;
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
    /** Name prefixes by e_name_index; ACL entries carry their whole name in the prefix. */
    private static final String[] PREFIXES = {
        null, "user.", "system.posix_acl_access", "system.posix_acl_default", "trusted.", "lustre.", "security.",
    };

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
        if (size < 12) throw img.error(nid, start, "xattr area of " + size + " bytes");
        byte[] area = img.read(start, size, "nid " + nid + ": xattrs");
        int sharedCount = area[4] & 0xFF;
        if (12 + 4L * sharedCount > size) {
            throw img.error(nid, start, sharedCount + " shared xattr ids do not fit in an area of " + size + " bytes");
        }
        Map<String, byte[]> out = new LinkedHashMap<>();
        for (int i = 0; i < sharedCount; i++) {
            long id = u32(area, 12 + 4 * i);
            Shared e = shared.get(id);
            if (e == null) {
                e = readShared(nid, id);
                shared.put(id, e);
            }
            out.put(e.name(), e.value());
        }
        int p = 12 + 4 * sharedCount;
        while (p < size) {
            if (size - p < 4) throw img.error(nid, start + p, "truncated xattr entry");
            int nameLen = area[p] & 0xFF;
            int index = area[p + 1] & 0xFF;
            int valueSize = u16(area, p + 2);
            int entryLen = 4 + nameLen + valueSize;
            if (entryLen > size - p) throw img.error(nid, start + p, "xattr entry runs past the xattr area");
            String fullName = name(nid, start + p, index, area, p + 4, nameLen);
            byte[] value = java.util.Arrays.copyOfRange(area, p + 4 + nameLen, p + entryLen);
            out.put(fullName, value);
            p += (entryLen + 3) & ~3;
        }
        try {
            return Xattrs.of(out);
        } catch (KilnException e) {
            throw img.error(nid, start, e.getMessage());
        }
    }

    private Shared readShared(long nid, long id) throws IOException {
        long pos = img.xattrBase + id * 4;
        byte[] h = img.read(pos, 4, "nid " + nid + ": shared xattr " + id);
        int nameLen = h[0] & 0xFF;
        int index = h[1] & 0xFF;
        int valueSize = u16(h, 2);
        byte[] body = img.read(pos + 4, nameLen + valueSize, "nid " + nid + ": shared xattr " + id);
        String fullName = name(nid, pos, index, body, 0, nameLen);
        return new Shared(fullName, java.util.Arrays.copyOfRange(body, nameLen, nameLen + valueSize));
    }

    private String name(long nid, long at, int index, byte[] b, int off, int len) {
        if ((index & 0x80) != 0) {
            throw img.error(nid, at, "long xattr name prefix " + (index & 0x7F) + " is not supported");
        }
        if (index == 0 || index >= PREFIXES.length) throw img.error(nid, at, "unknown xattr name index " + index);
        String suffix = new String(b, off, len, StandardCharsets.UTF_8);
        if (suffix.indexOf('\0') >= 0 || !java.util.Arrays.equals(suffix.getBytes(StandardCharsets.UTF_8), 0, len, b, off, off + len)) {
            throw img.error(nid, at, "xattr name is not valid UTF-8 or contains NUL");
        }
        return PREFIXES[index] + suffix;
    }
}
