package dev.kiln.fs.cpio;

import dev.kiln.fs.Compression;
import dev.kiln.fs.Content;
import dev.kiln.fs.Entry;
import dev.kiln.fs.EntryPath;
import dev.kiln.fs.io.ImageWriter;
import dev.kiln.fs.KilnException;
import dev.kiln.fs.Metadata;
import dev.kiln.fs.Node;
import dev.kiln.fs.Progress;
import dev.kiln.fs.Tree;
import dev.kiln.fs.host.DirectoryReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.util.concurrent.Future;
import dev.kiln.fs.io.FileFeed;
import dev.kiln.fs.io.Workers;
import java.nio.channels.SeekableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ArrayBlockingQueue;

/**
 * Writes SVR4 newc ({@code 070701}) or crc ({@code 070702}) archives, the format both Linux's
 * initramfs unpacker and Unikraft's ukcpio read.
 *
 * <p>Output depends only on the tree: entries in {@link Tree#entries()} order (parents before
 * children, siblings by UTF-8 bytes), inode numbers counted from 1 in that order, device
 * numbers of the archive itself zero, directory link counts computed as 2 + subdirectories.
 *
 * <p>Names are written relative and without a "./" prefix ("etc/passwd"), the root as ".". That
 * is what the kernel's own {@code usr/gen_init_cpio} emits; Linux, GNU cpio, bsdtar and Unikraft
 * all place such names under the extraction root, and the bytes in the archive are then exactly
 * the tree's path, which keeps listings and diffs of the archive free of a cosmetic prefix.
 */
public final class CpioWriter implements ImageWriter {
    /**
     * @param crc            write 070702 headers with the data checksum instead of 070701
     * @param copyHardLinks  write every link of a hard-link group as an independent full copy
     *                       (Unikraft before Aug 2025 cannot link); otherwise the newc convention
     *                       (shared ino and nlink, data on the last link)
     * @param compression    whole-archive compression (Linux initramfs reads gzip and zstd)
     */
    public record Options(boolean crc, boolean copyHardLinks, Compression compression) {
        public static Options defaults() {
            return new Options(false, false, Compression.NONE);
        }
    }

    private final Options options;

    public CpioWriter(Options options) {
        this.options = Objects.requireNonNull(options, "options");
    }

    @Override
    public void write(Tree tree, dev.kiln.fs.io.Output o, FileFeed fed) throws IOException {
        Compression c = options.compression() == null ? Compression.NONE : options.compression();
        SeekableByteChannel out = o.channel();
        if (c == Compression.NONE) {
            new Session(options, out, null, o.progress(), o.workers()).write(tree);
        } else {
            // The compressor must be finished (zstd and xz only end their frame on close) without
            // closing the caller's channel, which it owns.
            try (OutputStream compressor = c.compress(new UnclosableChannelStream(out))) {
                new Session(options, null, compressor, o.progress(), o.workers()).write(tree);
            }
        }
    }

    /** All state of one write; a writer object is reusable and thread-safe because it holds none. */
    private static final class Session {
        /** Files up to this size are read straight into the output buffer, saving a flush per file. */
        private static final int SMALL_FILE = 256 * 1024;
        private static final int BUFFER_SIZE = 1024 * 1024;
        private static final byte[] HEX = "0123456789ABCDEF".getBytes(StandardCharsets.US_ASCII);
        private static final byte[] ROOT_NAME = {'.'};
        private static final byte[] ZEROS = new byte[CpioFormat.BLOCK_SIZE];

        private final Options options;
        private final byte[] magic;
        private final Progress progress;
        private final Output output;
        /** Headers and small files collect here until the buffer goes to {@link #output}. */
        private ByteBuffer buf;
        /** One header plus the longest name, assembled before it is copied into {@link #buf}. */
        private final byte[] header = new byte[CpioFormat.NEWC_HEADER_SIZE + CpioFormat.MAX_NAME_SIZE + 4];
        /** Bytes of archive produced so far, for the final block padding. */
        private long position;
        private long nextIno = 1;

