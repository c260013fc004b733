package dev.kiln.fs.erofs;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.util.Arrays;

/**
 * Writes a run of metadata blocks in big chunks: inodes arrive in increasing position, are
 * copied into a zero-filled chunk buffer, and each full chunk goes out in one write (and, as a
 * checksum, into the digest that names the image), so metadata costs a few hundred writes, not
 * one per inode.
 */
final class MetadataStream {
    private static final int CHUNK = 1 << 20;

    private final DataWriter out;
    private final long end;
    private final MessageDigest digest;
    private final byte[] chunk;
    private final java.util.zip.CRC32 crc = new java.util.zip.CRC32();
    private long chunkStart;
    /** Chunk bytes from here on are stale and must be zeroed before they go out. */
    private int clean;

    /** Covers image bytes {@code [start, end)}; both block-aligned. */
    MetadataStream(DataWriter out, long start, long end, MessageDigest digest) {
        this.out = out;
        this.chunkStart = start;
        this.end = end;
        this.digest = digest;
        // No bigger than the run: a server builds thousands of small images (inline ROMs) whose
        // metadata is a block or two, and a fresh 1 MiB array each went to the old generation.
        // The chunks' bounds, and so the image's name, are the same as with full-size chunks.
        this.chunk = new byte[(int) Math.max(1, Math.min(CHUNK, end - start))];
    }

    void put(long pos, byte[] src, int off, int len) throws IOException {
        if (pos < chunkStart) throw new IllegalStateException("metadata out of order at " + pos);
        while (len > 0) {
            while (pos >= chunkStart + chunk.length) flush();
            int at = (int) (pos - chunkStart);
            int n = Math.min(len, chunk.length - at);
            // Only the gaps between inodes need zeroes: filling whole chunks cost more than the
            // copying (the code runs at C1's first tier, which does not vectorize fills).
            if (at > clean) Arrays.fill(chunk, clean, at, (byte) 0);
            System.arraycopy(src, off, chunk, at, n);
            clean = Math.max(clean, at + n);
            pos += n;
            off += n;
            len -= n;
        }
    }

    private void flush() throws IOException {
        int n = (int) Math.min(chunk.length, end - chunkStart);
        if (n > 0) {
            if (n > clean) Arrays.fill(chunk, clean, n, (byte) 0);
            out.writeFully(ByteBuffer.wrap(chunk, 0, n), chunkStart);
            // The image's name comes from its content; a hardware CRC per chunk, hashed together,
            // keeps that cheap even when inline file tails make the metadata large (CRC32: see
            // DataDigest for why not CRC32C).
            crc.reset();
            crc.update(chunk, 0, n);
            long v = crc.getValue();
            for (int i = 0; i < 4; i++) digest.update((byte) (v >>> (8 * i)));
        }
        clean = 0;
        chunkStart += chunk.length;
    }

    /** Writes the remaining chunks up to the end, zero-filled where nothing was placed. */
    void finish() throws IOException {
        while (chunkStart < end) flush();
    }
}
