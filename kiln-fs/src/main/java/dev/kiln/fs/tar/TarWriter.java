package dev.kiln.fs.tar;

import static dev.kiln.fs.tar.TarFormat.*;

import dev.kiln.fs.Compression;
import dev.kiln.fs.Content;
import dev.kiln.fs.Entry;
import dev.kiln.fs.EntryPath;
import dev.kiln.fs.io.ImageWriter;
import dev.kiln.fs.KilnException;
import dev.kiln.fs.Metadata;
import dev.kiln.fs.Node;
import dev.kiln.fs.Progress;
import dev.kiln.fs.Tree;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SeekableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Map;

/**
 * Writes POSIX pax tar archives that GNU tar, bsdtar and OCI runtimes read.
 *
 * <p>Every member gets a plain ustar header; a pax extended header precedes it only when ustar
 * cannot say something exactly (long or non-ASCII names, big numbers, sub-second or negative
 * mtimes, xattrs), so simple trees produce archives any 1988-era tar reads. The output depends
 * only on the tree: entries in {@link Tree#entries()} order, no user or group names, fixed pax
 * header names, fixed metadata on pax headers, and the archive padded to a 10240-byte record.
 *
 * <p>Member names are "./" for the root and "./etc/passwd" below it, as {@code tar -C dir .}
 * writes them. The root entry carries the root directory's permissions and mtime, which an
 * unprefixed layout could only express as a bare "." or not at all; extractors and OCI layer
 * appliers (containerd, moby) clean "./x" to "x", so the prefix costs nothing but two bytes.
 *
 * <p>Sockets have no tar type. GNU tar skips them with a warning, but {@link ImageWriter} has no
 * warning channel and silently dropping an entry would make the archive lie about the tree, so a
 * socket fails the write with a {@link KilnException} naming it; remove sockets from the tree
 * first (e.g. with {@link Tree#mapNodes}) to build the archive without them.
 */
public final class TarWriter implements ImageWriter {
    private static final int BUFFER = 1 << 20;

    private final Compression compression;

    public TarWriter(Compression compression) {
        this.compression = compression;
    }

    @Override
    public void write(Tree tree, dev.kiln.fs.io.Output o, dev.kiln.fs.io.FileFeed fed) throws IOException {
        SeekableByteChannel out = o.channel();
        Progress progress = o.progress();
        Sink sink = compression == Compression.NONE ? new Sink(out, null) : Sink.compressed(out, compression);
        for (Entry e : tree.entries()) {
            long bytes = writeEntry(sink, tree, e);
            progress.advance(bytes, 1);
        }
        sink.zeros(2L * BLOCK);
        sink.zeros((RECORD - sink.written % RECORD) % RECORD);
        sink.finish();
    }

