package dev.kiln.fs;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Optional;

/** The image and archive formats kiln reads and writes. */
public enum ImageFormat {
    CPIO, TAR, EROFS;

    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static ImageFormat parse(String s) {
        for (ImageFormat f : values()) if (f.id().equals(s.toLowerCase(Locale.ROOT))) return f;
        throw new KilnException("unknown format \"" + s + "\" (expected cpio, tar or erofs)");
    }

    /** Guesses the format from an output name: .cpio[.gz|.zst], .initrd, .tar[.*], .tgz, .erofs. */
    public static Optional<ImageFormat> fromFileName(String name) {
        String n = name.toLowerCase(Locale.ROOT);
        for (String c : new String[] {".gz", ".zst", ".xz"}) if (n.endsWith(c)) n = n.substring(0, n.length() - c.length());
        if (n.endsWith(".cpio") || n.endsWith(".initrd") || n.endsWith(".initramfs")) return Optional.of(CPIO);
        if (n.endsWith(".tar") || n.endsWith(".tgz")) return Optional.of(TAR);
        if (n.endsWith(".erofs")) return Optional.of(EROFS);
        return Optional.empty();
    }

    /** The compression implied by an output name's last extension. */
    public static Compression compressionFromFileName(String name) {
        String n = name.toLowerCase(Locale.ROOT);
        if (n.endsWith(".gz") || n.endsWith(".tgz")) return Compression.GZIP;
        if (n.endsWith(".zst")) return Compression.ZSTD;
        if (n.endsWith(".xz")) return Compression.XZ;
        return Compression.NONE;
    }

    /**
     * Recognises an image by its content (after whole-stream decompression): cpio magics
     * 070701/070702/070707, EROFS superblock magic at 1024, ustar/GNU tar magic at 257.
     */
    public static Optional<ImageFormat> detect(Path file) throws IOException {
        Compression c = Compression.detect(file);
        byte[] head;
        try (InputStream in = c.decompress(Files.newInputStream(file))) {
            head = in.readNBytes(1028);
        }
        return detect(head, head.length);
    }

    public static Optional<ImageFormat> detect(byte[] head, int len) {
        if (len >= 6 && head[0] == '0' && head[1] == '7' && head[2] == '0' && head[3] == '7' && head[4] == '0'
                && (head[5] == '1' || head[5] == '2' || head[5] == '7')) return Optional.of(CPIO);
        if (len >= 1028 && (head[1024] & 0xff) == 0xe2 && (head[1025] & 0xff) == 0xe1
                && (head[1026] & 0xff) == 0xf5 && (head[1027] & 0xff) == 0xe0) return Optional.of(EROFS);
        if (len >= 262 && head[257] == 'u' && head[258] == 's' && head[259] == 't' && head[260] == 'a' && head[261] == 'r') {
            return Optional.of(TAR);
        }
        if (len >= 512 && head[0] != 0 && tarChecksumMatches(head)) return Optional.of(TAR); // v7: no magic
        return Optional.empty();
    }

    /** Whether the first 512 bytes are a tar header by its checksum (unsigned or signed sum, as readers accept). */
    private static boolean tarChecksumMatches(byte[] h) {
        long stored = 0;
        int i = 148, digits = 0;
        while (i < 156 && h[i] == ' ') i++;
        for (; i < 156 && h[i] >= '0' && h[i] <= '7'; i++, digits++) stored = stored * 8 + (h[i] - '0');
        if (digits == 0) return false;
        long unsigned = 0, signed = 0;
        for (int j = 0; j < 512; j++) {
            int b = j >= 148 && j < 156 ? ' ' : h[j];
            unsigned += b & 0xff;
            signed += b;
        }
        return stored == unsigned || stored == signed;
    }
}
