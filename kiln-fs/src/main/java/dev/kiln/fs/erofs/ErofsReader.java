package dev.kiln.fs.erofs;

import dev.kiln.fs.Content;
import dev.kiln.fs.EntryPath;
import dev.kiln.fs.FormatException;
import dev.kiln.fs.io.ImageReader;
import dev.kiln.fs.KilnException;
import dev.kiln.fs.Metadata;
import dev.kiln.fs.Node;
import dev.kiln.fs.Tree;
import dev.kiln.fs.io.Utf8;
import dev.kiln.fs.Xattrs;
import dev.kiln.fs.erofs.format.ChunkIndex;
import dev.kiln.fs.erofs.format.Dirent;
import dev.kiln.fs.erofs.format.Erofs;
import dev.kiln.fs.erofs.format.InodeCore;
import dev.kiln.fs.lz4.Lz4Exception;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * Reads an EROFS image (as made by mkfs.erofs 1.5 and later, or by kiln) into a {@link Tree}.
 *
 * <p>Metadata is read eagerly and checked as it is read; file contents stay lazy
 * {@link ErofsContent}s that decode on {@code open()}. Hostile images are expected: every count
 * and offset is checked against the image size before it is used, the directory walk refuses a
 * directory reached twice (which is how a cycle shows), and the number of directory entries is
 * bounded by what the image could hold, so a corrupt image fails fast with a message naming the
 * nid or offset instead of looping or exhausting memory.
 */
public final class ErofsReader implements ImageReader {
    /** Longest symlink target the kernel accepts (PATH_MAX including the NUL). */
    private static final int MAX_SYMLINK = 4096;
    /**
     * Longest path accepted, in UTF-8 bytes (PATH_MAX). No Linux consumer can open a longer one
     * by name, and without a limit a small hostile image of deeply nested directories would cost
     * memory and time quadratic in its size.
     */
    private static final int MAX_PATH = 4096;

    @Override
    public Tree read(Path image, String name) throws IOException {
        try (ErofsReaderImage img = new ErofsReaderImage(image, name)) {
            return new Walk(img).run();
        } catch (Lz4Exception e) {
            throw new FormatException(name + ": corrupt LZ4 data: " + e.getMessage(), e);
        }
    }

    /** A path as its parent's path and a name; the root is a null parent with an empty name. */
    private record Where(EntryPath parent, String name) {
        EntryPath path() {
            if (parent == null) return EntryPath.ROOT;
            return new EntryPath(parent.isRoot() ? name : parent.value() + "/" + name);
        }
    }

    private record Pending(ErofsReaderInode dir, Where where) {
        Pending(ErofsReaderInode dir, EntryPath parent, String name) {
            this(dir, new Where(parent, name));
        }
    }

    /** UTF-8 length without encoding. */
    private static final class Utf8Length {
        static int of(String s) {
            int n = 0;
            for (int i = 0; i < s.length(); i++) {
                char c = s.charAt(i);
                if (c < 0x80) n++;
                else if (c < 0x800) n += 2;
                else if (Character.isHighSurrogate(c)) { n += 4; i++; }
                else n += 3;
            }
            return n;
        }
    }

    /** One pass over the directory tree; holds the per-read state. */
    private static final class Walk {
        private final ErofsReaderImage img;
        private final ErofsReaderXattrs xattrs;
        private final Tree tree = new Tree();
        /**
         * Where each non-directory nid was first seen, for hard links. Paths are kept as the
         * parent's (shared) path plus a name so that wide directories deep down cost a name per
         * entry, not a full path; the same goes for directories waiting to be read.
         */
        private final Map<Long, Where> firstPathOfNid = new HashMap<>();
        private final Set<Long> dirsSeen = new HashSet<>();
        /** Every dirent occupies 12 bytes of its own in a well-formed image; more is a loop or a lie. */
        private long direntBudget;
        private Content packed;

        Walk(ErofsReaderImage img) {
            this.img = img;
            this.xattrs = new ErofsReaderXattrs(img);
            this.direntBudget = img.size / Dirent.SIZE + 16;
        }

        Tree run() throws IOException {
            if (img.has(Erofs.FEATURE_INCOMPAT_FRAGMENTS) && img.packedNid != 0) {
                ErofsReaderInode p = ErofsReaderInode.read(img, img.packedNid);
                if (p.type() != Node.S_IFREG) throw img.error(img.packedNid, p.pos(), "the packed inode is not a regular file");
                packed = content(p, null);
            }
            ErofsReaderInode root = ErofsReaderInode.read(img, img.rootNid);
            if (root.type() != Node.S_IFDIR) throw img.error(img.rootNid, root.pos(), "the root inode is not a directory");
            tree.put(EntryPath.ROOT, new Node.Directory(metadata(root)));
            dirsSeen.add(img.rootNid);
            ArrayDeque<Pending> pending = new ArrayDeque<>();
            pending.push(new Pending(root, null, ""));
            while (!pending.isEmpty()) {
                Pending top = pending.pop();
                readDirectory(top.dir(), top.where().path(), pending);
            }
            return tree;
        }

