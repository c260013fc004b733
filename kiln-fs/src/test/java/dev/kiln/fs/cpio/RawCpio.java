package dev.kiln.fs.cpio;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A deliberately naive newc parser and builder for tests, written apart from the reader so the
 * writer's bytes are checked by something other than its sibling, and so tests can craft broken
 * archives field by field.
 */
final class RawCpio {
    private RawCpio() {}

    record Header(String magic, long ino, long mode, long uid, long gid, long nlink, long mtime, long fileSize,
                  long devMajor, long devMinor, long rdevMajor, long rdevMinor, long nameSize, long check,
                  String name, int offset, int dataOffset) {
        byte[] data(byte[] archive) {
            return Arrays.copyOfRange(archive, dataOffset, dataOffset + (int) fileSize);
        }
    }

    /** Parses a well-formed newc/crc archive up to and including its trailer. */
    static List<Header> parse(byte[] a) {
        List<Header> out = new ArrayList<>();
        int pos = 0;
        while (true) {
            String magic = new String(a, pos, 6, StandardCharsets.US_ASCII);
            long[] f = new long[13];
            for (int i = 0; i < 13; i++) f[i] = Long.parseLong(new String(a, pos + 6 + 8 * i, 8, StandardCharsets.US_ASCII), 16);
            int nameSize = (int) f[11];
            String name = new String(a, pos + 110, nameSize - 1, StandardCharsets.UTF_8);
            int data = align4(pos + 110 + nameSize);
            Header h = new Header(magic, f[0], f[1], f[2], f[3], f[4], f[5], f[6], f[7], f[8], f[9], f[10], f[11], f[12],
                    name, pos, data);
            out.add(h);
            if (name.equals("TRAILER!!!")) return out;
            pos = align4(data + (int) h.fileSize());
        }
    }

    static int align4(int n) {
        return (n + 3) & ~3;
    }

    /** Builds archives entry by entry with any field values, valid or not. */
    static final class Builder {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();
        private String magic = "070701";

        Builder magic(String m) {
            this.magic = m;
            return this;
        }

        /** A header with every field given as raw 8-char text (to inject non-hex digits). */
        Builder rawHeader(String[] fields, byte[] name, byte[] data) {
            StringBuilder sb = new StringBuilder(magic);
            for (String f : fields) sb.append(f);
            write(sb.toString().getBytes(StandardCharsets.US_ASCII));
            write(name);
            pad();
            write(data);
            pad();
            return this;
        }

        Builder entry(String name, long mode, long ino, long nlink, byte[] data) {
            byte[] n = (name + "\0").getBytes(StandardCharsets.UTF_8);
            return entry(n, n.length, mode, ino, nlink, data.length, data);
        }

        Builder entry(byte[] nameWithNul, long nameSize, long mode, long ino, long nlink, long fileSize, byte[] data) {
            long[] v = {ino, mode, 0, 0, nlink, 1_600_000_000L, fileSize, 0, 0, 0, 0, nameSize, 0};
            String[] f = new String[13];
            for (int i = 0; i < 13; i++) f[i] = String.format("%08X", v[i]);
            return rawHeader(f, nameWithNul, data);
        }

        Builder file(String name, String content) {
            return entry(name, 0100644, 0, 1, content.getBytes(StandardCharsets.UTF_8));
        }

        Builder dir(String name) {
            return entry(name, 040755, 0, 2, new byte[0]);
        }

        Builder trailer() {
            return entry("TRAILER!!!", 0, 0, 1, new byte[0]);
        }

        Builder bytes(byte[] b) {
            write(b);
            return this;
        }

        Builder zeros(int n) {
            write(new byte[n]);
            return this;
        }

        int size() {
            return out.size();
        }

        byte[] build() {
            return out.toByteArray();
        }

        private void write(byte[] b) {
            out.write(b, 0, b.length);
        }

        private void pad() {
            while (out.size() % 4 != 0) out.write(0);
        }
    }
}
