package dev.kiln.fs.cpio;

import dev.kiln.fs.Compression;
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
import dev.kiln.fs.cpio.CpioFormat.Header;
import dev.kiln.fs.cpio.CpioFormat.Kind;
import dev.kiln.fs.cpio.CpioFormat.NewcField;
import dev.kiln.fs.cpio.CpioFormat.OdcField;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads newc ({@code 070701}), crc ({@code 070702}) and odc ({@code 070707}) archives into a tree.
 *
 * <p>File contents are slices of the archive, read only when asked for, and the reader holds at
 * most one window of the file plus the tree itself, so memory is bounded whatever sizes an
 * archive claims. Every header value is checked against the file before it is believed.
 *
 * <p>It follows Linux's initramfs unpacker where consumers differ: later entries for a path
 * replace earlier ones, regular files (and special files) with nlink &gt; 1 form hard-link groups
 * keyed by (devmajor, devminor, ino) whose data may travel on any link, and archives concatenated
 * after a trailer (with NUL padding in between) are read on. crc ({@code 070702}) checksums of
 * regular files are verified as Linux verifies them (it refuses the initramfs on a mismatch), so
 * a crc archive's data is read once, streaming, when it is opened; Unikraft ignores the sums.
 */
public final class CpioReader implements ImageReader {
    /**
     * One member as the archive stores it, in archive order: what a consumer that extracts
     * entry by entry (Unikraft's ukcpio) sees, before later entries replace earlier ones.
     *
     * @param archive    which of the concatenated archives holds it, from 0 (consumers that stop
     *                   at the first trailer never see the others)
     * @param linkTarget a symlink's target, null for other types (where a later entry lands
     *                   when a consumer follows the link)
     */
    public record Member(long offset, String name, int mode, long nlink, long size, int archive, String linkTarget) {}

    private final java.util.function.Consumer<Member> members;

    public CpioReader() {
        this(m -> { });
    }

    /** A reader that also tells {@code members} about every member, trailers excluded, as it reads them. */
    public CpioReader(java.util.function.Consumer<Member> members) {
        this.members = members;
    }

    @Override
    public Tree read(Path image, String name) throws IOException {
        try (FileChannel ch = FileChannel.open(image, StandardOpenOption.READ)) {
            return new Session(image, name, ch, members).read();
        }
    }

    private static final class Session {
        /** Holds any header plus the longest accepted name, and lets small entries share a read. */
        private static final int WINDOW = 256 * 1024;
        private static final byte[] TRAILER = CpioFormat.TRAILER.getBytes(StandardCharsets.US_ASCII);

        private final Path image;
        private final String name;
        private final FileChannel ch;
        private final long size;
        private final byte[] win;
        private long winStart;
        private int winLen;

        private final Tree tree = new Tree();
        private final Map<LinkKey, Group> groups = new HashMap<>();
        /** Groups whose data turned up on a later link; their nodes are replaced at the end. */
        private final List<Group> late = new ArrayList<>();

        private record LinkKey(long devMajor, long devMinor, long ino) {}

        /** The links of one hard-link group read so far. */
        private static final class Group {
            final Node node;
            final int type;
            final List<EntryPath> paths = new ArrayList<>();
            /** A path that still held {@link #node} when last looked at. */
            EntryPath live;
            /** The node with the data, when a link after the first carried it. */
            Node.File replacement;

            Group(Node node, int type, EntryPath path) {
                this.node = node;
                this.type = type;
                this.live = path;
                paths.add(path);
            }
        }

        private final java.util.function.Consumer<Member> members;

        Session(Path image, String name, FileChannel ch, java.util.function.Consumer<Member> members) throws IOException {
            this.members = members;
            this.image = image;
            this.name = name;
            this.ch = ch;
            this.size = ch.size();
            // Small archives (inline ROMs, tests, fuzz inputs) need no more window than themselves.
            this.win = new byte[(int) Math.min(WINDOW, size)];
        }

        /** Index of the archive being read among the concatenated ones. */
        private int archive;