        /** A hard-link group still waiting for some of its links, keyed by its first path. */
        private static final class Group {
            final Node node;
            final long ino;
            final int links;
            int remaining;

            Group(Node node, long ino, int links) {
                this.node = node;
                this.ino = ino;
                this.links = links;
                this.remaining = links - 1;
            }
        }

        private final Map<EntryPath, Group> groups = new HashMap<>();
        /** Opens small walked files relative to their directory (session thread only). */
        private final DirectoryReader dirs = new DirectoryReader();

        Session(Options options, WritableByteChannel file, OutputStream compressor, Progress progress, Workers workers) {
            this.options = options;
            this.magic = (options.crc() ? CpioFormat.MAGIC_CRC : CpioFormat.MAGIC_NEWC).getBytes(StandardCharsets.US_ASCII);
            this.progress = progress == null ? Progress.NONE : progress;
            this.output = new Output(file, compressor, options.crc(), workers);
        }

        void write(Tree tree) throws IOException {
            try (output; dirs) {
                buf = output.take();
                writeEntries(tree);
                flush();
                output.finish();
            }
        }

        private void writeEntries(Tree tree) throws IOException {
            for (Entry e : tree.entries()) {
                EntryPath path = e.path();
                Node node = e.node();
                long data;
                if (node instanceof Node.Directory d) {
                    // A directory's link count must precede its children; the tree knows it cheaply.
                    long nlink = 2L + tree.subdirectoryCount(path);
                    writeHeader(path, nextIno(path), d.mode(), d.meta(), nlink, 0, 0, 0, 0);
                    data = 0;
                } else if (node instanceof Node.HardLink h) {
                    data = writeLink(path, h, e.links());
                } else if (e.links() > 1) {
                    data = writeFirstLink(path, node, e.links());
                } else {
                    data = writeNode(path, node, nextIno(path), 1, true);
                }
                progress.advance(data, 1);
            }
            if (!groups.isEmpty()) {
                // Tree.entries() promises every link of a group; anything left means it lied.
                throw new KilnException("hard-link groups incomplete at end of tree: " + groups.keySet());
            }
            writeRaw(0, 0, 0, 0, 1, 0, 0, 0, 0, CpioFormat.TRAILER.getBytes(StandardCharsets.US_ASCII), 0);
            int pad = CpioFormat.padding(position, CpioFormat.BLOCK_SIZE);
            ensure(pad);
            buf.put(ZEROS, 0, pad);
            position += pad;
        }

        private long nextIno(EntryPath path) {
            if (nextIno > CpioFormat.MAX_NEWC_VALUE) throw tooBig(path, "inode number", nextIno);
            return nextIno++;
        }

        /** The first path of a hard-link group. */
        private long writeFirstLink(EntryPath path, Node node, int links) throws IOException {
            if (options.copyHardLinks() || node instanceof Node.Symlink) {
                // Copies, and symlinks always: Linux's unpacker never links symlinks, it would
                // create each name on its own anyway, so a shared inode buys nothing there.
                groups.put(path, new Group(node, 0, links));
                return writeNode(path, node, nextIno(path), 1, true);
            }
            Group g = new Group(node, nextIno(path), links);
            groups.put(path, g);
            // newc convention: the data travels with the last link only.
            return writeNode(path, node, g.ino, links, false);
        }

        private long writeLink(EntryPath path, Node.HardLink link, int links) throws IOException {
            Group g = groups.get(link.target());
            if (g == null) {
                throw new KilnException("hard link " + path + ": target " + link.target() + " was not written before it");
            }
            boolean last = --g.remaining == 0;
            if (last) groups.remove(link.target());
            if (options.copyHardLinks() || g.node instanceof Node.Symlink) {
                return writeNode(path, g.node, nextIno(path), 1, true);
            }
            return writeNode(path, g.node, g.ino, g.links, last);
        }

