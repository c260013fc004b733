package dev.kiln.fs.erofs;

import static dev.kiln.fs.erofs.format.Erofs.BLOCK_SIZE;

import dev.kiln.fs.Content;
import dev.kiln.fs.EntryPath;
import dev.kiln.fs.KilnException;
import java.io.IOException;
import java.io.InputStream;
import java.io.RandomAccessFile;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.zip.CRC32;

/**
 * Streams uncompressed file data (FLAT_PLAIN / FLAT_INLINE, reference §3.1–3.2) into the image:
 * whole blocks go straight from the source to their place (host files with
 * {@link FileChannel#transferTo}, so the bytes never enter the Java heap), and the last partial
 * block is either handed back as the inline tail or written zero-padded to a full block.
 * Between {@link #startDirect} and {@link #endDirect} the writes go with direct I/O instead
 * ({@link DirectOut}), and host files are read into its buffer.
 */
final class DataWriter implements AutoCloseable {
    private final SeekableByteChannel out;
    private final byte[] buf = new byte[1 << 16];
    private final byte[] block = new byte[BLOCK_SIZE];
    /** Direct I/O to the file {@code out} writes; null: writes go through {@code out}. */
    private DirectOut direct;

    DataWriter(SeekableByteChannel out) {
        this.out = out;
    }

    /**
     * Writes from here on with direct I/O to {@code file}, the file {@code out} writes, where its
     * file system allows (null: never). Returns whether it does. Every block written from here to
     * {@link #endDirect} must be this writer's alone: the last one is zero-padded.
     */
    boolean startDirect(Path file) {
        if (direct == null && file != null) direct = DirectOut.open(file);
        return direct != null;
    }

    /** Writes what direct I/O still holds; later writes go through the channel again. */
    void endDirect() throws IOException {
        if (direct == null) return;
        try (DirectOut d = direct) {
            direct = null;
            d.flush();
        }
    }

    /** Drops what direct I/O still holds, for a build that failed. */
    @Override
    public void close() {
        if (direct != null) direct.close();
        direct = null;
    }

    /**
     * Writes {@code content} at block {@code startBlock}: {@code fullBlocks} whole blocks, then the
     * remaining bytes. Returns those remaining bytes when {@code inlineTail} (they belong to the
     * inode), else writes them as one zero-padded block and returns null. {@code sum}, if given,
     * receives what goes to the data area, except from host files, whose bytes never pass through
     * here (see {@link DataDigest}). {@code where} names the file in messages (an inode or a path).
     */
    byte[] write(Content content, long size, long startBlock, boolean inlineTail, Object where, CRC32 sum)
            throws IOException {
        long full = inlineTail ? size / BLOCK_SIZE * BLOCK_SIZE : size;
        int tailLen = (int) (size - full);
        long pos = startBlock * BLOCK_SIZE;
        byte[] tail = new byte[tailLen];
        switch (content) {
            case Content.Bytes b -> {
                if (b.data().length != size) throw changed(where, size, b.data().length);
                writeFully(ByteBuffer.wrap(b.data(), 0, (int) full), pos);
                if (sum != null) sum.update(b.data(), 0, (int) full);
                System.arraycopy(b.data(), (int) full, tail, 0, tailLen);
            }
            case Content.Slice s -> {
                try (FileChannel ch = s.openChannel()) {
                    if (full > 0 && direct != null && direct.accepts(pos)) {
                        readDirect(ch, s, full, pos, where, size);
                    } else if (full > 0) {
                        out.position(pos);
                        long done = 0;
                        while (done < full) {
                            long n = ch.transferTo(s.offset() + done, full - done, out);
                            if (n <= 0) {
                                // Some channels transfer nothing; copy through the heap instead.
                                ByteBuffer bb = ByteBuffer.wrap(buf, 0, (int) Math.min(buf.length, full - done));
                                int r = ch.read(bb, s.offset() + done);
                                if (r <= 0) throw changed(where, size, s.offset() + done);
                                bb.flip();
                                writeFully(bb, pos + done);
                                out.position(pos + done + r);
                                n = r;
                            }
                            done += n;
                        }
                    }
                    readTail(ch, s, full, tail, where);
                }
            }
            default -> {
                try (InputStream in = content.open()) {
                    long done = 0;
                    while (done < full) {
                        int n = in.readNBytes(buf, 0, (int) Math.min(buf.length, full - done));
                        if (n <= 0) throw changed(where, size, done);
                        writeFully(ByteBuffer.wrap(buf, 0, n), pos + done);
                        if (sum != null) sum.update(buf, 0, n);
                        done += n;
                    }
                    if (in.readNBytes(tail, 0, tailLen) != tailLen) throw changed(where, size, full);
                }
            }
        }
        if (inlineTail) return tail;
        padLastBlock(pos, size);
        return null;
    }

    /** Reads {@code full} bytes of {@code s} straight into the direct buffer, bound for {@code pos}. */
    private void readDirect(FileChannel ch, Content.Slice s, long full, long pos, Object where, long size) throws IOException {
        long done = 0;
        while (done < full) {
            MemorySegment room = direct.room(pos + done);
            ByteBuffer bb = room.asSlice(0, Math.min(room.byteSize(), full - done)).asByteBuffer();
            int n = ch.read(bb, s.offset() + done);
            if (n <= 0) throw changed(where, size, s.offset() + done);
            direct.filled(n);
            done += n;
        }
    }