        Tree read() throws IOException {
            if (size == 0) throw FormatException.at(name, 0, null, "empty file, not a cpio archive");
            long pos = 0;
            for (;; archive++) {
                pos = readArchive(pos);
                long next = skipZeros(pos);
                if (next >= size) break;
                if (magicAt(next) == null) throw junkAfterTrailer(next);
                pos = next; // another archive concatenated to this one, as Linux's unpacker allows
            }
            for (Group g : late) applyLateData(g);
            return tree;
        }

        /** Reads entries from {@code start} through the trailer; returns the offset after it. */
        private long readArchive(long start) throws IOException {
            long pos = start;
            while (true) {
                if (pos >= size) {
                    throw FormatException.at(name, size, null, "archive ends without a TRAILER!!! entry");
                }
                Header h = readHeader(pos);
                int hs = h.kind().headerSize();
                long nameAt = pos + hs;
                int nameBytes = h.nameSize() - 1;
                int avail = fill(nameAt, h.nameSize());
                if (avail < h.nameSize()) {
                    throw FormatException.at(name, nameAt, null, "truncated name: " + avail + " of " + h.nameSize() + " bytes");
                }
                int ni = index(nameAt);
                if (win[ni + nameBytes] != 0) {
                    throw FormatException.at(name, nameAt, null, "name of " + h.nameSize() + " bytes is not NUL-terminated");
                }
                int align = h.kind().alignment();
                long nameEnd = nameAt + h.nameSize();
                long dataAt = nameEnd + CpioFormat.padding(nameEnd - start, align);
                if (isTrailer(ni, nameBytes)) {
                    // Inode numbers are only unique within one archive: Linux forgets its link
                    // table at every trailer, so a concatenated archive starts new groups.
                    groups.clear();
                    // Nothing after the trailer belongs to this archive; its data (normally none) is skipped.
                    long end = dataAt + h.fileSize();
                    end += CpioFormat.padding(end - start, align);
                    return Math.min(end, size);
                }
                if (nameBytes == 0) {
                    // EntryPath.parse would take "" for the root; no producer writes it, so it is damage.
                    throw FormatException.at(name, pos, null, "empty name (name size 1)");
                }
                String entry;
                try {
                    entry = Utf8.decode(win, ni, nameBytes, "name");
                } catch (KilnException e) {
                    throw FormatException.at(name, nameAt, null, e.getMessage());
                }
                long left = Math.max(0, size - dataAt);
                if (h.fileSize() > left) {
                    throw FormatException.at(name, pos, entry, "file size " + h.fileSize() + " runs past the end of the archive ("
                            + left + " bytes left)");
                }
                String linkTarget = (h.mode() & Node.S_IFMT) == Node.S_IFLNK ? symlinkTarget(pos, entry, h, dataAt) : null;
                members.accept(new Member(pos, entry, (int) h.mode(), h.nlink(), h.fileSize(), archive, linkTarget));
                addEntry(pos, entry, h, dataAt);
                long end = dataAt + h.fileSize();
                pos = end + CpioFormat.padding(end - start, align);
            }
        }

        private boolean isTrailer(int ni, int nameBytes) {
            if (nameBytes != TRAILER.length) return false;
            for (int i = 0; i < nameBytes; i++) if (win[ni + i] != TRAILER[i]) return false;
            return true;
        }

        private Header readHeader(long pos) throws IOException {
            int avail = fill(pos, CpioFormat.MAGIC_LENGTH);
            Kind kind = avail < CpioFormat.MAGIC_LENGTH ? null : magicAt(pos);
            if (kind == null) {
                if (avail < CpioFormat.MAGIC_LENGTH && startsLikeMagic(pos, avail)) {
                    throw FormatException.at(name, pos, null, "truncated header: " + avail + " of at least " + CpioFormat.MAGIC_LENGTH + " bytes");
                }
                throw FormatException.at(name, pos, null, "bad magic \"" + printableBytes(pos, Math.min(avail, CpioFormat.MAGIC_LENGTH))
                        + "\" (expected 070701, 070702 or 070707)");
            }
            int hs = kind.headerSize();
            avail = fill(pos, hs);
            if (avail < hs) {
                throw FormatException.at(name, pos, null, "truncated header: " + avail + " of " + hs + " bytes");
            }
            Header h = kind == Kind.ODC ? parseOdc(pos) : parseNewc(pos, kind);
            if (h.nameSize() == 0) {
                throw FormatException.at(name, pos, null, "name size is 0 (every entry needs a NUL-terminated name)");
            }
            if (h.nameSize() > CpioFormat.MAX_NAME_SIZE) {
                throw FormatException.at(name, pos, null, "name size " + h.nameSize() + " is absurd (more than "
                        + CpioFormat.MAX_NAME_SIZE + ")");
            }
            return h;
        }