    /** Writes one member (pax header, ustar header, data); returns the content bytes written. */
    private static long writeEntry(Sink sink, Tree tree, Entry e) throws IOException {
        EntryPath path = e.path();
        Node node = e.node();
        Metadata meta;
        byte type;
        String link = null;
        Content content = null;
        long devMajor = -1, devMinor = -1;
        switch (node) {
            case Node.HardLink h -> {
                meta = tree.resolve(h.target()).meta();
                type = LNKTYPE;
                link = memberName(h.target(), false);
            }
            case Node.File f -> {
                meta = f.meta();
                type = REGTYPE;
                content = f.content();
            }
            case Node.Directory d -> {
                meta = d.meta();
                type = DIRTYPE;
            }
            case Node.Symlink s -> {
                meta = s.meta();
                type = SYMTYPE;
                link = s.target();
            }
            case Node.Device d -> {
                meta = d.meta();
                type = d.kind() == Node.DeviceKind.CHAR ? CHRTYPE : BLKTYPE;
                devMajor = d.major();
                devMinor = d.minor();
            }
            case Node.Fifo f -> {
                meta = f.meta();
                type = FIFOTYPE;
            }
            case Node.Socket s -> throw new KilnException(path.display()
                    + ": a socket cannot be stored in a tar archive; remove it from the tree first");
        }
        long size = content == null ? 0 : content.size();

        byte[] header = new byte[BLOCK];
        Pax pax = new Pax();

        byte[] name = memberName(path, node instanceof Node.Directory).getBytes(StandardCharsets.UTF_8);
        if (!putName(header, name)) {
            pax.add(PAX_PATH, name);
            putBytes(header, NAME, NAME_LEN, fallback(name, NAME_LEN));
        }
        if (link != null) {
            byte[] target = link.getBytes(StandardCharsets.UTF_8);
            if (isAscii(target) && target.length <= LINKNAME_LEN) {
                putBytes(header, LINKNAME, LINKNAME_LEN, target);
            } else {
                pax.add(PAX_LINKPATH, target);
                putBytes(header, LINKNAME, LINKNAME_LEN, fallback(target, LINKNAME_LEN));
            }
        }
        if (!putOctal(header, SIZE, SIZE_LEN, size)) pax.add(PAX_SIZE, Long.toString(size));
        if (!putOctal(header, UID, UID_LEN, meta.uid())) pax.add(PAX_UID, Long.toString(meta.uid()));
        if (!putOctal(header, GID, GID_LEN, meta.gid())) pax.add(PAX_GID, Long.toString(meta.gid()));
        if (!putOctal(header, MTIME, MTIME_LEN, meta.mtime()) || meta.mtimeNanos() != 0) {
            pax.add(PAX_MTIME, paxTime(meta.mtime(), meta.mtimeNanos()));
        }
        putOctal(header, MODE, MODE_LEN, meta.permissions());
        if (devMajor >= 0) {
            if (!putOctal(header, DEVMAJOR, DEVMAJOR_LEN, devMajor)) pax.add(PAX_SCHILY_DEVMAJOR, Long.toString(devMajor));
            if (!putOctal(header, DEVMINOR, DEVMINOR_LEN, devMinor)) pax.add(PAX_SCHILY_DEVMINOR, Long.toString(devMinor));
        }
        for (Map.Entry<String, byte[]> x : meta.xattrs().asMap().entrySet()) {
            // A SCHILY key ends at the first '=', so names containing one go in libarchive's
            // URL-encoded form instead (GNU tar cannot restore those; bsdtar and kiln can).
            if (x.getKey().indexOf('=') < 0) {
                pax.add(PAX_SCHILY_XATTR + x.getKey(), x.getValue());
            } else {
                pax.add(PAX_LIBARCHIVE_XATTR + urlEncode(x.getKey()),
                        java.util.Base64.getEncoder().withoutPadding().encode(x.getValue()));
            }
        }
        header[TYPEFLAG] = type;
        finishHeader(header);

        if (!pax.isEmpty()) {
            byte[] records = pax.bytes();
            byte[] ph = new byte[BLOCK];
            String base = path.isRoot() ? "root" : path.name();
            byte[] phName = ("PaxHeaders/" + base).getBytes(StandardCharsets.UTF_8);
            putBytes(ph, NAME, NAME_LEN, fallback(phName, NAME_LEN));
            putOctal(ph, MODE, MODE_LEN, 0644);
            putOctal(ph, UID, UID_LEN, 0);
            putOctal(ph, GID, GID_LEN, 0);
            putOctal(ph, SIZE, SIZE_LEN, records.length);
            putOctal(ph, MTIME, MTIME_LEN, 0);
            ph[TYPEFLAG] = XHDTYPE;
            finishHeader(ph);
            sink.put(ph);
            sink.put(records);
            sink.zeros(padding(records.length));
        }
        sink.put(header);
        if (content != null && size > 0) {
            sink.content(content);
            sink.zeros(padding(size));
        }
        return size;
    }

    /** "./" for the root, "./a/b" for files, "./a/b/" for directories. */
    static String memberName(EntryPath p, boolean directory) {
        if (p.isRoot()) return "./";
        return "./" + p.value() + (directory ? "/" : "");
    }

