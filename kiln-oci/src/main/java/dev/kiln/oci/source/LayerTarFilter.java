package dev.kiln.oci.source;

import dev.kiln.fs.EntryPath;
import dev.kiln.fs.KilnException;
import dev.kiln.oci.OciException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Reads a layer's tar as a stream, once, on its way to a spool file (or only to check it, when
 * the layer is read in place). It refuses member paths and hard-link targets that would leave
 * the root, naming the layer and the entry; and it takes out the hard links whose target is not
 * an earlier member of this layer, because those link to a file of a lower layer, which kiln's
 * tar reader (one archive, one tree) cannot resolve: they are returned, to be linked once the
 * layer is laid over the lower ones. Everything else is copied byte for byte.
 */
final class LayerTarFilter {
    /** A hard link at {@code path} to {@code target}, a path of a lower layer. */
    record LinkToLower(EntryPath path, EntryPath target) {}

    /**
     * How many members were copied, the links taken out, whether the tar ended inside the
     * padding after its last member's data (which the copy completes), and the directories the
     * layer does not list but has members in ({@code EntryPath.ROOT} among them when there is no
     * {@code ./}): a runtime creates those only when missing, so they must not change the lower
     * layers' directories.
     */
    record Result(long members, List<LinkToLower> links, boolean completed, List<EntryPath> unlisted) {}

    private static final int BLOCK = 512;
    private static final int MAX_EXTENSION = 1 << 20;
    private static final byte[] ZEROS = new byte[2 * BLOCK];

    private final InputStream in;
    private final OutputStream out;
    private final String what;
    private final byte[] buffer = new byte[1 << 20];
    private long offset;
    private byte[] pushedBack;
    private boolean completed;

    private LayerTarFilter(InputStream in, OutputStream out, String what) {
        this.in = in;
        this.out = out;
        this.what = what;
    }

    /**
     * Reads {@code in} to its end, writing the filtered tar to {@code out} (null: only checks).
     * {@code what} names the layer in messages.
     */
    static Result run(InputStream in, OutputStream out, String what) throws IOException {
        return new LayerTarFilter(in, out, what).run();
    }

    private Result run() throws IOException {
        Set<String> seen = new HashSet<>();
        List<LinkToLower> links = new ArrayList<>();
        java.io.ByteArrayOutputStream pending = new java.io.ByteArrayOutputStream();
        String paxPath = null, paxLink = null, longName = null, longLink = null;
        long paxSize = -1;
        long members = 0;
        byte[] h = new byte[BLOCK];
        while (true) {
            long at = offset;
            if (!nextBlock(h)) break;
            if (isZero(h)) {
                write(ZEROS, ZEROS.length);
                in.transferTo(OutputStream.nullOutputStream()); // padding; read so the digest is checked
                break;
            }
            checkHeader(h, at);
            byte type = h[156];
            long size = number(h, 124, 12, at);
            if (type == 'x' || type == 'g' || type == 'L' || type == 'K') {
                if (size > MAX_EXTENSION) throw error(at, null, "extended header of " + size + " bytes");
                byte[] data = new byte[(int) size];
                readFully(data, (int) size, at, null);
                int pad = padding(size);
                byte[] padBytes = new byte[pad];
                readFully(padBytes, pad, at, null);
                if (type == 'g') {
                    // A global header applies to every member after it, so it stays even when the
                    // member it precedes is taken out; before that member's own headers is where it was.
                    write(h, BLOCK);
                    write(data, data.length);
                    write(padBytes, pad);
                    continue;
                }
                pending.write(h);
                pending.write(data);
                pending.write(padBytes);
                switch (type) {
                    case 'x' -> {
                        for (String[] kv : pax(data, at)) {
                            switch (kv[0]) {
                                case "path" -> paxPath = kv[1];
                                case "linkpath" -> paxLink = kv[1];
                                case "size" -> paxSize = parseLong(kv[1], at);
                                default -> { }
                            }
                        }
                    }
                    case 'L' -> longName = cString(data, 0, data.length);
                    default -> longLink = cString(data, 0, data.length);
                }
                continue;
            }
            String name = paxPath != null ? paxPath : longName != null ? longName : headerName(h);
            long dataSize = paxSize >= 0 ? paxSize : size;
            if (dataSize > 0 && paxSize < 0 && bodiless(type) && headerFollows()) dataSize = 0;
            EntryPath path = parse(name, at, name);
            boolean keep = true;
            if (type == '1') {
                String link = paxLink != null ? paxLink : longLink != null ? longLink : cString(h, 157, 100);
                EntryPath target = parse(link, at, name);
                if (!seen.contains(target.value())) {
                    links.add(new LinkToLower(path, target));
                    keep = false;
                }
            }
            if (keep) {
                write(pending.toByteArray(), pending.size());
                write(h, BLOCK);
                members++;
                seen.add(path.value());
            }
            copyData(dataSize, padding(dataSize), keep, at, name);
            pending.reset();
            paxPath = paxLink = longName = longLink = null;
            paxSize = -1;
        }
        if (pending.size() > 0) throw error(offset, null, "the tar ends after an extended header, with no member for it");
        return new Result(members, links, completed, unlisted(seen));
    }