        private Header parseNewc(long pos, Kind kind) {
            long[] v = new long[NewcField.values().length];
            for (NewcField f : NewcField.values()) v[f.ordinal()] = hexField(pos, f);
            long nameSize = v[NewcField.C_NAMESIZE.ordinal()];
            return new Header(kind, v[NewcField.C_INO.ordinal()], v[NewcField.C_MODE.ordinal()],
                    v[NewcField.C_UID.ordinal()], v[NewcField.C_GID.ordinal()], v[NewcField.C_NLINK.ordinal()],
                    v[NewcField.C_MTIME.ordinal()], v[NewcField.C_FILESIZE.ordinal()],
                    v[NewcField.C_DEVMAJOR.ordinal()], v[NewcField.C_DEVMINOR.ordinal()],
                    v[NewcField.C_RDEVMAJOR.ordinal()], v[NewcField.C_RDEVMINOR.ordinal()],
                    (int) Math.min(nameSize, Integer.MAX_VALUE), v[NewcField.C_CHECK.ordinal()]);
        }

        private Header parseOdc(long pos) {
            long dev = octalField(pos, OdcField.C_DEV);
            long rdev = octalField(pos, OdcField.C_RDEV);
            long nameSize = octalField(pos, OdcField.C_NAMESIZE);
            return new Header(Kind.ODC, octalField(pos, OdcField.C_INO), octalField(pos, OdcField.C_MODE),
                    octalField(pos, OdcField.C_UID), octalField(pos, OdcField.C_GID), octalField(pos, OdcField.C_NLINK),
                    octalField(pos, OdcField.C_MTIME), octalField(pos, OdcField.C_FILESIZE),
                    CpioFormat.major(dev), CpioFormat.minor(dev), CpioFormat.major(rdev), CpioFormat.minor(rdev),
                    (int) nameSize, 0);
        }

        private long hexField(long pos, NewcField f) {
            int at = index(pos) + f.offset();
            long v = 0;
            for (int i = 0; i < CpioFormat.NEWC_FIELD_WIDTH; i++) {
                int c = win[at + i];
                int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
                if (d < 0) {
                    throw FormatException.at(name, pos + f.offset() + i, null,
                            "field " + f.label() + " has a non-hex character " + describe(c) + " in its 8 digits");
                }
                v = (v << 4) | d;
            }
            return v;
        }

        private long octalField(long pos, OdcField f) {
            int at = index(pos) + f.offset();
            long v = 0;
            for (int i = 0; i < f.width; i++) {
                int c = win[at + i];
                if (c < '0' || c > '7') {
                    throw FormatException.at(name, pos + f.offset() + i, null,
                            "field " + f.label() + " has a non-octal character " + describe(c) + " in its " + f.width + " digits");
                }
                v = (v << 3) | (c - '0');
            }
            return v;
        }