    /**
     * Reads the bytes of a file that lives entirely in its inode (smaller than a block) into
     * {@code buf} (at least {@code size + 1} long) and returns the array holding them at
     * {@code [0, size)}: {@code buf}, or the content's own array when it is already in memory.
     * Thread safe for distinct buffers: the writer reads these on several threads, since they
     * need no data blocks.
     */
    static byte[] readSmall(Content content, int size, Object where, byte[] buf) throws IOException {
        switch (content) {
            case Content.Bytes b -> {
                if (b.data().length != size) throw changed(where, size, b.data().length);
                return b.data();
            }
            case Content.Slice s -> {
                // RandomAccessFile opens faster than a FileChannel, which counts with 100 000 files.
                try (RandomAccessFile f = new RandomAccessFile(s.file().toFile(), "r")) {
                    if (s.offset() > 0) f.seek(s.offset());
                    // One byte more than expected: the same read notices a file that grew.
                    int want = size + (s.wholeFile() ? 1 : 0);
                    int got = 0;
                    while (got < want) {
                        int n = f.read(buf, got, want - got);
                        if (n <= 0) break;
                        got += n;
                        if (got == size) break; // the expected end of file: skip the extra read
                    }
                    if (got != size) throw changed(where, size, s.wholeFile() ? Math.max(got, f.length()) : got);
                }
            }
            default -> {
                try (InputStream in = content.open()) {
                    int n = in.readNBytes(buf, 0, size);
                    if (n != size) throw changed(where, size, n);
                }
            }
        }
        return buf;
    }

    /**
     * Reads {@code tail.length} bytes at {@code full} of the slice. For a whole host file one
     * byte more is asked for, so the same read that fetches the tail also notices a file that
     * grew since it was listed, without another system call for its size.
     */
    private static void readTail(FileChannel ch, Content.Slice s, long full, byte[] tail, Object where) throws IOException {
        int want = tail.length + (s.wholeFile() ? 1 : 0);
        if (want == 0) return;
        ByteBuffer tb = ByteBuffer.wrap(want == tail.length ? tail : new byte[want]);
        while (tb.hasRemaining()) {
            int n = ch.read(tb, s.offset() + full + tb.position());
            // Stop at end of file, or when all that is missing is the probe byte: the expected case.
            if (n <= 0 || tb.position() == tail.length) break;
        }
        long got = full + tb.position();
        long size = full + tail.length;
        if (got != size) throw changed(where, size, s.wholeFile() ? Math.max(got, ch.size()) : got);
        if (tb.array() != tail) System.arraycopy(tb.array(), 0, tail, 0, tail.length);
    }

    /** Like {@link #write} for data already in memory: {@code src[off, off+size)}. */
    byte[] write(byte[] src, int off, int size, long startBlock, boolean inlineTail, CRC32 sum) throws IOException {
        int full = inlineTail ? size / BLOCK_SIZE * BLOCK_SIZE : size;
        long pos = startBlock * BLOCK_SIZE;
        if (full > 0) writeFully(ByteBuffer.wrap(src, off, full), pos);
        if (sum != null) sum.update(src, off, full);
        if (inlineTail) return java.util.Arrays.copyOfRange(src, off + full, off + size);
        padLastBlock(pos, size);
        return null;
    }

    /** Zero-fills the unused end of the last block so no stale bytes stay in the image. */
    private void padLastBlock(long pos, long size) throws IOException {
        int used = (int) (size % BLOCK_SIZE);
        if (used == 0) return;
        writeFully(ByteBuffer.wrap(block, 0, BLOCK_SIZE - used), pos + size);
    }

    /** Writes whole zero-padded blocks from {@code src[off, off+len)} at {@code pos}. */
    void writeBlocks(byte[] src, int off, int len, long pos) throws IOException {
        writeFully(ByteBuffer.wrap(src, off, len), pos);
        padLastBlock(pos, len);
    }

    void writeFully(ByteBuffer b, long pos) throws IOException {
        if (direct != null) {
            if (direct.accepts(pos)) {
                direct.put(MemorySegment.ofBuffer(b), pos);
                b.position(b.limit());
                return;
            }
            direct.flush(); // not a run of whole blocks: the channel writes it, after what is buffered
        }
        out.position(pos);
        while (b.hasRemaining()) out.write(b);
    }

    /**
     * For the message about a file that grew: a host file's size now (not following a symlink),
     * or {@code atLeast} when that cannot be had or is less.
     */
    static long sizeNow(Content content, long atLeast) {
        if (!(content instanceof Content.Slice s)) return atLeast;
        try {
            return Math.max(atLeast, Files.readAttributes(s.file(), BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).size());
        } catch (IOException e) {
            return atLeast;
        }
    }

    /** The error for a file whose size is not what the tree said; the other readers of file data use it too. */
    static KilnException changed(Object where, long expected, long actual) {
        return new KilnException(where + ": file changed while building the image (expected " + expected + " bytes, found " + actual + ")");
    }
}