        /** Writes one non-directory entry; {@code withData} false writes a size-0 link entry. */
        private long writeNode(EntryPath path, Node node, long ino, long nlink, boolean withData) throws IOException {
            Metadata m = node.meta();
            return switch (node) {
                case Node.File f -> writeFile(path, ino, f, nlink, withData);
                case Node.Symlink s -> {
                    byte[] target = s.target().getBytes(StandardCharsets.UTF_8);
                    long sum = options.crc() ? sum(target, 0, target.length) : 0; // newc's c_check is always 0
                    writeHeader(path, ino, s.mode(), m, nlink, target.length, 0, 0, sum);
                    putData(target);
                    yield target.length;
                }
                case Node.Device d -> {
                    writeHeader(path, ino, d.mode(), m, nlink, 0, d.major(), d.minor(), 0);
                    yield 0;
                }
                case Node.Fifo p -> {
                    writeHeader(path, ino, p.mode(), m, nlink, 0, 0, 0, 0);
                    yield 0;
                }
                case Node.Socket s -> {
                    writeHeader(path, ino, s.mode(), m, nlink, 0, 0, 0, 0);
                    yield 0;
                }
                case Node.Directory d -> throw new AssertionError("directories are written by write()");
                case Node.HardLink h -> throw new AssertionError("links are resolved by writeLink()");
            };
        }

        private long writeFile(EntryPath path, long ino, Node.File f, long nlink, boolean withData) throws IOException {
            Content c = f.content();
            long size = withData ? c.size() : 0;
            if (size > CpioFormat.MAX_NEWC_VALUE) throw tooBig(path, "file size", size);
            if (size == 0) {
                writeHeader(path, ino, f.mode(), f.meta(), nlink, 0, 0, 0, 0);
                return 0;
            }
            boolean small = size <= SMALL_FILE && (c instanceof Content.Slice || c instanceof Content.Bytes);
            if (small) {
                // Header, name and data go into the buffer together; with crc the checksum is
                // patched into the header once the data is there, so the file is read once.
                int nameBytes = nameLength(path);
                ensure(CpioFormat.NEWC_HEADER_SIZE + nameBytes + 3 + (int) size + 4);
                int headerAt = buf.position();
                writeHeader(path, ino, f.mode(), f.meta(), nlink, size, 0, 0, 0);
                int dataAt = buf.position();
                if (c instanceof Content.Bytes b) {
                    buf.put(b.data());
                } else {
                    try {
                        readSlice((Content.Slice) c, size);
                    } catch (KilnException e) {
                        throw new KilnException(path + ": " + e.getMessage(), e);
                    }
                }
                if (options.crc()) {
                    long sum = 0;
                    for (int i = dataAt; i < dataAt + size; i++) sum += buf.get(i) & 0xff;
                    putHexAt(headerAt + CpioFormat.NewcField.C_CHECK.offset(), sum & 0xFFFF_FFFFL);
                }
                position += size;
                pad4();
                return size;
            }
            long sum;
            try {
                sum = options.crc() ? checksum(c) : 0;
            } catch (KilnException e) {
                throw new KilnException(path + ": " + e.getMessage(), e);
            }
            writeHeader(path, ino, f.mode(), f.meta(), nlink, size, 0, 0, sum);
            flush();
            output.transfer(new Transfer(path, c, size, sum));
            position += size;
            pad4();
            return size;
        }