    /** Puts {@code name} in the ustar name (and if needed prefix) field; false if pax must carry it. */
    private static boolean putName(byte[] header, byte[] name) {
        if (!isAscii(name)) return false;
        if (name.length <= NAME_LEN) {
            putBytes(header, NAME, NAME_LEN, name);
            return true;
        }
        // Split at a '/' so that the part before fits the prefix and the part after the name
        // field; the last byte may be a directory's trailing '/', which cannot be the split.
        for (int i = 0; i < name.length - 1 && i <= PREFIX_LEN; i++) {
            if (name[i] == '/' && name.length - i - 1 <= NAME_LEN) {
                putBytes(header, PREFIX, PREFIX_LEN, Arrays.copyOfRange(name, 0, i));
                putBytes(header, NAME, NAME_LEN, Arrays.copyOfRange(name, i + 1, name.length));
                return true;
            }
        }
        return false;
    }

    /**
     * What goes in a ustar field whose real value is in the pax header: a truncated ASCII form,
     * for tars that ignore pax. Deterministic, and never mistaken for the real name by kiln.
     */
    private static byte[] fallback(byte[] value, int len) {
        byte[] b = Arrays.copyOf(value, Math.min(value.length, len));
        for (int i = 0; i < b.length; i++) if (b[i] < 0x20) b[i] = '_';
        return b;
    }

    private static boolean isAscii(byte[] b) {
        for (byte x : b) if (x < 0x20 || x == 0x7f) return false; // also keeps control bytes out of ustar fields
        return true;
    }

    private static void putBytes(byte[] h, int off, int len, byte[] v) {
        System.arraycopy(v, 0, h, off, Math.min(len, v.length));
    }

    /**
     * Writes {@code v} as zero-padded octal with a NUL terminator. A value that does not fit
     * (or is negative) is written in GNU base-256 instead, which GNU tar and bsdtar read, and
     * false is returned so the caller adds the exact value as a pax record.
     */
    static boolean putOctal(byte[] h, int off, int len, long v) {
        if (v >= 0 && v <= maxOctal(len)) {
            String s = Long.toOctalString(v);
            for (int i = 0; i < len - 1 - s.length(); i++) h[off + i] = '0';
            for (int i = 0; i < s.length(); i++) h[off + len - 1 - s.length() + i] = (byte) s.charAt(i);
            h[off + len - 1] = 0;
            return true;
        }
        long x = v;
        for (int i = len - 1; i > 0; i--) {
            h[off + i] = (byte) x;
            x >>= 8;
        }
        h[off] = (byte) (v < 0 ? 0xff : 0x80);
        return false;
    }

    /** Sets magic, version and the checksum (6 octal digits, NUL, space: what GNU tar writes). */
    private static void finishHeader(byte[] h) {
        System.arraycopy(MAGIC_USTAR, 0, h, MAGIC, MAGIC_LEN);
        System.arraycopy(VERSION_USTAR, 0, h, VERSION, VERSION_LEN);
        String s = Long.toOctalString(unsignedChecksum(h));
        for (int i = 0; i < 6; i++) h[CHKSUM + i] = (byte) (i < 6 - s.length() ? '0' : s.charAt(i - (6 - s.length())));
        h[CHKSUM + 6] = 0;
        h[CHKSUM + 7] = ' ';
    }

    /**
     * A pax time: seconds, then '.' and the nanoseconds without trailing zeros. A negative time
     * with a fraction counts down from zero ("-1.5" is 1.5 s before the epoch), so the second
     * part is rounded towards zero and the fraction is complemented.
     */
    static String paxTime(long seconds, int nanos) {
        if (nanos == 0) return Long.toString(seconds);
        String whole;
        int frac;
        if (seconds < 0) {
            whole = "-" + (-(seconds + 1));
            frac = 1_000_000_000 - nanos;
        } else {
            whole = Long.toString(seconds);
            frac = nanos;
        }
        String f = String.format("%09d", frac);
        int end = f.length();
        while (f.charAt(end - 1) == '0') end--;
        return whole + "." + f.substring(0, end);
    }

    /** libarchive's name encoding: bytes outside '!'..'~', and '%' and '=', become %XX. */
    static String urlEncode(String name) {
        StringBuilder sb = new StringBuilder();
        for (byte b : name.getBytes(StandardCharsets.UTF_8)) {
            int c = b & 0xff;
            if (c < 33 || c > 126 || c == '%' || c == '=') sb.append(String.format("%%%02X", c));
            else sb.append((char) c);
        }
        return sb.toString();
    }

