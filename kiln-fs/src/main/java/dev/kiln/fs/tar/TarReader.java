package dev.kiln.fs.tar;

import static dev.kiln.fs.tar.TarFormat.*;

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
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * Reads ustar, pax (POSIX.1-2001) and GNU tar archives into a tree; old v7 headers too.
 *
 * <p>Supported: pax extended ('x') and global ('g') headers with path, linkpath, size, uid,
 * gid, mtime (with fraction), {@code SCHILY.xattr.*} and libarchive's
 * {@code LIBARCHIVE.xattr.*}; GNU long names ('L') and long link targets ('K'); base-256
 * numbers; the ustar prefix field. GNU sparse members and multi-volume archives are refused.
 * Member contents stay in the archive as lazy slices.
 *
 * <p>The reader records what the archive says and nothing more: OCI whiteouts
 * ({@code .wh.*}) remain ordinary entries for the layering code to interpret, and a later member
 * replaces an earlier one at the same path, as extraction would.
 *
 * <p>Owners are numeric: uname/gname, atime and ctime are ignored. A hard link's header
 * metadata is ignored too, since the link shares its target's node.
 *
 * <p>An archive may stop without its two zero blocks (GNU tar tolerates that), but not inside
 * a header or inside a member's data or padding: that is a truncated file and an error.
 *
 * <p>Hostile input can cost time and memory proportional to its size, but no more: extension
 * headers are limited to {@link #MAX_EXTENSION} bytes, paths to {@link #MAX_DEPTH} levels,
 * every step advances at least one block, and every problem is a {@link FormatException}
 * naming the archive, the header's offset and, once known, the entry.
 */
public final class TarReader implements ImageReader {
    /** Largest pax or GNU long-name header accepted; real ones are a few hundred bytes. */
    static final int MAX_EXTENSION = 1 << 20;

    /**
     * Deepest path accepted. Linux's PATH_MAX of 4096 bytes allows at most 2048 one-letter
     * levels; a pax path of a million slashes would otherwise build a tree too deep for the
     * recursive walks that consumers of a {@link Tree} do.
     */
    static final int MAX_DEPTH = 2048;

    @Override
    public Tree read(Path image, String name) throws IOException {
        try (FileChannel ch = FileChannel.open(image, StandardOpenOption.READ)) {
            return new Parse(ch, image, name).run();
        }
    }

    /** The state of reading one archive; never shared. */
    private static final class Parse {
        private final FileChannel ch;
        private final Path image;
        private final String file;
        private final long fileSize;
        private final byte[] block = new byte[BLOCK];

        /** pax records of the next member ('x'), and of all following members ('g'). */
        private final Map<String, byte[]> local = new LinkedHashMap<>();
        private final Map<String, byte[]> global = new LinkedHashMap<>();
        /**
         * What members need from {@link #global}, derived once per 'g' header rather than per
         * member: a hostile archive could otherwise pair a 1 MiB global header with millions of
         * members and cost their product in time.
         */
        private Map<String, byte[]> globalXattrs = Map.of();
        private boolean globalSparse;
        private byte[] longName, longLink;
        /** Offset of the first extension header of the pending member, for "dangling" errors. */
        private long pendingAt = -1;

        Parse(FileChannel ch, Path image, String file) throws IOException {
            this.ch = ch;
            this.image = image;
            this.file = file;
            this.fileSize = ch.size();
        }

        Tree run() throws IOException {
            Tree tree = new Tree();
            long pos = 0;
            while (true) {
                long remaining = fileSize - pos;
                if (remaining == 0) break; // no end-of-archive blocks: tolerated, as GNU tar does
                if (remaining < BLOCK) {
                    throw error(pos, null, "truncated header: " + remaining + " bytes where a 512-byte header was expected");
                }
                readFully(pos, block, BLOCK, null);
                if (isZero(block)) break; // end-of-archive marker; anything after it is padding
                Header h = parseHeader(block, pos);
                long dataAt = pos + BLOCK;
                boolean extension = switch (h.typeflag()) {
                    case XHDTYPE, XGLTYPE, GNU_LONGNAME, GNU_LONGLINK -> true;
                    default -> false;
                };
                long size = extension ? h.size() : memberSize(h, pos);
                if (!extension && size > 0 && bodiless(h.typeflag()) && localValue(PAX_SIZE) == null
                        && headerOrEndAt(dataAt)) {
                    // Old writers put the linked file's size on hard links (and some on other
                    // special entries) without storing a body; POSIX 1988 told readers to ignore
                    // it. pax lets hard links carry data, so the size is only dropped when a
                    // header, not data, follows, as libarchive also decides.
                    size = 0;
                }
                if (size > fileSize - dataAt) {
                    throw error(pos, extension ? null : printableName(h), "member data of " + size
                            + " bytes runs past the end of the archive (" + (fileSize - dataAt) + " bytes left)");
                }
                if (extension) {
                    if (pendingAt < 0) pendingAt = pos;
                    byte[] data = readExtension(pos, dataAt, size, h.typeflag());
                    switch (h.typeflag()) {
                        case XHDTYPE -> parsePax(data, dataAt, local);
                        case XGLTYPE -> {
                            parsePax(data, dataAt, global);
                            globalXattrs = new LinkedHashMap<>();
                            globalSparse = false;
                            for (Map.Entry<String, byte[]> e : global.entrySet()) {
                                if (isXattrKey(e.getKey())) globalXattrs.put(e.getKey(), e.getValue());
                                if (e.getKey().startsWith(PAX_GNU_SPARSE)) globalSparse = true;
                            }
                            pendingAt = local.isEmpty() && longName == null && longLink == null ? -1 : pendingAt;
                        }
                        case GNU_LONGNAME -> longName = untilNul(data);
                        default -> longLink = untilNul(data);
                    }
                } else {
                    member(tree, h, pos, dataAt, size);
                    local.clear();
                    longName = longLink = null;
                    pendingAt = -1;
                }
                pos = dataAt + size + padding(size);
                if (pos > fileSize) {
                    // The data is all there but its block is cut: a truncated download, most
                    // likely, with members missing after it. GNU tar calls this an unexpected EOF.
                    throw error(dataAt + size, extension ? null : printableName(h),
                            "the archive ends inside the padding after this member's data (truncated?)");
                }
            }
            if (pendingAt >= 0) {
                throw error(pendingAt, null, "the archive ends after an extended header, with no member for it");
            }
            return tree;
        }

        private static boolean bodiless(byte type) {
            return type == LNKTYPE || type == SYMTYPE || type == CHRTYPE || type == BLKTYPE || type == DIRTYPE
                    || type == FIFOTYPE;
        }

        /** Whether the archive ends at {@code at} or a zero block or a header with a valid checksum is there. */
        private boolean headerOrEndAt(long at) throws IOException {
            if (fileSize - at < BLOCK) return fileSize == at;
            byte[] b = new byte[BLOCK];
            readFully(at, b, BLOCK, null);
            if (isZero(b)) return true;
            long stored = 0;
            int i = CHKSUM;
            while (i < CHKSUM + CHKSUM_LEN && b[i] == ' ') i++;
            for (; i < CHKSUM + CHKSUM_LEN && b[i] >= '0' && b[i] <= '7'; i++) stored = stored * 8 + (b[i] - '0');
            return stored == unsignedChecksum(b) || stored == signedChecksum(b);
        }

        /** Turns one ordinary header (with pending extensions) into a tree entry. */
        private void member(Tree tree, Header h, long at, long dataAt, long size) throws IOException {
            byte type = h.typeflag();
            if (type == GNU_SPARSE || hasSparseKeys()) {
                throw error(at, printableName(h), "GNU sparse files are not supported");
            }
            if (type == GNU_MULTIVOL) {
                throw error(at, printableName(h), "multi-volume archives are not supported");
            }
            if (type == GNU_VOLHDR) return; // a volume label names the archive, not a file

            byte[] rawName = localValue(PAX_PATH);
            if (rawName == null) rawName = longName;
            if (rawName == null) rawName = h.name();
            String name;
            try {
                name = Utf8.decode(rawName, "name");
            } catch (KilnException e) {
                throw error(at, null, e.getMessage());
            }
            try {
                EntryPath path = EntryPath.parse(name);
                if (rawName.length == 0) throw new KilnException("empty member name");
                if (path.depth() > MAX_DEPTH) {
                    throw new KilnException("path is " + path.depth() + " levels deep, more than the " + MAX_DEPTH + " kiln accepts");
                }
                Metadata meta = metadata(h);
                Node node = switch (type) {
                    case DIRTYPE, GNU_DUMPDIR -> new Node.Directory(meta);
                    case LNKTYPE -> new Node.HardLink(EntryPath.parse(linkTarget(h)));
                    case SYMTYPE -> new Node.Symlink(meta, linkTarget(h));
                    case CHRTYPE, BLKTYPE -> device(h, meta, type == CHRTYPE ? Node.DeviceKind.CHAR : Node.DeviceKind.BLOCK);
                    case FIFOTYPE -> new Node.Fifo(meta);
                    default -> {
                        // v7 and early ustar mark directories by a trailing '/' on a regular entry.
                        if ((type == AREGTYPE || type == REGTYPE) && name.endsWith("/")) yield new Node.Directory(meta);
                        // '0', '7' (contiguous) and, as POSIX asks, unknown types are regular files.
                        yield new Node.File(meta, size == 0 ? Content.empty() : Content.slice(image, dataAt, size));
                    }
                };
                if (path.isRoot() && !(node instanceof Node.Directory)) {
                    throw new KilnException("the root entry is not a directory");
                }
                if (node instanceof Node.HardLink link && !tree.contains(link.target())) {
                    throw new KilnException("hard link to \"" + EntryPath.printable(link.target().value())
                            + "\", which is not an earlier member");
                }
                tree.put(path, node);
            } catch (FormatException e) {
                throw e;
            } catch (KilnException e) {
                throw error(at, name, e.getMessage());
            }
        }

        private Metadata metadata(Header h) {
            long uid = paxNumber(PAX_UID, h.uid());
            long gid = paxNumber(PAX_GID, h.gid());
            if (uid < 0 || uid > 0xFFFFFFFFL || gid < 0 || gid > 0xFFFFFFFFL) {
                throw new KilnException("uid/gid " + uid + ":" + gid + " out of range");
            }
            long mtime = h.mtime();
            int nanos = 0;
            byte[] pt = value(PAX_MTIME);
            if (pt != null) {
                long[] t = parsePaxTime(pt);
                mtime = t[0];
                nanos = (int) t[1];
            }
            return new Metadata(h.mode() & 07777, uid, gid, mtime, nanos, xattrs());
        }

        /**
         * Extended attributes from pax records: {@code SCHILY.xattr.NAME} (raw name and value, GNU
         * tar and star) and {@code LIBARCHIVE.xattr.NAME} (URL-encoded name, base64 value). bsdtar
         * writes each attribute in both forms, and in some versions URL-encodes the SCHILY name
         * too; the libarchive form is the exact one, so it wins and SCHILY duplicates of it (by
         * decoded or encoded name) are dropped.
         */
        private Xattrs xattrs() {
            Map<String, byte[]> merged = new LinkedHashMap<>(globalXattrs);
            for (Map.Entry<String, byte[]> e : local.entrySet()) if (isXattrKey(e.getKey())) merged.put(e.getKey(), e.getValue());
            if (merged.isEmpty()) return Xattrs.NONE;
            TreeMap<String, byte[]> out = new TreeMap<>();
            java.util.Set<String> encodedNames = new java.util.HashSet<>();
            for (Map.Entry<String, byte[]> e : merged.entrySet()) {
                String k = e.getKey();
                if (k.startsWith(PAX_LIBARCHIVE_XATTR) && k.length() > PAX_LIBARCHIVE_XATTR.length()) {
                    String encoded = k.substring(PAX_LIBARCHIVE_XATTR.length());
                    String xname = urlDecode(encoded);
                    try {
                        out.put(xname, Base64.getDecoder().decode(e.getValue()));
                    } catch (IllegalArgumentException bad) {
                        throw new KilnException("xattr \"" + EntryPath.printable(xname) + "\" has a bad base64 value");
                    }
                    encodedNames.add(encoded);
                }
            }
            for (Map.Entry<String, byte[]> e : merged.entrySet()) {
                String k = e.getKey();
                if (k.startsWith(PAX_SCHILY_XATTR) && k.length() > PAX_SCHILY_XATTR.length()) {
                    String xname = k.substring(PAX_SCHILY_XATTR.length());
                    if (!encodedNames.contains(xname)) out.putIfAbsent(xname, e.getValue());
                }
            }
            return out.isEmpty() ? Xattrs.NONE : Xattrs.of(out);
        }

        private static boolean isXattrKey(String k) {
            return k.startsWith(PAX_SCHILY_XATTR) || k.startsWith(PAX_LIBARCHIVE_XATTR);
        }

        private Node device(Header h, Metadata meta, Node.DeviceKind kind) {
            long major = paxNumber(PAX_SCHILY_DEVMAJOR, h.devMajor());
            long minor = paxNumber(PAX_SCHILY_DEVMINOR, h.devMinor());
            if (major < 0 || major > Integer.MAX_VALUE || minor < 0 || minor > Integer.MAX_VALUE) {
                throw new KilnException("device number " + major + ":" + minor + " out of range");
            }
            return new Node.Device(meta, kind, (int) major, (int) minor);
        }

        private String linkTarget(Header h) {
            byte[] raw = localValue(PAX_LINKPATH);
            if (raw == null) raw = longLink;
            if (raw == null) raw = h.linkName();
            if (raw.length == 0) throw new KilnException("empty link target");
            return Utf8.decode(raw, "link target");
        }

        /** The size of an ordinary member: pax "size" if given, else the header's. */
        private long memberSize(Header h, long at) {
            byte[] v = localValue(PAX_SIZE);
            if (v == null) return h.size();
            try {
                return parseDecimal(v);
            } catch (KilnException e) {
                throw error(at, printableName(h), "pax size: " + e.getMessage());
            }
        }

        private long paxNumber(String key, long fallback) {
            byte[] v = value(key);
            if (v == null) return fallback;
            try {
                return parseDecimal(v);
            } catch (KilnException e) {
                throw new KilnException("pax " + key + ": " + e.getMessage());
            }
        }

        /** A pax value for this member only; global path, linkpath and size would be nonsense. */
        private byte[] localValue(String key) {
            byte[] v = local.get(key);
            return v == null || v.length == 0 ? null : v;
        }

        /** A pax value from this member's header or, failing that, the global ones. An empty value unsets. */
        private byte[] value(String key) {
            byte[] v = local.get(key);
            if (v == null) v = global.get(key);
            return v == null || v.length == 0 ? null : v;
        }

        private boolean hasSparseKeys() {
            if (globalSparse) return true;
            for (String k : local.keySet()) if (k.startsWith(PAX_GNU_SPARSE)) return true;
            return false;
        }

        private byte[] readExtension(long at, long dataAt, long size, byte type) throws IOException {
            if (size > MAX_EXTENSION) {
                throw error(at, null, "extended header ('" + (char) type + "') of " + size
                        + " bytes is larger than the " + MAX_EXTENSION + "-byte limit");
            }
            byte[] data = new byte[(int) size];
            readFully(dataAt, data, data.length, null);
            return data;
        }

        /**
         * Parses "LENGTH key=value\n" records into {@code into}. LENGTH counts the whole record,
         * itself included; values are raw bytes (xattr values may be binary).
         */
        private void parsePax(byte[] data, long base, Map<String, byte[]> into) {
            int i = 0;
            while (i < data.length) {
                if (data[i] == 0) {
                    // Some writers pad the records with NULs; anything else after them is corrupt.
                    for (int j = i; j < data.length; j++) {
                        if (data[j] != 0) throw error(base + j, null, "garbage after NUL padding in pax header");
                    }
                    return;
                }
                int j = i;
                long len = 0;
                while (j < data.length && data[j] >= '0' && data[j] <= '9' && j - i < 8) {
                    len = len * 10 + (data[j] - '0');
                    j++;
                }
                if (j == i || j >= data.length || data[j] != ' ') {
                    throw error(base + i, null, "pax record does not start with a length and a space");
                }
                if (len < (j - i) + 4 || len > data.length - i) {
                    throw error(base + i, null, "pax record length " + len + " does not fit the header ("
                            + (data.length - i) + " bytes left)");
                }
                int end = i + (int) len; // one past the '\n'
                if (data[end - 1] != '\n') throw error(base + i, null, "pax record does not end with a newline");
                int eq = -1;
                for (int k = j + 1; k < end - 1; k++) {
                    if (data[k] == '=') {
                        eq = k;
                        break;
                    }
                }
                if (eq <= j + 1) throw error(base + i, null, "pax record has no \"key=\"");
                String key;
                try {
                    key = Utf8.decode(data, j + 1, eq - j - 1, "pax keyword");
                } catch (KilnException e) {
                    throw error(base + i, null, e.getMessage());
                }
                into.put(key, Arrays.copyOfRange(data, eq + 1, end - 1));
                i = end;
            }
        }

        private Header parseHeader(byte[] b, long at) {
            long stored = parseNumber(b, CHKSUM, CHKSUM_LEN, "checksum", at);
            if (stored != unsignedChecksum(b) && stored != signedChecksum(b)) {
                throw error(at, null, "header checksum mismatch (stored " + Long.toOctalString(stored)
                        + ", computed " + Long.toOctalString(unsignedChecksum(b)) + "): not a tar header or corrupt");
            }
            boolean posix = Arrays.equals(b, MAGIC, MAGIC + MAGIC_LEN, MAGIC_USTAR, 0, MAGIC_LEN);
            boolean gnu = Arrays.equals(b, MAGIC, MAGIC + MAGIC_LEN, MAGIC_GNU, 0, MAGIC_LEN);
            byte[] name = field(b, NAME, NAME_LEN);
            if (posix && b[PREFIX] != 0) {
                byte[] prefix = field(b, PREFIX, PREFIX_LEN);
                byte[] full = Arrays.copyOf(prefix, prefix.length + 1 + name.length);
                full[prefix.length] = '/';
                System.arraycopy(name, 0, full, prefix.length + 1, name.length);
                name = full;
            }
            byte type = b[TYPEFLAG];
            long devMajor = 0, devMinor = 0;
            if ((posix || gnu) && (type == CHRTYPE || type == BLKTYPE)) {
                devMajor = parseNumber(b, DEVMAJOR, DEVMAJOR_LEN, "devmajor", at);
                devMinor = parseNumber(b, DEVMINOR, DEVMINOR_LEN, "devminor", at);
            }
            long size = parseNumber(b, SIZE, SIZE_LEN, "size", at);
            if (size < 0) throw error(at, null, "negative size " + size);
            long mode = parseNumber(b, MODE, MODE_LEN, "mode", at);
            return new Header(type, name, field(b, LINKNAME, LINKNAME_LEN), (int) (mode & 07777),
                    parseNumber(b, UID, UID_LEN, "uid", at), parseNumber(b, GID, GID_LEN, "gid", at), size,
                    parseNumber(b, MTIME, MTIME_LEN, "mtime", at), devMajor, devMinor, gnu);
        }

        /**
         * A numeric field: octal digits, optionally surrounded by spaces and ended by a space or
         * NUL (writers disagree); or, with the high bit of the first byte set, a big-endian
         * base-256 two's-complement number (GNU and libarchive for values octal cannot hold).
         */
        private long parseNumber(byte[] b, int off, int len, String field, long at) {
            if ((b[off] & 0x80) != 0) {
                long v = (b[off] & 0x40) != 0 ? -1L : 0L; // bit 6 is the sign of the 2's complement value
                v = (v << 6) | (b[off] & 0x3f);
                for (int i = 1; i < len; i++) {
                    if ((v >> 55) != 0 && (v >> 55) != -1) {
                        throw error(at, null, "base-256 " + field + " field does not fit in 64 bits");
                    }
                    v = (v << 8) | (b[off + i] & 0xff);
                }
                return v;
            }
            int i = off, end = off + len;
            while (i < end && (b[i] == ' ' || b[i] == 0)) i++; // blank fields (all NUL or spaces) are 0
            long v = 0;
            while (i < end && b[i] >= '0' && b[i] <= '7') {
                v = v * 8 + (b[i] - '0');
                i++;
            }
            // The digits end with a space or NUL (or fill the field); what follows the terminator
            // is ignored, as GNU tar and libarchive do, since old writers left junk there.
            if (i < end && b[i] != ' ' && b[i] != 0) {
                throw error(at, null, "bad " + field + " field \"" + EntryPath.printable(
                        new String(b, off, len, StandardCharsets.ISO_8859_1)) + "\"");
            }
            return v;
        }

        private static byte[] field(byte[] b, int off, int len) {
            int n = 0;
            while (n < len && b[off + n] != 0) n++;
            return Arrays.copyOfRange(b, off, off + n);
        }

        private static byte[] untilNul(byte[] data) {
            int n = 0;
            while (n < data.length && data[n] != 0) n++;
            return Arrays.copyOf(data, n);
        }

        private static boolean isZero(byte[] b) {
            for (byte x : b) if (x != 0) return false;
            return true;
        }

        private void readFully(long at, byte[] dst, int len, String entry) throws IOException {
            ByteBuffer buf = ByteBuffer.wrap(dst, 0, len);
            long p = at;
            while (buf.hasRemaining()) {
                int n = ch.read(buf, p);
                if (n < 0) throw error(at, entry, "unexpected end of file");
                p += n;
            }
        }

        /** The name as far as the header alone tells it, for messages about the header. */
        private String printableName(Header h) {
            byte[] n = localValue(PAX_PATH);
            if (n == null) n = longName;
            if (n == null) n = h.name();
            return new String(n, StandardCharsets.UTF_8);
        }

        private FormatException error(long offset, String entry, String problem) {
            return FormatException.at(file, offset, entry, problem);
        }
    }

    /** A non-negative decimal number of at most 18 digits (no sign, no spaces). */
    static long parseDecimal(byte[] v) {
        if (v.length == 0 || v.length > 18) throw new KilnException("bad number \"" + printable(v) + "\"");
        long n = 0;
        for (byte c : v) {
            if (c < '0' || c > '9') throw new KilnException("bad number \"" + printable(v) + "\"");
            n = n * 10 + (c - '0');
        }
        return n;
    }

    /**
     * A pax time "[-]SECONDS[.FRACTION]" as {seconds, nanoseconds} with nanoseconds in
     * 0..999999999; "-1.5" is 1.5 s before the epoch, i.e. {-2, 500000000}. Digits past the
     * ninth fractional one are dropped (truncation, like GNU tar).
     */
    static long[] parsePaxTime(byte[] v) {
        int i = 0;
        boolean negative = v.length > 0 && v[0] == '-';
        if (negative) i++;
        int start = i;
        long sec = 0;
        while (i < v.length && v[i] >= '0' && v[i] <= '9') {
            if (i - start >= 18) throw new KilnException("pax mtime \"" + printable(v) + "\" out of range");
            sec = sec * 10 + (v[i] - '0');
            i++;
        }
        if (i == start) throw new KilnException("bad pax mtime \"" + printable(v) + "\"");
        long nanos = 0;
        if (i < v.length) {
            if (v[i] != '.') throw new KilnException("bad pax mtime \"" + printable(v) + "\"");
            i++;
            int digits = 0;
            while (i < v.length && v[i] >= '0' && v[i] <= '9') {
                if (digits < 9) nanos = nanos * 10 + (v[i] - '0');
                digits++;
                i++;
            }
            if (i < v.length) throw new KilnException("bad pax mtime \"" + printable(v) + "\"");
            for (int d = digits; d < 9; d++) nanos *= 10;
        }
        if (!negative) return new long[] {sec, nanos};
        if (nanos == 0) return new long[] {-sec, 0};
        return new long[] {-sec - 1, 1_000_000_000L - nanos};
    }

    /** libarchive's xattr name encoding: %XX for a byte; the result must be UTF-8. */
    static String urlDecode(String s) {
        byte[] in = s.getBytes(StandardCharsets.UTF_8);
        byte[] out = new byte[in.length];
        int n = 0;
        for (int i = 0; i < in.length; i++) {
            if (in[i] == '%' && i + 2 < in.length && hex(in[i + 1]) >= 0 && hex(in[i + 2]) >= 0) {
                out[n++] = (byte) (hex(in[i + 1]) * 16 + hex(in[i + 2]));
                i += 2;
            } else {
                out[n++] = in[i];
            }
        }
        String name = Utf8.decode(out, 0, n, "xattr name");
        if (name.indexOf('\0') >= 0) throw new KilnException("xattr name \"" + EntryPath.printable(name) + "\" contains a NUL");
        return name;
    }

    private static int hex(byte c) {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        return -1;
    }

    private static String printable(byte[] v) {
        return EntryPath.printable(new String(v, 0, Math.min(v.length, 100), StandardCharsets.ISO_8859_1));
    }
}
