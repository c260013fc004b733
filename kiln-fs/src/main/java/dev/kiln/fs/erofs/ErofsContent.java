package dev.kiln.fs.erofs;

import dev.kiln.fs.Content;
import dev.kiln.fs.FormatException;
import dev.kiln.fs.erofs.format.ChunkIndex;
import dev.kiln.fs.erofs.format.Erofs;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * The bytes of an EROFS inode, decoded only when opened. The tree keeps one of these per file
 * (a few fields, never the data or its block list), and {@link #open()} streams the file extent by
 * extent from a channel of its own, so the tree outlives the reader that built it.
 */
abstract class ErofsContent implements Content {
    final Path image;
    final String name;
    final long nid;
    final long size;

    ErofsContent(Path image, String name, long nid, long size) {
        this.image = image;
        this.name = name;
        this.nid = nid;
        this.size = size;
    }

    @Override
    public final long size() {
        return size;
    }

    @Override
    public final InputStream open() throws IOException {
        FileChannel ch = FileChannel.open(image, StandardOpenOption.READ);
        try {
            return stream(ch);
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
    }

    /** A stream over the decoded bytes; it owns {@code ch} and closes it. */
    abstract Stream stream(FileChannel ch) throws IOException;

    FormatException error(String problem) {
        return new FormatException(name + ": nid " + nid + ": " + problem);
    }

    @Override
    public String toString() {
        return name + ":nid " + nid;
    }

    /**
     * Hands out the file's bytes in pieces produced by {@link #refill()} and checks that exactly
     * {@code size} bytes come out, so a mapping that ends early or runs long is an error.
     */
    abstract class Stream extends InputStream {
        final FileChannel ch;
        byte[] buf = new byte[0];
        int pos, limit;
        long remaining = size;
        private final byte[] one = new byte[1];

        Stream(FileChannel ch) {
            this.ch = ch;
        }

        /** Makes {@code buf[pos, limit)} the next non-empty piece; only called while bytes remain. */
        abstract void refill() throws IOException;

        @Override
        public int read() throws IOException {
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xFF;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            java.util.Objects.checkFromIndexSize(off, len, b.length);
            if (remaining == 0) return -1;
            if (len == 0) return 0;
            if (pos == limit) {
                refill();
                if (limit - pos <= 0) throw error("data mapping produced no bytes with " + remaining + " left");
                if (limit - pos > remaining) throw error("data mapping runs " + (limit - pos - remaining) + " bytes past the file size");
            }
            int n = (int) Math.min(Math.min(len, limit - pos), remaining);
            System.arraycopy(buf, pos, b, off, n);
            pos += n;
            remaining -= n;
            return n;
        }

        /**
         * Skips without copying: buffered bytes first, then whatever {@link #skipUnbuffered}
         * can pass over without decoding (segments by arithmetic, compressed extents by their
         * index), so reading the tail of a large file does not cost reading all of it.
         */
        @Override
        public long skip(long n) throws IOException {
            if (n <= 0 || remaining == 0) return 0;
            long want = Math.min(n, remaining);
            int fromBuf = (int) Math.min(limit - pos, want);
            pos += fromBuf;
            remaining -= fromBuf;
            if (fromBuf == want) return want;
            long more = skipUnbuffered(want - fromBuf);
            remaining -= more;
            return fromBuf + more;
        }

        /**
         * Skips {@code n} bytes (at most what remains) with the buffer empty, and returns how many
         * were skipped. An implementation may leave a partly consumed piece in {@code buf}.
         */
        long skipUnbuffered(long n) throws IOException {
            long done = 0;
            while (done < n) {
                refill();
                int piece = limit - pos;
                if (piece <= 0 || piece > remaining - done) throw error("data mapping does not match the file size");
                int k = (int) Math.min(piece, n - done);
                pos += k;
                done += k;
            }
            return done;
        }

        @Override
        public void close() throws IOException {
            ch.close();
        }

        void readAt(long at, byte[] into, int off, int len) throws IOException {
            ErofsReaderImage.readFully(ch, at, into, off, len, name);
        }
    }

    /**
     * Files made of raw ranges of the image and holes: FLAT_INLINE (blocks plus an inline tail),
     * all-hole FLAT_PLAIN and CHUNK_BASED files. Subclasses yield the ranges one by one.
     */
    abstract static class Segmented extends ErofsContent {
        Segmented(Path image, String name, long nid, long size) {
            super(image, name, nid, size);
        }

        abstract class SegmentStream extends Stream {
            long segPos; // -1: a hole
            long segLeft;

            SegmentStream(FileChannel ch) {
                super(ch);
                buf = new byte[(int) Math.min(1 << 16, Math.max(1, size))];
            }

            /** Sets {@code segPos}/{@code segLeft} to the next segment (already range-checked). */
            abstract void nextSegment() throws IOException;

            @Override
            long skipUnbuffered(long n) throws IOException {
                long done = 0;
                while (done < n) {
                    if (segLeft == 0) {
                        nextSegment();
                        if (segLeft <= 0) throw error("empty data segment");
                    }
                    long k = Math.min(segLeft, n - done);
                    if (segPos >= 0) segPos += k;
                    segLeft -= k;
                    done += k;
                }
                return done;
            }

            @Override
            void refill() throws IOException {
                if (segLeft == 0) {
                    nextSegment();
                    if (segLeft <= 0) throw error("empty data segment");
                }
                int n = (int) Math.min(buf.length, Math.min(segLeft, remaining));
                if (segPos < 0) {
                    java.util.Arrays.fill(buf, 0, n, (byte) 0);
                } else {
                    readAt(segPos, buf, 0, n);
                    segPos += n;
                }
                segLeft -= n;
                pos = 0;
                limit = n;
            }
        }
    }

    /** Up to a few fixed segments: blocks and an inline tail, or a hole. */
    static final class Fixed extends Segmented {
        private final long[] positions, lengths;

        Fixed(Path image, String name, long nid, long size, long[] positions, long[] lengths) {
            super(image, name, nid, size);
            this.positions = positions;
            this.lengths = lengths;
        }

        @Override
        Stream stream(FileChannel ch) {
            return new SegmentStream(ch) {
                int next;

                @Override
                void nextSegment() {
                    if (next >= positions.length) throw error("data ends before the file size");
                    segPos = positions[next];
                    segLeft = lengths[next];
                    next++;
                }
            };
        }
    }

    /** CHUNK_BASED: a table of block addresses (4-byte block map or 8-byte indexes), one per chunk. */
    static final class Chunked extends Segmented {
        private final long imageSize;
        private final long indexPos;
        private final int unit;
        private final int blkszbits;
        private final int chunkSizeBits;
        private final long count;

        Chunked(Path image, String name, long nid, long size, long imageSize, long indexPos, int unit, int blkszbits, int chunkSizeBits) {
            super(image, name, nid, size);
            this.imageSize = imageSize;
            this.indexPos = indexPos;
            this.unit = unit;
            this.blkszbits = blkszbits;
            this.chunkSizeBits = chunkSizeBits;
            this.count = ((size - 1) >>> chunkSizeBits) + 1;
        }

        /** Where the chunk table starts in the image. */
        long indexPos() {
            return indexPos;
        }

        /** Bytes per chunk table entry: 4 (block map) or 8 (chunk indexes). */
        int unit() {
            return unit;
        }

        @Override
        Stream stream(FileChannel ch) {
            return new SegmentStream(ch) {
                long chunk;
                final byte[] table = new byte[4096];
                final ByteBuffer tableBuf = Erofs.littleEndian(table);
                long tableStart = -1, tableEnd = -1;

                @Override
                void nextSegment() throws IOException {
                    if (chunk >= count) throw error("chunk table ends before the file size");
                    long at = indexPos + chunk * unit;
                    if (at < tableStart || at + unit > tableEnd) {
                        int n = (int) Math.min(table.length, indexPos + count * unit - at);
                        readAt(at, table, 0, n);
                        tableStart = at;
                        tableEnd = at + n;
                    }
                    int o = (int) (at - tableStart);
                    int startBlk;
                    if (unit == ChunkIndex.BLOCK_MAP_ENTRY_SIZE) {
                        startBlk = ChunkIndex.decodeBlockMap(tableBuf, o);
                    } else {
                        ChunkIndex index = ChunkIndex.decode(tableBuf, o);
                        if (index.deviceId() != 0) {
                            throw error("chunk " + chunk + " lives on device " + index.deviceId() + " (multi-device images are not supported)");
                        }
                        startBlk = index.startBlk();
                    }
                    long start = chunk << chunkSizeBits;
                    long len = Math.min(size - start, 1L << chunkSizeBits);
                    if (startBlk == Erofs.NULL_ADDR) {
                        segPos = -1;
                    } else {
                        long blk = Integer.toUnsignedLong(startBlk);
                        long p = blk << blkszbits;
                        if (p + len > imageSize) {
                            throw error("chunk " + chunk + " (block " + blk + ", " + len + " bytes) runs past the end of the image");
                        }
                        segPos = p;
                    }
                    segLeft = len;
                    chunk++;
                }
            };
        }
    }

    /** A file stored whole in the packed inode (fragments): a window of that inode's bytes. */
    static final class Fragment extends ErofsContent {
        private final Content packed;
        private final long offset;

        Fragment(Path image, String name, long nid, long size, Content packed, long offset) {
            super(image, name, nid, size);
            this.packed = packed;
            this.offset = offset;
        }

        @Override
        Stream stream(FileChannel ch) throws IOException {
            InputStream in = packed.open();
            try {
                in.skipNBytes(offset);
            } catch (java.io.EOFException e) {
                in.close();
                throw error("fragment offset " + offset + " lies past the end of the packed inode");
            }
            return new Stream(ch) {
                {
                    buf = new byte[(int) Math.min(1 << 16, Math.max(1, size))];
                }

                @Override
                void refill() throws IOException {
                    int n = in.read(buf, 0, (int) Math.min(buf.length, remaining));
                    if (n <= 0) throw error("packed inode ends inside this file's fragment");
                    pos = 0;
                    limit = n;
                }

                @Override
                public void close() throws IOException {
                    try {
                        in.close();
                    } finally {
                        super.close();
                    }
                }
            };
        }
    }
}
