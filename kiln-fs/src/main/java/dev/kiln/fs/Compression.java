package dev.kiln.fs;

import com.github.luben.zstd.ZstdInputStream;
import com.github.luben.zstd.ZstdOutputStream;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;
import org.tukaani.xz.XZInputStream;
import org.tukaani.xz.XZOutputStream;
import org.tukaani.xz.LZMA2Options;

/** Whole-stream compression around archives (cpio initrds for Linux, tar layers). */
public enum Compression {
    NONE(""), GZIP(".gz"), ZSTD(".zst"), XZ(".xz");

    private final String suffix;

    Compression(String suffix) {
        this.suffix = suffix;
    }

    public String suffix() {
        return suffix;
    }

    /** Parses a --compress value: none, gzip (gz), zstd (zst), xz. */
    public static Compression parse(String s) {
        return switch (s.toLowerCase(java.util.Locale.ROOT)) {
            case "none", "" -> NONE;
            case "gzip", "gz" -> GZIP;
            case "zstd", "zst" -> ZSTD;
            case "xz" -> XZ;
            default -> throw new KilnException("unknown compression \"" + s + "\" (expected none, gzip, zstd or xz)");
        };
    }

    /** Recognises compressed streams by their magic bytes. */
    public static Compression detect(byte[] head, int len) {
        if (len >= 2 && (head[0] & 0xff) == 0x1f && (head[1] & 0xff) == 0x8b) return GZIP;
        if (len >= 4 && (head[0] & 0xff) == 0x28 && (head[1] & 0xff) == 0xb5 && (head[2] & 0xff) == 0x2f && (head[3] & 0xff) == 0xfd) return ZSTD;
        if (len >= 6 && (head[0] & 0xff) == 0xfd && head[1] == '7' && head[2] == 'z' && head[3] == 'X' && head[4] == 'Z' && head[5] == 0) return XZ;
        return NONE;
    }

    public static Compression detect(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            byte[] head = in.readNBytes(6);
            return detect(head, head.length);
        }
    }

    public InputStream decompress(InputStream in) throws IOException {
        return switch (this) {
            case NONE -> in;
            case GZIP -> new GZIPInputStream(in, 1 << 16);
            case ZSTD -> new BufferedInputStream(new ZstdInputStream(in), 1 << 16);
            case XZ -> new XZInputStream(new BufferedInputStream(in, 1 << 16));
        };
    }

    /**
     * Wraps {@code out}. Output is deterministic: gzip has mtime 0 and no name, zstd and xz
     * are single-threaded with fixed levels.
     */
    public OutputStream compress(OutputStream out) throws IOException {
        return switch (this) {
            case NONE -> out;
            case GZIP -> new GZIPOutputStream(out, 1 << 16);
            case ZSTD -> {
                // Level 9: most of level 19's ratio on initrds at several times its speed.
                ZstdOutputStream z = new ZstdOutputStream(out, 9);
                z.setChecksum(true);
                yield z;
            }
            case XZ -> new XZOutputStream(out, new LZMA2Options(6), org.tukaani.xz.XZ.CHECK_CRC32);
        };
    }
}