        private void readDirectory(ErofsReaderInode dir, EntryPath at, ArrayDeque<Pending> pending) throws IOException {
            long nid = dir.nid();
            Content data = content(dir, packed);
            int bs = img.blockSize;
            byte[] block = new byte[bs];
            ByteBuffer blockBuf = Erofs.littleEndian(block);
            Set<String> names = new HashSet<>();
            try (InputStream in = data.open()) {
                for (long off = 0; off < dir.size(); off += bs) {
                    int len = (int) Math.min(bs, dir.size() - off);
                    if (in.readNBytes(block, 0, len) != len) throw img.error(nid, -1, "directory data ends early");
                    readDirBlock(dir, at, off, block, blockBuf, len, names, pending);
                }
            }
        }

        private void readDirBlock(ErofsReaderInode dir, EntryPath at, long blockOff, byte[] b, ByteBuffer bb, int len,
                                  Set<String> names, ArrayDeque<Pending> pending) throws IOException {
            long nid = dir.nid();
            String where = "directory block at " + blockOff;
            if (len < Dirent.SIZE) throw img.error(nid, -1, where + ": " + len + " bytes cannot hold a dirent");
            int nameoff0 = Dirent.decode(bb, 0).nameOff();
            if (nameoff0 < Dirent.SIZE || nameoff0 >= len) {
                throw img.error(nid, -1, where + ": first name offset " + nameoff0 + " is out of range");
            }
            int count = nameoff0 / Dirent.SIZE;
            direntBudget -= count;
            if (direntBudget < 0) throw img.error(nid, -1, "more directory entries than the image can hold (a loop?)");
            for (int i = 0; i < count; i++) {
                int d = i * Dirent.SIZE;
                Dirent dirent = Dirent.decode(bb, d);
                int nameStart = dirent.nameOff();
                int nameEnd;
                if (i + 1 < count) {
                    nameEnd = Dirent.decode(bb, d + Dirent.SIZE).nameOff();
                } else {
                    // The last name runs to the first NUL or the end of the block.
                    nameEnd = nameStart;
                    while (nameEnd < len && b[nameEnd] != 0) nameEnd++;
                }
                if (nameStart < nameoff0 || nameEnd > len || nameEnd <= nameStart || nameEnd - nameStart > Dirent.MAX_NAME_LEN) {
                    throw img.error(nid, -1, where + ": dirent " + i + " has a bad name range " + nameStart + ".." + nameEnd);
                }
                String name;
                try {
                    name = Utf8.decode(b, nameStart, nameEnd - nameStart, "name");
                } catch (KilnException e) {
                    throw img.error(nid, -1, where + ": dirent " + i + ": " + e.getMessage());
                }
                if (name.equals(".") || name.equals("..")) continue;
                if (name.indexOf('/') >= 0 || name.indexOf('\0') >= 0) {
                    throw img.error(nid, -1, where + ": invalid name \"" + EntryPath.printable(name) + "\"");
                }
                if (!names.add(name)) throw img.error(nid, -1, "duplicate name \"" + EntryPath.printable(name) + "\"");
                // A UTF-16 unit takes at most 3 UTF-8 bytes, so only long paths need counting.
                int units = at.value().length() + 1 + name.length();
                if (units > MAX_PATH || (units * 3 > MAX_PATH && Utf8Length.of(at.value()) + 1 + Utf8Length.of(name) > MAX_PATH)) {
                    throw img.error(nid, -1, "path " + show(at) + "/... is longer than " + MAX_PATH + " bytes");
                }
                addChild(dirent.nid(), new Where(at, name), pending);
            }
        }

        private void addChild(long nid, Where where, ArrayDeque<Pending> pending) throws IOException {
            EntryPath path = where.path();
            Where first = firstPathOfNid.get(nid);
            if (first != null) {
                tree.put(path, new Node.HardLink(first.path()));
                return;
            }
            if (dirsSeen.contains(nid)) {
                throw img.error(nid, -1, show(path) + ": directory reachable twice (a directory hard link or a cycle)");
            }
            ErofsReaderInode inode = ErofsReaderInode.read(img, nid);
            Node node;
            try {
                node = node(inode);
            } catch (FormatException e) {
                throw e;
            } catch (KilnException e) {
                throw img.error(nid, inode.pos(), show(path) + ": " + e.getMessage());
            }
            tree.put(path, node);
            if (node instanceof Node.Directory) {
                dirsSeen.add(nid);
                pending.push(new Pending(inode, where));
            } else {
                firstPathOfNid.put(nid, where);
            }
        }

        /** A path as it may appear in a one-line message: names from a hostile image can hold newlines. */
        private static String show(EntryPath p) {
            return "\"" + EntryPath.printable(p.display()) + "\"";
        }

