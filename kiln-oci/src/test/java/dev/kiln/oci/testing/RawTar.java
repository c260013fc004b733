package dev.kiln.oci.testing;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Writes ustar archives member by member, exactly as told: the layers tests need that no tool
 * writes on purpose (a member named {@code ../x}, a hard link to a file of a lower layer, OCI
 * whiteouts). Owners, modes and times are the caller's.
 */
public final class RawTar {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private long mtime = 1_700_000_000L;

    public RawTar mtime(long seconds) {
        mtime = seconds;
        return this;
    }

    public RawTar dir(String name, int mode, int uid, int gid) {
        return member(name.endsWith("/") ? name : name + "/", '5', mode, uid, gid, "", new byte[0]);
    }

    public RawTar dir(String name) {
        return dir(name, 0755, 0, 0);
    }

    public RawTar file(String name, String text) {
        return file(name, text.getBytes(StandardCharsets.UTF_8), 0644, 0, 0);
    }

    public RawTar file(String name, byte[] data, int mode, int uid, int gid) {
        return member(name, '0', mode, uid, gid, "", data);
    }

    public RawTar symlink(String name, String target) {
        return member(name, '2', 0777, 0, 0, target, new byte[0]);
    }

    public RawTar hardLink(String name, String target) {
        return member(name, '1', 0644, 0, 0, target, new byte[0]);
    }

    /** A pax global header ('g') with one record, which applies to every member after it. */
    public RawTar paxGlobal(String key, String value) {
        String body = " " + key + "=" + value + "\n";
        int len = body.length() + 1;
        while (String.valueOf(len).length() + body.length() != len) len++;
        return member("pax_global_header", 'g', 0644, 0, 0, "", (len + body).getBytes(StandardCharsets.UTF_8));
    }

    /** An OCI whiteout: {@code DIR/.wh.NAME} deletes {@code DIR/NAME} of lower layers. */
    public RawTar whiteout(String path) {
        int slash = path.lastIndexOf('/');
        return file(path.substring(0, slash + 1) + ".wh." + path.substring(slash + 1), new byte[0], 0, 0, 0);
    }

    /** {@code DIR/.wh..wh..opq}: hides everything lower layers have in DIR. */
    public RawTar opaque(String dir) {
        return file(dir + "/.wh..wh..opq", new byte[0], 0, 0, 0);
    }

    public byte[] bytes() {
        ByteArrayOutputStream done = new ByteArrayOutputStream();
        done.writeBytes(out.toByteArray());
        done.writeBytes(new byte[1024]);
        return done.toByteArray();
    }

    private RawTar member(String name, char type, int mode, int uid, int gid, String link, byte[] data) {
        byte[] h = new byte[512];
        byte[] n = name.getBytes(StandardCharsets.UTF_8);
        if (n.length > 100) throw new IllegalArgumentException("name too long for this writer: " + name);
        System.arraycopy(n, 0, h, 0, n.length);
        octal(h, 100, 8, mode);
        octal(h, 108, 8, uid);
        octal(h, 116, 8, gid);
        octal(h, 124, 12, data.length);
        octal(h, 136, 12, mtime);
        h[156] = (byte) type;
        byte[] l = link.getBytes(StandardCharsets.UTF_8);
        System.arraycopy(l, 0, h, 157, l.length);
        System.arraycopy("ustar\u000000".getBytes(StandardCharsets.US_ASCII), 0, h, 257, 8);
        for (int i = 148; i < 156; i++) h[i] = ' ';
        long sum = 0;
        for (byte b : h) sum += b & 0xff;
        octal(h, 148, 7, sum);
        out.writeBytes(h);
        out.writeBytes(data);
        out.writeBytes(new byte[(512 - data.length % 512) % 512]);
        return this;
    }

    private static void octal(byte[] h, int off, int len, long v) {
        String s = Long.toOctalString(v);
        s = "0".repeat(len - 1 - s.length()) + s;
        System.arraycopy(s.getBytes(StandardCharsets.US_ASCII), 0, h, off, len - 1);
    }
}