        /**
         * Reads a small host-file slice directly into the buffer, with the checks of
         * {@link Content.Slice#writeTo}. For a whole file one byte more than expected is asked
         * for: a regular file's read comes back short only at its end, so a full-length read
         * proves the file grew and a short one that it did not, without an fstat per file.
         */
        private void readSlice(Content.Slice s, long size) throws IOException {
            int start = buf.position();
            int end = start + (int) size;
            if (buf.isDirect() && s.wholeFile()) {
                // A walked file straight into the direct buffer, opened relative to its directory.
                int got = dirs.read(s, MemorySegment.ofBuffer(buf.duplicate().limit(end + 1)));
                if (got >= 0) {
                    if (got < size) throw shrank(s);
                    if (got > size) throw grew(s);
                    buf.position(end);
                    return;
                }
            }
            buf.limit(s.wholeFile() ? end + 1 : end);
            try (FileChannel ch = s.openChannel()) {
                long pos = s.offset();
                while (buf.position() < end) {
                    int n = ch.read(buf, pos);
                    if (n < 0) throw shrank(s);
                    pos += n;
                }
                if (buf.position() > end) throw grew(s);
            } finally {
                buf.limit(buf.capacity());
            }
        }

        private static KilnException shrank(Content.Slice s) {
            return new KilnException(s.file() + ": file shrank while reading (expected " + s.length() + " bytes)");
        }

        private static KilnException grew(Content.Slice s) {
            return new KilnException(s.file() + ": file grew while building (expected " + s.length() + " bytes)");
        }

        private static long checksum(Content c) throws IOException {
            long sum = 0;
            byte[] chunk = new byte[1 << 16];
            try (InputStream in = c.open()) {
                int n;
                while ((n = in.read(chunk)) > 0) sum += sum(chunk, 0, n);
            }
            return sum & 0xFFFF_FFFFL;
        }

        private static long sum(byte[] b, int off, int len) {
            long s = 0;
            for (int i = off; i < off + len; i++) s += b[i] & 0xff;
            return s;
        }

        private static int nameLength(EntryPath path) {
            // Only an estimate is needed for buffer space: UTF-8 is at most 3 bytes per UTF-16 unit.
            return path.isRoot() ? 1 : path.value().length() * 3;
        }

        private void writeHeader(EntryPath path, long ino, int mode, Metadata m, long nlink, long size,
                                 long rdevMajor, long rdevMinor, long check) throws IOException {
            if (m.mtime() < 0 || m.mtime() > CpioFormat.MAX_NEWC_VALUE) throw tooBig(path, "mtime", m.mtime());
            if (m.uid() > CpioFormat.MAX_NEWC_VALUE) throw tooBig(path, "uid", m.uid());
            if (m.gid() > CpioFormat.MAX_NEWC_VALUE) throw tooBig(path, "gid", m.gid());
            byte[] name = path.isRoot() ? ROOT_NAME : path.bytes();
            if (name.length + 1 > CpioFormat.MAX_NAME_SIZE) {
                throw new KilnException(path + ": path of " + name.length + " bytes is too long for a cpio name (at most "
                        + (CpioFormat.MAX_NAME_SIZE - 1) + ")");
            }
            writeRaw(ino, mode, m.uid(), m.gid(), nlink, m.mtime(), size, rdevMajor, rdevMinor, name, check);
        }

        /** Assembles header, name, NUL and padding, and appends them to the buffer. */
        private void writeRaw(long ino, int mode, long uid, long gid, long nlink, long mtime, long size,
                              long rdevMajor, long rdevMinor, byte[] name, long check) throws IOException {
            byte[] h = header;
            System.arraycopy(magic, 0, h, 0, CpioFormat.MAGIC_LENGTH);
            int at = CpioFormat.MAGIC_LENGTH;
            at = hex(h, at, ino);
            at = hex(h, at, mode);
            at = hex(h, at, uid);
            at = hex(h, at, gid);
            at = hex(h, at, nlink);
            at = hex(h, at, mtime);
            at = hex(h, at, size);
            at = hex(h, at, 0); // c_devmajor: the archive's own device numbers carry nothing
            at = hex(h, at, 0); // c_devminor
            at = hex(h, at, rdevMajor);
            at = hex(h, at, rdevMinor);
            at = hex(h, at, name.length + 1L);
            at = hex(h, at, check);
            System.arraycopy(name, 0, h, at, name.length);
            at += name.length;
            h[at++] = 0;
            int pad = CpioFormat.padding(at, 4);
            for (int i = 0; i < pad; i++) h[at++] = 0;
            ensure(at);
            buf.put(h, 0, at);
            position += at;
        }