    /** The parents of members that are not members themselves, parents first. */
    private static List<EntryPath> unlisted(Set<String> members) {
        Set<String> done = new HashSet<>();
        List<EntryPath> out = new ArrayList<>();
        for (String m : members) {
            if (m.isEmpty()) continue;
            EntryPath p = new EntryPath(m);
            while (!p.isRoot()) {
                p = p.parent();
                if (!done.add(p.value())) break;
                if (!members.contains(p.value())) out.add(p);
            }
        }
        out.sort(null);
        return out;
    }

    /** Old writers put the target's size on links and devices without data; a header next means there is none. */
    private static boolean bodiless(byte type) {
        return type == '1' || type == '2' || type == '3' || type == '4' || type == '5' || type == '6';
    }

    private boolean headerFollows() throws IOException {
        byte[] next = new byte[BLOCK];
        long at = offset;
        if (!nextBlock(next)) return true;
        pushedBack = next;
        offset = at;
        return isZero(next) || checksumMatches(next);
    }

    private EntryPath parse(String raw, long at, String entry) {
        try {
            return EntryPath.parse(raw);
        } catch (KilnException e) {
            throw error(at, entry, e.getMessage());
        }
    }

    /**
     * Copies a member's data and its padding. A tar that ends inside that padding, its data
     * whole, is taken and its padding completed: umoci 0.4.7's {@code insert} writes such layers,
     * and Go's archive/tar, which container runtimes use, reads them.
     */
    private void copyData(long size, int padding, boolean keep, long at, String entry) throws IOException {
        long n = size + padding;
        long left = n;
        if (pushedBack != null && left > 0) {
            if (keep) write(pushedBack, BLOCK);
            pushedBack = null;
            offset += BLOCK;
            left -= BLOCK;
        }
        while (left > 0) {
            int r = in.read(buffer, 0, (int) Math.min(buffer.length, left));
            if (r < 0) {
                if (left > padding) throw error(at, entry, "the tar ends inside this member's data (" + (left - padding) + " bytes missing)");
                if (keep) write(new byte[(int) left], (int) left);
                completed = true;
                return;
            }
            if (keep) write(buffer, r);
            left -= r;
            offset += r;
        }
    }

    private boolean nextBlock(byte[] b) throws IOException {
        if (pushedBack != null) {
            System.arraycopy(pushedBack, 0, b, 0, BLOCK);
            pushedBack = null;
            offset += BLOCK;
            return true;
        }
        int n = in.readNBytes(b, 0, BLOCK);
        if (n == 0) return false;
        if (n < BLOCK) throw error(offset, null, "truncated header: " + n + " bytes where a 512-byte header was expected");
        offset += BLOCK;
        return true;
    }

    private void readFully(byte[] b, int n, long at, String entry) throws IOException {
        int r = in.readNBytes(b, 0, n);
        if (r < n) throw error(at, entry, "the tar ends inside an extended header");
        offset += n;
    }