    /** Pax records for one member, in the order they are added ("LEN key=value\n"). */
    private static final class Pax {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();

        void add(String key, String value) {
            add(key, value.getBytes(StandardCharsets.UTF_8));
        }

        void add(String key, byte[] value) {
            byte[] k = key.getBytes(StandardCharsets.UTF_8);
            int rest = 1 + k.length + 1 + value.length + 1;
            int len = rest + Integer.toString(rest).length();
            if (Integer.toString(len).length() != Integer.toString(rest).length()) len++;
            out.writeBytes(Integer.toString(len).getBytes(StandardCharsets.US_ASCII));
            out.write(' ');
            out.writeBytes(k);
            out.write('=');
            out.writeBytes(value);
            out.write('\n');
        }

        boolean isEmpty() {
            return out.size() == 0;
        }

        byte[] bytes() {
            return out.toByteArray();
        }
    }

    /**
     * Buffered output to the channel, or to a compressor over it. Small file contents are
     * copied into the buffer, so a tree of many small files costs one write per megabyte rather
     * than one per file; large ones bypass it, so {@link Content#writeTo} can {@code transferTo}
     * straight from the source file into a plain output file.
     */
    private static final class Sink {
        private static final long SMALL = 256 << 10;

        private final ByteBuffer buf = ByteBuffer.allocate(BUFFER);
        private final WritableByteChannel target;
        private final OutputStream compressor;
        /** Content goes through this into {@link #buf}; it is never closed by writeTo. */
        private final WritableByteChannel buffered = new WritableByteChannel() {
            @Override public int write(ByteBuffer src) throws IOException {
                int n = src.remaining();
                while (src.hasRemaining()) {
                    if (!buf.hasRemaining()) flush();
                    int k = Math.min(src.remaining(), buf.remaining());
                    buf.put(buf.position(), src, src.position(), k);
                    buf.position(buf.position() + k);
                    src.position(src.position() + k);
                }
                return n;
            }
            @Override public boolean isOpen() { return true; }
            @Override public void close() {}
        };
        long written;

        Sink(WritableByteChannel target, OutputStream compressor) {
            this.target = target;
            this.compressor = compressor;
        }

        static Sink compressed(SeekableByteChannel out, Compression c) throws IOException {
            // The compressor's close() must finish its stream but leave the caller's channel open.
            OutputStream raw = new FilterOutputStream(new BufferedOutputStream(Channels.newOutputStream(out), 1 << 16)) {
                @Override public void write(byte[] b, int off, int len) throws IOException { out.write(b, off, len); }
                @Override public void close() throws IOException { out.flush(); }
            };
            OutputStream z = c.compress(raw);
            return new Sink(Channels.newChannel(z), z);
        }

        void put(byte[] b) throws IOException {
            put(b, 0, b.length);
        }

        void put(byte[] b, int off, int len) throws IOException {
            written += len;
            while (len > 0) {
                if (!buf.hasRemaining()) flush();
                int n = Math.min(len, buf.remaining());
                buf.put(b, off, n);
                off += n;
                len -= n;
            }
        }

        void zeros(long n) throws IOException {
            written += n;
            while (n > 0) {
                if (!buf.hasRemaining()) flush();
                int k = (int) Math.min(n, Math.min(buf.remaining(), ZEROS.length));
                buf.put(ZEROS, 0, k);
                n -= k;
            }
        }

        void content(Content c) throws IOException {
            if (c.size() <= SMALL) {
                c.writeTo(buffered);
            } else {
                flush();
                c.writeTo(target);
            }
            written += c.size();
        }

        void flush() throws IOException {
            buf.flip();
            while (buf.hasRemaining()) target.write(buf);
            buf.clear();
        }

        void finish() throws IOException {
            flush();
            if (compressor != null) compressor.close();
        }

        private static final byte[] ZEROS = new byte[BLOCK];
    }
}