        private static int hex(byte[] h, int at, long v) {
            for (int shift = 28; shift >= 0; shift -= 4) h[at++] = HEX[(int) (v >>> shift) & 0xf];
            return at;
        }

        private void putHexAt(int index, long v) {
            for (int shift = 28, i = index; shift >= 0; shift -= 4, i++) buf.put(i, HEX[(int) (v >>> shift) & 0xf]);
        }

        /** Appends small in-memory data (a symlink target) and its padding. */
        private void putData(byte[] data) throws IOException {
            int off = 0;
            while (off < data.length) {
                ensure(1);
                int n = Math.min(buf.remaining(), data.length - off);
                buf.put(data, off, n);
                off += n;
            }
            position += data.length;
            pad4();
        }

        private void pad4() throws IOException {
            int pad = CpioFormat.padding(position, 4);
            ensure(pad);
            for (int i = 0; i < pad; i++) buf.put((byte) 0);
            position += pad;
        }

        private void ensure(int n) throws IOException {
            if (buf.remaining() < n) flush();
        }

        /** Hands the filled buffer to the output thread and carries on in a free one. */
        private void flush() throws IOException {
            buf.flip();
            output.write(buf);
            buf = output.take();
        }

        private static KilnException tooBig(EntryPath path, String field, long value) {
            return new KilnException(path + ": " + field + " " + value + " does not fit cpio newc's unsigned 32-bit field");
        }
    }

    /** A large content to copy to the output after the buffers handed over before it. */
    private record Transfer(EntryPath path, Content content, long size, long sum) {}

    /**
     * The writing half of a session, on a thread of its own: filled buffers and large contents
     * go out in the order they were handed over while the session thread reads the next files.
     * On two cores, opening and reading small files then overlaps with the writes, copy_file_range
     * calls or compression of what came before. The output never reorders anything, so the bytes
     * are the same as a single thread would write.
     */
    private static final class Output implements AutoCloseable {
        private static final Object END = new Object();
        /** Three buffers: one being filled, one being written, one spare to absorb jitter. */
        private static final int BUFFERS = 3;

        /** The uncompressed output, or null when writing through {@link #compressor}. */
        private final WritableByteChannel file;
        private final OutputStream compressor;
        private final WritableByteChannel compressorChannel;
        private final boolean crc;
        private final ArrayBlockingQueue<Object> tasks = new ArrayBlockingQueue<>(BUFFERS + 2);
        private final ArrayBlockingQueue<ByteBuffer> free = new ArrayBlockingQueue<>(BUFFERS);
        private final Future<?> thread;
        /** The first error of the output thread; later tasks are skipped, buffers still come back. */
        private volatile Throwable failure;

        Output(WritableByteChannel file, OutputStream compressor, boolean crc, Workers workers) {
            this.file = file;
            this.compressor = compressor;
            this.compressorChannel = compressor == null ? null : Channels.newChannel(compressor);
            this.crc = crc;
            for (int i = 0; i < BUFFERS; i++) {
                // Direct buffers go to a channel without a copy; a compressor wants a byte[].
                free.add(file != null ? ByteBuffer.allocateDirect(Session.BUFFER_SIZE) : ByteBuffer.allocate(Session.BUFFER_SIZE));
            }
            this.thread = workers.start("kiln-cpio-output", this::run);
        }

        ByteBuffer take() throws IOException {
            try {
                return free.take();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new java.io.InterruptedIOException("interrupted while writing the archive");
            }
        }

        void write(ByteBuffer filled) throws IOException {
            rethrow();
            put(filled);
        }

        void transfer(Transfer t) throws IOException {
            rethrow();
            put(t);
        }

        /** Waits until everything handed over is written. */
        void finish() throws IOException {
            put(END);
            join();
            rethrow();
        }