    private void write(byte[] b, int n) throws IOException {
        if (out != null && n > 0) out.write(b, 0, n);
    }

    private void checkHeader(byte[] h, long at) {
        if (!checksumMatches(h)) throw error(at, null, "not a tar header (its checksum does not match)");
    }

    private static boolean checksumMatches(byte[] h) {
        long stored = 0;
        int i = 148, digits = 0;
        while (i < 156 && h[i] == ' ') i++;
        for (; i < 156 && h[i] >= '0' && h[i] <= '7'; i++, digits++) stored = stored * 8 + (h[i] - '0');
        if (digits == 0) return false;
        long unsigned = 0, signed = 0;
        for (int j = 0; j < BLOCK; j++) {
            int b = j >= 148 && j < 156 ? ' ' : h[j];
            unsigned += b & 0xff;
            signed += b;
        }
        return stored == unsigned || stored == signed;
    }

    private long number(byte[] h, int off, int len, long at) {
        if ((h[off] & 0x80) != 0) {
            long v = h[off] & 0x3f;
            if ((h[off] & 0x40) != 0) throw error(at, null, "negative size");
            for (int i = off + 1; i < off + len; i++) {
                if (v > (Long.MAX_VALUE >> 8)) throw error(at, null, "size too large");
                v = (v << 8) | (h[i] & 0xff);
            }
            return v;
        }
        long v = 0;
        int i = off;
        while (i < off + len && (h[i] == ' ' || h[i] == 0)) i++;
        for (; i < off + len && h[i] >= '0' && h[i] <= '7'; i++) v = v * 8 + (h[i] - '0');
        return v;
    }

    private static String headerName(byte[] h) {
        String name = cString(h, 0, 100);
        boolean posix = h[257] == 'u' && h[258] == 's' && h[259] == 't' && h[260] == 'a' && h[261] == 'r' && h[262] == 0;
        if (posix && h[345] != 0) return cString(h, 345, 155) + "/" + name;
        return name;
    }

    private static String cString(byte[] b, int off, int len) {
        int end = off;
        while (end < off + len && b[end] != 0) end++;
        return new String(b, off, end - off, StandardCharsets.UTF_8);
    }

    /** pax records, {@code "LEN key=value\n"}. */
    private List<String[]> pax(byte[] data, long at) {
        List<String[]> out = new ArrayList<>();
        int i = 0;
        while (i < data.length && data[i] != 0) {
            int sp = i;
            long len = 0;
            while (sp < data.length && data[sp] >= '0' && data[sp] <= '9') len = len * 10 + (data[sp++] - '0');
            if (sp >= data.length || data[sp] != ' ' || len <= sp - i + 1 || i + len > data.length || data[(int) (i + len - 1)] != '\n') {
                throw error(at, null, "malformed pax record");
            }
            int eq = sp + 1;
            while (eq < i + len && data[eq] != '=') eq++;
            if (eq >= i + len) throw error(at, null, "malformed pax record (no '=')");
            out.add(new String[] {new String(data, sp + 1, eq - sp - 1, StandardCharsets.UTF_8),
                    new String(data, eq + 1, (int) (i + len - 1 - eq - 1), StandardCharsets.UTF_8)});
            i += (int) len;
        }
        return out;
    }

    private long parseLong(String s, long at) {
        try {
            long v = Long.parseLong(s.trim());
            if (v < 0) throw new NumberFormatException();
            return v;
        } catch (NumberFormatException e) {
            throw error(at, null, "pax size \"" + s + "\" is not a size");
        }
    }

    private static int padding(long size) {
        return (int) ((BLOCK - size % BLOCK) % BLOCK);
    }

    private static boolean isZero(byte[] b) {
        for (byte x : b) if (x != 0) return false;
        return true;
    }

    private OciException error(long at, String entry, String message) {
        return new OciException(what + ": offset " + at + (entry != null ? " (entry \"" + EntryPath.printable(entry) + "\")" : "") + ": " + message);
    }

}