        private void addEntry(long pos, String entry, Header h, long dataAt) throws IOException {
            EntryPath path;
            try {
                path = EntryPath.parse(entry);
            } catch (KilnException e) {
                throw FormatException.at(name, pos, entry, e.getMessage());
            }
            if (h.mode() > 0177777) {
                throw FormatException.at(name, pos, entry, "mode 0" + Long.toOctalString(h.mode())
                        + " has bits above the 16 a file mode has");
            }
            int mode = (int) h.mode();
            int type = mode & Node.S_IFMT;
            Metadata meta = new Metadata(mode & 07777, h.uid(), h.gid(), h.mtime(), 0, Xattrs.NONE);
            if (path.isRoot() && type != Node.S_IFDIR) {
                throw FormatException.at(name, pos, entry, "the root entry must be a directory, not mode 0"
                        + Integer.toOctalString(mode));
            }
            try {
                switch (type) {
                    case Node.S_IFDIR -> tree.put(path, new Node.Directory(meta));
                    case Node.S_IFREG -> {
                        if (h.kind() == Kind.CRC) verifyChecksum(pos, entry, h, dataAt);
                        Node.File f = new Node.File(meta, Content.slice(image, dataAt, h.fileSize()));
                        if (h.nlink() > 1) putLinked(path, f, h); else tree.put(path, f);
                    }
                    case Node.S_IFLNK -> tree.put(path, new Node.Symlink(meta, symlinkTarget(pos, entry, h, dataAt)));
                    case Node.S_IFCHR, Node.S_IFBLK -> {
                        if (h.rdevMajor() > Integer.MAX_VALUE || h.rdevMinor() > Integer.MAX_VALUE) {
                            throw FormatException.at(name, pos, entry, "device number " + h.rdevMajor() + ":" + h.rdevMinor() + " is out of range");
                        }
                        Node.DeviceKind k = type == Node.S_IFCHR ? Node.DeviceKind.CHAR : Node.DeviceKind.BLOCK;
                        putMaybeLinked(path, new Node.Device(meta, k, (int) h.rdevMajor(), (int) h.rdevMinor()), h);
                    }
                    case Node.S_IFIFO -> putMaybeLinked(path, new Node.Fifo(meta), h);
                    case Node.S_IFSOCK -> putMaybeLinked(path, new Node.Socket(meta), h);
                    default -> throw FormatException.at(name, pos, entry,
                            String.format("unknown file type bits %06o in mode %06o", type, mode));
                }
            } catch (FormatException e) {
                throw e;
            } catch (KilnException e) {
                throw FormatException.at(name, pos, entry, e.getMessage());
            }
        }

        /** The unsigned 32-bit sum of the data bytes must equal c_check, as Linux's unpacker demands. */
        private void verifyChecksum(long pos, String entry, Header h, long dataAt) throws IOException {
            long sum = 0;
            long p = dataAt, end = dataAt + h.fileSize();
            while (p < end) {
                int n = fill(p, (int) Math.min(win.length, end - p));
                if (n <= 0) throw FormatException.at(name, p, entry, "truncated data");
                int at = index(p);
                for (int i = 0; i < n; i++) sum += win[at + i] & 0xff;
                p += n;
            }
            sum &= 0xFFFF_FFFFL;
            if (sum != h.check()) {
                throw FormatException.at(name, pos, entry, String.format("bad data checksum: c_check is %08X, the data sums to %08X",
                        h.check(), sum));
            }
        }

        private String symlinkTarget(long pos, String entry, Header h, long dataAt) throws IOException {
            if (h.fileSize() == 0) throw FormatException.at(name, pos, entry, "symlink with an empty target");
            if (h.fileSize() > CpioFormat.MAX_SYMLINK_SIZE) {
                throw FormatException.at(name, pos, entry, "symlink target of " + h.fileSize() + " bytes is too long (at most "
                        + CpioFormat.MAX_SYMLINK_SIZE + ")");
            }
            int n = (int) h.fileSize();
            if (fill(dataAt, n) < n) throw FormatException.at(name, dataAt, entry, "truncated symlink target");
            try {
                return Utf8.decode(win, index(dataAt), n, "symlink target");
            } catch (KilnException e) {
                throw FormatException.at(name, dataAt, entry, e.getMessage());
            }
        }

        private void putMaybeLinked(EntryPath path, Node node, Header h) {
            if (h.nlink() > 1) putLinked(path, node, h); else tree.put(path, node);
        }

        /**
         * Adds one link of a group. Its first path gets the node, later paths link to a path that
         * still holds it (an entry in between may have replaced the first). A later regular-file
         * link with data replaces the group's content, as Linux's unpacker writes it into the
         * shared file; that is how data-on-last (GNU cpio, libarchive) archives come out right.
         */
        private void putLinked(EntryPath path, Node node, Header h) {
            LinkKey key = new LinkKey(h.devMajor(), h.devMinor(), h.ino());
            int type = node.typeBits();
            Group g = groups.get(key);
            if (g != null && g.type == type && tree.get(g.live).orElse(null) == g.node) {
                tree.put(path, new Node.HardLink(g.live));
                g.paths.add(path);
                g.live = path;
                if (node instanceof Node.File f && f.content().size() > 0) {
                    if (g.replacement == null) late.add(g);
                    g.replacement = f;
                }
                return;
            }
            tree.put(path, node);
            groups.put(key, new Group(node, type, path));
        }