        private Node node(ErofsReaderInode inode) throws IOException {
            Metadata m = metadata(inode);
            int rdev = inode.iu();
            return switch (inode.type()) {
                case Node.S_IFREG -> new Node.File(m, content(inode, packed));
                case Node.S_IFDIR -> new Node.Directory(m);
                case Node.S_IFLNK -> new Node.Symlink(m, symlinkTarget(inode));
                case Node.S_IFCHR, Node.S_IFBLK -> {
                    yield new Node.Device(m, inode.type() == Node.S_IFCHR ? Node.DeviceKind.CHAR : Node.DeviceKind.BLOCK,
                            InodeCore.deviceMajor(rdev), InodeCore.deviceMinor(rdev));
                }
                case Node.S_IFIFO -> new Node.Fifo(m);
                case Node.S_IFSOCK -> new Node.Socket(m);
                default -> throw img.error(inode.nid(), inode.pos(), "unknown file type in mode 0" + Integer.toOctalString(inode.mode()));
            };
        }

        private Metadata metadata(ErofsReaderInode inode) throws IOException {
            Xattrs x = xattrs.read(inode);
            return new Metadata(inode.mode() & 07777, inode.uid(), inode.gid(), inode.mtime(), inode.mtimeNsec(), x);
        }

        private String symlinkTarget(ErofsReaderInode inode) throws IOException {
            if (inode.size() == 0 || inode.size() > MAX_SYMLINK) {
                throw img.error(inode.nid(), inode.pos(), "symlink target of " + inode.size() + " bytes");
            }
            byte[] t = content(inode, packed).readAll();
            return Utf8.decode(t, "symlink target");
        }

        /** The data of an inode as a lazy {@link Content}, after checking its mapping against the image. */
        private Content content(ErofsReaderInode inode, Content packedInode) throws IOException {
            long nid = inode.nid();
            long size = inode.size();
            int bits = img.blkszbits;
            int bs = img.blockSize;
            switch (inode.layout()) {
                case InodeCore.FLAT_PLAIN -> {
                    if (size == 0) return Content.empty();
                    if (inode.iu() == Erofs.NULL_ADDR) {
                        // Newer erofs-utils and kernels read this as a file that is one big hole.
                        return new ErofsContent.Fixed(img.path, img.name, nid, size, new long[] {-1}, new long[] {size});
                    }
                    long pos = Integer.toUnsignedLong(inode.iu()) << bits;
                    img.checkRange(pos, size, "nid " + nid + ": data");
                    return Content.slice(img.path, pos, size);
                }
                case InodeCore.FLAT_INLINE -> {
                    if (size == 0) return Content.empty();
                    long tail = size - (((size - 1) >>> bits) << bits);
                    long full = size - tail;
                    long tailPos = inode.dataPos();
                    if ((tailPos & (bs - 1)) + tail > bs) {
                        throw img.error(nid, tailPos, "inline data of " + tail + " bytes crosses a block boundary");
                    }
                    img.checkRange(tailPos, tail, "nid " + nid + ": inline data");
                    if (full == 0) return Content.slice(img.path, tailPos, tail);
                    long pos = Integer.toUnsignedLong(inode.iu()) << bits;
                    img.checkRange(pos, full, "nid " + nid + ": data");
                    if (pos + full == tailPos) return Content.slice(img.path, pos, size);
                    return new ErofsContent.Fixed(img.path, img.name, nid, size, new long[] {pos, tailPos}, new long[] {full, tail});
                }
                case InodeCore.CHUNK_BASED -> {
                    int format = ChunkIndex.format(inode.iu());
                    if ((format & ~ChunkIndex.FORMAT_ALL) != 0) throw img.error(nid, inode.pos(), "unsupported chunk format 0x" + Integer.toHexString(format));
                    int chunkSizeBits = bits + (format & ChunkIndex.FORMAT_BLKBITS_MASK);
                    if (chunkSizeBits > 48) throw img.error(nid, inode.pos(), "chunk size 2^" + chunkSizeBits + " is too large");
                    if (size == 0) return Content.empty();
                    int unit = ChunkIndex.entrySize(format);
                    long count = ((size - 1) >>> chunkSizeBits) + 1;
                    long indexPos = (inode.dataPos() + unit - 1) & -(long) unit;
                    if (count > img.size / unit) throw img.error(nid, indexPos, count + " chunk indexes cannot fit in the image");
                    img.checkRange(indexPos, count * unit, "nid " + nid + ": chunk indexes");
                    return new ErofsContent.Chunked(img.path, img.name, nid, size, img.size, indexPos, unit, bits, chunkSizeBits);
                }
                case InodeCore.COMPRESSED_FULL, InodeCore.COMPRESSED_COMPACT -> {
                    return ZMapContent.create(img, inode, packedInode);
                }
                default -> throw img.error(nid, inode.pos(), "unknown data layout " + inode.layout());
            }
        }
    }
}