        /** Stops the thread after a failure of the session thread; a no-op after {@link #finish}. */
        @Override
        public void close() throws IOException {
            if (thread.isDone()) return;
            failure = failure != null ? failure : new KilnException("archive abandoned");
            put(END);
            join();
        }

        private void put(Object task) throws IOException {
            try {
                tasks.put(task);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new java.io.InterruptedIOException("interrupted while writing the archive");
            }
        }

        private void join() throws IOException {
            try {
                thread.get();
            } catch (java.util.concurrent.ExecutionException e) {
                throw new KilnException("archive output failed: " + e.getCause(), e.getCause());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new java.io.InterruptedIOException("interrupted while writing the archive");
            }
        }

        private void rethrow() throws IOException {
            Throwable f = failure;
            if (f == null) return;
            switch (f) {
                case IOException io -> throw io;
                case RuntimeException re -> throw re;
                case Error err -> throw err;
                default -> throw new IOException(f);
            }
        }

        private void run() {
            while (true) {
                Object task;
                try {
                    task = tasks.take();
                } catch (InterruptedException e) {
                    failure = new java.io.InterruptedIOException("archive output interrupted");
                    return;
                }
                if (task == END) return;
                try {
                    if (failure == null) {
                        if (task instanceof ByteBuffer b) writeBuffer(b); else copy((Transfer) task);
                    }
                } catch (Throwable e) {
                    failure = e;
                } finally {
                    if (task instanceof ByteBuffer b) {
                        b.clear();
                        free.add(b);
                    }
                }
            }
        }

        private void writeBuffer(ByteBuffer b) throws IOException {
            if (file != null) {
                while (b.hasRemaining()) file.write(b);
            } else {
                compressor.write(b.array(), b.arrayOffset(), b.limit());
            }
        }

        private void copy(Transfer t) throws IOException {
            Content c = t.content();
            try {
                if (file != null && !crc && c instanceof Content.Slice) {
                    // Straight to the output file: FileChannel.transferTo becomes copy_file_range.
                    c.writeTo(file);
                    return;
                }
                CheckingChannel check = new CheckingChannel(file != null ? file : compressorChannel, crc);
                c.writeTo(check);
                if (check.count != t.size()) {
                    throw new KilnException("content wrote " + check.count + " bytes, expected " + t.size());
                }
                if (crc && (check.sumValue & 0xFFFF_FFFFL) != t.sum()) {
                    throw new KilnException("content changed while it was being written (checksum differs)");
                }
            } catch (KilnException e) {
                // Content errors name a host file or nothing at all; the user needs the entry too.
                throw new KilnException(t.path() + ": " + e.getMessage(), e);
            }
        }
    }

    /** Passes bytes on while counting them and, for crc, summing them. */
    private static final class CheckingChannel implements WritableByteChannel {
        private final WritableByteChannel out;
        private final boolean sum;
        long count;
        long sumValue;

        CheckingChannel(WritableByteChannel out, boolean sum) {
            this.out = out;
            this.sum = sum;
        }

        @Override
        public int write(ByteBuffer src) throws IOException {
            int start = src.position();
            int n = out.write(src);
            if (sum) {
                long s = 0;
                for (int i = start; i < start + n; i++) s += src.get(i) & 0xff;
                sumValue += s;
            }
            count += n;
            return n;
        }

        @Override
        public boolean isOpen() {
            return out.isOpen();
        }

        @Override
        public void close() {
            // the caller's channel stays open
        }
    }

    /** An OutputStream over the caller's channel whose close() leaves the channel open. */
    private static final class UnclosableChannelStream extends OutputStream {
        private final WritableByteChannel out;

        UnclosableChannelStream(WritableByteChannel out) {
            this.out = out;
        }

        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            ByteBuffer bb = ByteBuffer.wrap(b, off, len);
            while (bb.hasRemaining()) out.write(bb);
        }

        @Override
        public void close() {
            // the caller owns the channel
        }
    }
}