        /** Puts the data-carrying node at every path that still holds the group's first node. */
        private void applyLateData(Group g) {
            EntryPath first = null;
            for (EntryPath p : g.paths) {
                if (tree.get(p).orElse(null) != g.node) continue;
                if (first == null) {
                    tree.put(p, g.replacement);
                    first = p;
                } else {
                    tree.put(p, new Node.HardLink(first));
                }
            }
        }

        /** Skips the NUL padding after a trailer; returns the first non-NUL offset or the file size. */
        private long skipZeros(long pos) throws IOException {
            while (pos < size) {
                int n = fill(pos, win.length);
                int at = index(pos);
                for (int i = 0; i < n; i++) {
                    if (win[at + i] != 0) return pos + i;
                }
                pos += n;
            }
            return size;
        }

        private FormatException junkAfterTrailer(long pos) throws IOException {
            int n = fill(pos, 6);
            byte[] head = new byte[n];
            System.arraycopy(win, index(pos), head, 0, n);
            Compression c = Compression.detect(head, n);
            if (c != Compression.NONE) {
                return FormatException.at(name, pos, null, "a " + c.name().toLowerCase(java.util.Locale.ROOT)
                        + "-compressed archive follows the trailer; kiln reads concatenated archives only uncompressed");
            }
            return FormatException.at(name, pos, null, "unexpected bytes after TRAILER!!! (\"" + printableBytes(pos, n)
                    + "\" is neither NUL padding nor another cpio header)");
        }

        /** The header kind whose magic starts at {@code pos}, or null. */
        private Kind magicAt(long pos) throws IOException {
            if (fill(pos, CpioFormat.MAGIC_LENGTH) < CpioFormat.MAGIC_LENGTH) return null;
            int i = index(pos);
            if (win[i] != '0' || win[i + 1] != '7' || win[i + 2] != '0' || win[i + 3] != '7' || win[i + 4] != '0') return null;
            return switch (win[i + 5]) {
                case '1' -> Kind.NEWC;
                case '2' -> Kind.CRC;
                case '7' -> Kind.ODC;
                default -> null;
            };
        }

        private boolean startsLikeMagic(long pos, int avail) {
            byte[] m = CpioFormat.MAGIC_NEWC.getBytes(StandardCharsets.US_ASCII);
            int i = index(pos);
            for (int k = 0; k < Math.min(avail, 5); k++) if (win[i + k] != m[k]) return false;
            return true;
        }

        private String printableBytes(long pos, int n) {
            StringBuilder sb = new StringBuilder();
            int i = index(pos);
            for (int k = 0; k < n; k++) {
                int c = win[i + k] & 0xff;
                if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') sb.append((char) c);
                else sb.append(String.format("\\x%02x", c));
            }
            return sb.toString();
        }

        private static String describe(int c) {
            int b = c & 0xff;
            return b >= 0x20 && b < 0x7f ? "'" + (char) b + "'" : String.format("0x%02x", b);
        }

        /**
         * Makes the window cover {@code n} bytes from {@code pos} (n at most the window size) and
         * returns how many of them the file has.
         */
        private int fill(long pos, int n) throws IOException {
            if (pos >= size) return 0;
            long want = Math.min(n, size - pos);
            if (pos >= winStart && pos + want <= winStart + winLen) return (int) want;
            winStart = pos;
            winLen = 0;
            ByteBuffer bb = ByteBuffer.wrap(win, 0, (int) Math.min(win.length, size - pos));
            while (bb.hasRemaining()) {
                int r = ch.read(bb, pos + winLen);
                if (r < 0) break; // the file shrank under us; callers see fewer bytes
                winLen += r;
            }
            return (int) Math.min(want, winLen);
        }

        private int index(long pos) {
            return (int) (pos - winStart);
        }
    }
}
