package dev.kiln.fs.erofs;

import dev.kiln.fs.Content;
import dev.kiln.fs.EntryPath;
import dev.kiln.fs.Metadata;
import dev.kiln.fs.Node;
import dev.kiln.fs.erofs.format.Dirent;
import dev.kiln.fs.erofs.format.Erofs;
import dev.kiln.fs.erofs.format.InodeCore;
import dev.kiln.fs.erofs.format.Xattr;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;

/**
 * The writer's working state for one inode (one per hard-link group): what the tree says, then
 * the layout decisions as the writer makes them. Mutable and package-private; never shared
 * between threads except read-only by the compression producer. A directory is a {@link Dir},
 * so files do not carry its fields: a tree of a million files has a million of these.
 */
sealed class Inode permits Inode.Dir {
    final Metadata meta;
    final int mode;
    final byte fileType; // a byte, like extended next to it: with them the object is 88 bytes, not 96
    /** File contents for regular files and symlinks (a symlink's target as bytes); null otherwise. */
    final Content content;
    long size;
    int nlink;
    int ino;

    /** Encoded inline xattr area, or null. */
    byte[] xattrs;
    boolean extended;
    int layout = InodeCore.FLAT_PLAIN;
    /** i_u: start block, compressed block count or device number (set at construction). */
    int iu;
    /**
     * What follows inode and xattrs: the inline tail, or padding + map header + lcluster indexes,
     * kept in the build's {@link InlineStore} at this address; {@code bodySize} 0 when none.
     */
    long bodyAt;
    int bodySize;
    /** CRC32 of this inode's bytes in the data area, when the UUID is derived ({@link DataDigest}). */
    int dataCrc;
    /** Byte offset of the inode in the image ({@code nid = pos / 32}, meta_blkaddr 0); -1 until placed. */
    long pos = -1;

    /**
     * The directory holding this inode's first path (the root's is the root), and the last
     * component of that path (null for the root), the tree's own String, also in the parent's
     * {@link #childNames}. Together they spell the path for messages ({@link #path}); a whole
     * {@link EntryPath} per inode was 70 bytes of heap for every file of the tree, and a copy of
     * the name as bytes another 30. Directories encode their names when they are written.
     */
    Inode parent;
    String name;

    Inode(Metadata meta, int mode, int fileType, Content content, int rdev, long size) {
        this.meta = meta;
        this.mode = mode;
        this.fileType = (byte) fileType;
        this.content = content;
        this.iu = rdev;
        this.size = size;
    }

    /** A directory: its entries, gathered in tree order, then sorted with "." and ".." by {@link DirectoryBuilder#seal}. */
    static final class Dir extends Inode {
        String[] childNames = new String[4];
        Inode[] children = new Inode[4];
        int childCount;
        int subdirs;

        Dir(Metadata meta, int mode) {
            super(meta, mode, Dirent.FT_DIR, null, 0, 0);
        }

        void addChild(String name, Inode child) {
            if (childCount == childNames.length) {
                childNames = java.util.Arrays.copyOf(childNames, childCount * 2);
                children = java.util.Arrays.copyOf(children, childCount * 2);
            }
            childNames[childCount] = name;
            children[childCount++] = child;
            if (child.isDirectory()) subdirs++;
        }
    }

    /** The first path of this inode in the tree, rebuilt from the directory chain: for messages. */
    EntryPath path() {
        if (name == null) return EntryPath.ROOT;
        ArrayDeque<String> parts = new ArrayDeque<>();
        for (Inode i = this; i.name != null; i = i.parent) parts.push(i.name);
        return new EntryPath(String.join("/", parts));
    }

    @Override
    public String toString() {
        return path().toString();
    }

    boolean isDirectory() {
        return fileType == Dirent.FT_DIR;
    }

    long nid() {
        return pos >>> Erofs.SLOT_SIZE_BITS;
    }

    int inodeSize() {
        return extended ? InodeCore.EXTENDED_SIZE : InodeCore.COMPACT_SIZE;
    }

    int xattrSize() {
        return xattrs == null ? 0 : xattrs.length;
    }

    /** Bytes of metadata this inode occupies from its slot: core, xattrs, then tail or indexes. */
    int metaSize() {
        return inodeSize() + xattrSize() + bodySize;
    }

    /**
     * Compact inodes only when nothing is lost: kernels up to 6.14 give every compact inode the
     * superblock build time, so the mtime must equal it to the nanosecond (reference §2.4).
     */
    void chooseVersion(long buildTime) {
        extended = needsExtended(meta, size, nlink, buildTime);
    }

    static boolean needsExtended(Metadata meta, long size, int nlink, long buildTime) {
        return !(meta.mtime() == buildTime && meta.mtimeNanos() == 0
                && meta.uid() <= 0xFFFF && meta.gid() <= 0xFFFF && nlink <= 0xFFFF && size <= 0xFFFFFFFFL);
    }

    /**
     * Encodes core, xattrs and body (from {@code store}) at {@code off} of {@code b}
     * (array-backed); returns the bytes written.
     */
    int encode(ByteBuffer b, int off, InlineStore store) {
        int icount = Xattr.icount(xattrSize());
        if (extended) {
            new InodeCore.Extended(InodeCore.format(InodeCore.VERSION_EXTENDED, layout), icount, mode, size, iu, ino,
                    (int) meta.uid(), (int) meta.gid(), meta.mtime(), meta.mtimeNanos(), nlink).put(b, off);
        } else {
            new InodeCore.Compact(InodeCore.format(InodeCore.VERSION_COMPACT, layout), icount, mode, nlink, (int) size,
                    iu, ino, (int) meta.uid(), (int) meta.gid()).put(b, off);
        }
        int p = off + inodeSize();
        if (xattrs != null) {
            b.put(p, xattrs);
            p += xattrs.length;
        }
        if (bodySize > 0) {
            store.read(bodyAt, b.array(), b.arrayOffset() + p, bodySize);
            p += bodySize;
        }
        return p - off;
    }

    static int fileType(Node n) {
        return switch (n) {
            case Node.File f -> Dirent.FT_REG_FILE;
            case Node.Directory d -> Dirent.FT_DIR;
            case Node.Symlink s -> Dirent.FT_SYMLINK;
            case Node.Device d -> d.kind() == Node.DeviceKind.CHAR ? Dirent.FT_CHRDEV : Dirent.FT_BLKDEV;
            case Node.Fifo f -> Dirent.FT_FIFO;
            case Node.Socket s -> Dirent.FT_SOCK;
            case Node.HardLink h -> throw new IllegalArgumentException("hard links have no inode of their own");
        };
    }
}
