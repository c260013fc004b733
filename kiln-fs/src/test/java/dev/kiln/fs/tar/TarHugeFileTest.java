package dev.kiln.fs.tar;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.fs.Compression;
import dev.kiln.fs.Content;
import dev.kiln.fs.EntryPath;
import dev.kiln.fs.Metadata;
import dev.kiln.fs.Node;
import dev.kiln.fs.Progress;
import dev.kiln.fs.Tree;
import java.io.InputStream;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A member of 8 GiB and more needs a pax size record. Writing 8 GiB for real would take the
 * suite's whole time budget, so the file's zeros are skipped by a channel that records only
 * the archive's own bytes, and the result is rebuilt as a sparse file for GNU tar and kiln.
 */
class TarHugeFileTest {
    static final long SIZE = (8L << 30) + 1; // one byte more than a 12-byte octal field holds
    private static final byte[] ZEROS = new byte[1 << 20];

    @TempDir Path tmp;

    @Test
    void eightGibMemberRoundTripsThroughPaxSize() throws Exception {
        Tree tree = new Tree();
        tree.put(EntryPath.parse("big"), new Node.File(Metadata.of(0644), new Zeros(SIZE)));
        tree.put(EntryPath.parse("small"), new Node.File(Metadata.of(0644), Content.of(RawTar.utf8("after"))));
        SparseChannel ch = new SparseChannel();
        new TarWriter(Compression.NONE).write(tree, ch, Progress.NONE);

        Path tar = tmp.resolve("huge.tar");
        try (RandomAccessFile f = new RandomAccessFile(tar.toFile(), "rw")) {
            f.setLength(ch.size);
            for (Chunk c : ch.chunks) {
                f.seek(c.at);
                f.write(c.bytes);
            }
        }
        assertThat(ch.size % TarFormat.RECORD).isZero();
        assertThat(new String(ch.chunks.getFirst().bytes, java.nio.charset.StandardCharsets.ISO_8859_1))
                .contains(" size=" + SIZE + "\n");

        Tree back = new TarReader().read(tar);
        assertThat(((Node.File) back.resolve(EntryPath.parse("big"))).content().size()).isEqualTo(SIZE);
        assertThat(((Node.File) back.resolve(EntryPath.parse("small"))).content().readAll()).asString().isEqualTo("after");
        try (InputStream in = ((Node.File) back.resolve(EntryPath.parse("big"))).content().open()) {
            assertThat(in.readNBytes(4096)).containsOnly(0);
        }

        String listing = TarTesting.tool("tar", null, "tar", "-tvf", tar.toString());
        assertThat(listing).contains(" " + SIZE + " ").contains("./small");
    }

    /** SIZE zero bytes, written from one shared array so the channel can recognise and skip them. */
    private record Zeros(long size) implements Content {
        public InputStream open() {
            return InputStream.nullInputStream();
        }

        @Override public void writeTo(WritableByteChannel out) throws IOException {
            for (long left = size; left > 0; ) {
                ByteBuffer b = ByteBuffer.wrap(ZEROS, 0, (int) Math.min(left, ZEROS.length));
                left -= out.write(b);
            }
        }
    }

    private record Chunk(long at, byte[] bytes) {}

    /** Keeps every write except the shared zero array's; tracks position and size. */
    private static final class SparseChannel implements SeekableByteChannel {
        final List<Chunk> chunks = new ArrayList<>();
        long position, size;

        public int write(ByteBuffer src) {
            int n = src.remaining();
            if (!(src.hasArray() && src.array() == ZEROS)) {
                byte[] b = new byte[n];
                src.get(b);
                chunks.add(new Chunk(position, b));
            } else {
                src.position(src.limit());
            }
            position += n;
            size = Math.max(size, position);
            return n;
        }

        public int read(ByteBuffer dst) { throw new UnsupportedOperationException(); }
        public long position() { return position; }
        public SeekableByteChannel position(long p) { position = p; return this; }
        public long size() { return size; }
        public SeekableByteChannel truncate(long s) { throw new UnsupportedOperationException(); }
        public boolean isOpen() { return true; }
        public void close() {}
    }
}
