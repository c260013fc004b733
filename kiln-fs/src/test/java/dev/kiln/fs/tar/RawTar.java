package dev.kiln.fs.tar;

import static dev.kiln.fs.tar.TarFormat.*;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/** Test-only: assembles archives block by block, including ones no sane writer produces. */
final class RawTar {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    /** A ustar header with a correct checksum. */
    static byte[] header(byte[] name, char type, long size, byte[] link) {
        byte[] h = new byte[BLOCK];
        System.arraycopy(name, 0, h, NAME, Math.min(name.length, NAME_LEN));
        TarWriter.putOctal(h, MODE, MODE_LEN, 0644);
        TarWriter.putOctal(h, UID, UID_LEN, 0);
        TarWriter.putOctal(h, GID, GID_LEN, 0);
        TarWriter.putOctal(h, SIZE, SIZE_LEN, size);
        TarWriter.putOctal(h, MTIME, MTIME_LEN, 1_600_000_000L);
        h[TYPEFLAG] = (byte) type;
        if (link != null) System.arraycopy(link, 0, h, LINKNAME, Math.min(link.length, LINKNAME_LEN));
        System.arraycopy(MAGIC_USTAR, 0, h, MAGIC, MAGIC_LEN);
        System.arraycopy(VERSION_USTAR, 0, h, VERSION, VERSION_LEN);
        return checksum(h);
    }

    static byte[] header(String name, char type, long size) {
        return header(utf8(name), type, size, null);
    }

    /** Recomputes the checksum after a test edited the header. */
    static byte[] checksum(byte[] h) {
        String s = String.format("%06o", unsignedChecksum(h));
        for (int i = 0; i < 6; i++) h[CHKSUM + i] = (byte) s.charAt(i);
        h[CHKSUM + 6] = 0;
        h[CHKSUM + 7] = ' ';
        return h;
    }

    /** A pax record with a correct length prefix. */
    static byte[] paxRecord(String key, byte[] value) {
        byte[] k = utf8(key);
        int rest = 1 + k.length + 1 + value.length + 1;
        int len = rest + String.valueOf(rest).length();
        if (String.valueOf(len).length() != String.valueOf(rest).length()) len++;
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        b.writeBytes(utf8(len + " "));
        b.writeBytes(k);
        b.write('=');
        b.writeBytes(value);
        b.write('\n');
        return b.toByteArray();
    }

    RawTar block(byte[] header) {
        out.writeBytes(header);
        return this;
    }

    RawTar file(String name, String content) {
        byte[] c = utf8(content);
        return block(header(name, '0', c.length)).data(c);
    }

    RawTar pax(char type, byte[]... records) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        for (byte[] r : records) b.writeBytes(r);
        return block(header(utf8("PaxHeaders/x"), type, b.size(), null)).data(b.toByteArray());
    }

    /** Data padded to whole blocks. */
    RawTar data(byte[] d) {
        out.writeBytes(d);
        out.writeBytes(new byte[(int) padding(d.length)]);
        return this;
    }

    RawTar raw(byte[] d) {
        out.writeBytes(d);
        return this;
    }

    RawTar end() {
        out.writeBytes(new byte[2 * BLOCK]);
        return this;
    }

    int size() {
        return out.size();
    }

    byte[] bytes() {
        return out.toByteArray();
    }

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
