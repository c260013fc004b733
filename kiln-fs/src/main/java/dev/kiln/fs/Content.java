package dev.kiln.fs;

import dev.kiln.fs.host.Posix;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * The bytes of a regular file, read lazily: a tree of any size holds only these handles, and
 * writers stream each file from its source when they reach it.
 */
public interface Content {
    /** The length in bytes, known up front (archives and inodes record it before the data). */
    long size();

    /** A fresh stream over the bytes; the caller closes it. */
    InputStream open() throws IOException;

    /**
     * Writes exactly {@link #size()} bytes to {@code out}. Fails when the source turns out
     * shorter or longer than announced (a host file changed during the build), so a writer never
     * emits a header whose size disagrees with its data.
     */
    default void writeTo(WritableByteChannel out) throws IOException {
        try (InputStream in = open()) {
            long n = in.transferTo(Channels.newOutputStream(out));
            if (n != size()) throw new KilnException(this + ": expected " + size() + " bytes, read " + n);
        }
    }

    /** Reads everything; only for small contents (symlink targets, tests, inline ROM files). */
    default byte[] readAll() throws IOException {
        if (size() > Integer.MAX_VALUE - 16) throw new KilnException(this + ": too large to read into memory");
        try (InputStream in = open()) {
            return in.readAllBytes();
        }
    }

    static Content of(byte[] bytes) {
        return new Bytes(bytes.clone());
    }

    static Content empty() {
        return Bytes.EMPTY;
    }

    /** A host file whose size was taken when the tree was built. */
    static Content ofFile(Path file, long size) {
        return new Slice(file, 0, size, true);
    }

    /** Like {@link #ofFile}, for the file {@code name} in {@code dir} (see {@link Slice} on why). */
    static Content ofFile(Path dir, String name, long size) {
        return Slice.inDirectory(dir, name, size);
    }

    /** {@code length} bytes at {@code offset} of a host file, e.g. a member of an uncompressed archive. */
    static Content slice(Path file, long offset, long length) {
        return new Slice(file, offset, length, false);
    }

    /** Bytes held in memory. */
    record Bytes(byte[] data) implements Content {
        static final Bytes EMPTY = new Bytes(new byte[0]);

        public long size() { return data.length; }

        public InputStream open() { return new ByteArrayInputStream(data); }

        @Override public byte[] readAll() { return data.clone(); }

        @Override public void writeTo(WritableByteChannel out) throws IOException {
            ByteBuffer b = ByteBuffer.wrap(data);
            while (b.hasRemaining()) out.write(b);
        }

        @Override public String toString() { return "<" + data.length + " bytes>"; }
    }

    /**
     * A range of a host file. {@code wholeFile} means the range is the entire file, so the file
     * growing or shrinking since it was listed is an error rather than ignored.
     *
     * <p>A file found by walking a directory is held as that directory's {@link Path}, shared by
     * all its files, plus its own name, and {@link #file()} joins them when asked: a whole
     * {@code Path} per file (its bytes, then its string once opened) was about 170 bytes of heap
     * for every file of the tree, the largest share of a big tree's memory.
     */
    final class Slice implements Content {
        private final Path dirOrFile;
        private final String name;
        private final long offset;
        private final long length;
        private final boolean wholeFile;

        public Slice(Path file, long offset, long length, boolean wholeFile) {
            this(file, null, offset, length, wholeFile);
        }

        private Slice(Path dirOrFile, String name, long offset, long length, boolean wholeFile) {
            this.dirOrFile = java.util.Objects.requireNonNull(dirOrFile);
            this.name = name;
            this.offset = offset;
            this.length = length;
            this.wholeFile = wholeFile;
        }

        /** The whole file {@code name} in {@code dir}, of {@code size} bytes. */
        static Slice inDirectory(Path dir, String name, long size) {
            return new Slice(dir, name, 0, size, true);
        }

        public Path file() { return name == null ? dirOrFile : dirOrFile.resolve(name); }

        /** The directory the file was found in by a walk ({@link #fileName} in it), else null. */
        public Path directory() { return name == null ? null : dirOrFile; }

        /** The file's name in {@link #directory}, or null. */
        public String fileName() { return name; }

        public long offset() { return offset; }

        public long length() { return length; }

        public boolean wholeFile() { return wholeFile; }

        public long size() { return length; }

        /**
         * The file, opened for reading. A whole file (as a walk finds them) is not followed if it
         * has become a symlink since (the open fails), so the image never holds what such a link
         * points to, and one that has become a fifo fails rather than waiting for a writer.
         */
        public FileChannel openChannel() throws IOException {
            Path file = file();
            try {
                return wholeFile ? Posix.openRegular(file) : FileChannel.open(file, StandardOpenOption.READ);
            } catch (NoSuchFileException e) {
                throw new NoSuchFileException(file.toString(), null, "no such file or directory");
            } catch (IOException e) {
                // NIO's messages leave out the file, or the reason. (A whole file that became a
                // symlink is reported as such by Posix.openRegular.)
                String reason = e instanceof FileSystemException f ? f.getReason() : e.getMessage();
                throw new FileSystemException(file.toString(), null, reason);
            }
        }

        public InputStream open() throws IOException {
            FileChannel ch = openChannel();
            ch.position(offset);
            return new BoundedInputStream(Channels.newInputStream(ch), length);
        }

        @Override public void writeTo(WritableByteChannel out) throws IOException {
            Path file = file();
            try (FileChannel ch = openChannel()) {
                long pos = offset, end = offset + length;
                while (pos < end) {
                    long n = ch.transferTo(pos, end - pos, out);
                    if (n <= 0) {
                        if (ch.size() < end) {
                            throw new KilnException(file + ": file shrank while reading (expected " + length + " bytes)");
                        }
                        // transferTo may return 0 on some channels; fall back to a buffer copy.
                        ByteBuffer buf = ByteBuffer.allocate((int) Math.min(1 << 16, end - pos));
                        int r = ch.read(buf, pos);
                        if (r <= 0) throw new KilnException(file + ": unexpected end of file at " + pos);
                        buf.flip();
                        while (buf.hasRemaining()) out.write(buf);
                        n = r;
                    }
                    pos += n;
                }
                if (wholeFile && ch.size() != length) {
                    throw new KilnException(file + ": file changed size while building (" + length + " -> " + ch.size() + " bytes)");
                }
            }
        }

        @Override public boolean equals(Object o) {
            return o instanceof Slice s && file().equals(s.file()) && offset == s.offset && length == s.length
                    && wholeFile == s.wholeFile;
        }

        @Override public int hashCode() { return java.util.Objects.hash(file(), offset, length, wholeFile); }

        @Override public String toString() { return file() + (wholeFile ? "" : "@" + offset + "+" + length); }
    }

    /** Stops after {@code limit} bytes and fails if the underlying stream ends early. */
    final class BoundedInputStream extends InputStream {
        private final InputStream in;
        private long remaining;

        public BoundedInputStream(InputStream in, long limit) {
            this.in = in;
            this.remaining = limit;
        }

        @Override public int read() throws IOException {
            if (remaining <= 0) return -1;
            int b = in.read();
            if (b < 0) throw new java.io.EOFException("unexpected end of data, " + remaining + " bytes missing");
            remaining--;
            return b;
        }

        @Override public int read(byte[] b, int off, int len) throws IOException {
            if (remaining <= 0) return -1;
            int n = in.read(b, off, (int) Math.min(len, remaining));
            if (n < 0) throw new java.io.EOFException("unexpected end of data, " + remaining + " bytes missing");
            remaining -= n;
            return n;
        }

        @Override public void close() throws IOException { in.close(); }
    }
}
