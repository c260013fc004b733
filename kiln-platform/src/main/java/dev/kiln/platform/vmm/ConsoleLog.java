package dev.kiln.platform.vmm;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.Objects;

/**
 * A guest's serial console as the platform keeps it: a ring file of fixed capacity holding the
 * <em>last</em> bytes the guest printed, addressed by absolute offsets counted from the first
 * byte ever written. Keeping the tail suits what a log is read for (why did it stop?), and
 * absolute offsets are what the API's log endpoint speaks: a client polls with the end it last
 * saw, and {@link Chunk#range()} tells it when bytes between were dropped.
 *
 * <p>The file survives the guest and the platform: a later launch in the same run directory
 * appends after the old end, and a restarted platform reads it without the guest. This object
 * holds no descriptor; each read opens the file, so handles may be kept freely.
 *
 * <p>Layout: {@code "KILNCON1"}, capacity, committed end, reserved end (little-endian longs),
 * then {@code capacity} bytes where offset {@code o} lives at {@code 32 + o % capacity}. The
 * writer raises the reserved end before it overwrites anything and the committed end after, so
 * a reader in any process checks afterwards which of the bytes it read may have been
 * overwritten meanwhile, and drops them.
 */
public final class ConsoleLog {
    /** The file's name in a run directory. */
    public static final String FILE_NAME = "console.log";

    static final int HEADER = 32;
    static final long MAGIC = 0x314e4f434e4c494bL; // "KILNCON1" read little-endian

    private final Path file;

    ConsoleLog(Path file) {
        this.file = Objects.requireNonNull(file, "file");
    }

    /** The console log in {@code runDir}, whether or not a guest is running there. */
    public static ConsoleLog in(Path runDir) {
        return new ConsoleLog(runDir.resolve(FILE_NAME));
    }

    public Path file() {
        return file;
    }

    /** Offsets {@code [start, end)}. */
    public record Range(long start, long end) {
        public long length() {
            return end - start;
        }
    }

    /**
     * What a read returned: {@code data} holds the bytes of {@code range}, and {@code available}
     * is what the log held at the time.
     */
    public record Chunk(Range range, Range available, byte[] data) {}

    /** The offsets the log holds now; {@code [0, 0)} before anything was written. */
    public Range available() throws IOException {
        return read(0, 0).available();
    }

    /**
     * Up to {@code limit} bytes from {@code offset}. A negative offset counts back from the end.
     * An offset before the oldest byte kept starts at that byte, one past the end yields no
     * bytes; {@link Chunk#range()} says what was returned.
     */
    public Chunk read(long offset, int limit) throws IOException {
        if (limit < 0) throw new IllegalArgumentException("limit " + limit);
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            Header h = Header.read(ch);
            if (h == null) return new Chunk(new Range(0, 0), new Range(0, 0), new byte[0]);
            long start = Math.max(0, h.committed - h.capacity);
            long from = offset < 0 ? Math.max(0, h.committed + offset) : offset;
            from = Math.min(Math.max(from, start), h.committed);
            long to = Math.min(h.committed, from + limit);
            byte[] data = readRing(ch, h.capacity, from, to);
            Header after = Header.read(ch);
            long safe = after == null ? start : Math.max(start, after.reserved - h.capacity);
            if (safe > from) {
                long cut = Math.min(safe, to) - from;
                data = Arrays.copyOfRange(data, (int) cut, data.length);
                from += cut;
            }
            return new Chunk(new Range(from, from + data.length), new Range(Math.max(start, safe), h.committed), data);
        } catch (NoSuchFileException e) {
            return new Chunk(new Range(0, 0), new Range(0, 0), new byte[0]);
        }
    }

    private static byte[] readRing(FileChannel ch, long capacity, long from, long to) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate((int) (to - from));
        long o = from;
        while (o < to) {
            long at = o % capacity;
            int n = (int) Math.min(to - o, capacity - at);
            buf.limit(buf.position() + n);
            long pos = HEADER + at;
            while (buf.hasRemaining()) {
                int r = ch.read(buf, pos);
                if (r < 0) throw new IOException(ch + ": console log shorter than its header says");
                pos += r;
            }
            o += n;
        }
        return buf.array();
    }

    record Header(long capacity, long committed, long reserved) {
        static Header read(FileChannel ch) throws IOException {
            ByteBuffer b = ByteBuffer.allocate(HEADER).order(java.nio.ByteOrder.LITTLE_ENDIAN);
            while (b.hasRemaining()) {
                if (ch.read(b, b.position()) < 0) return null;
            }
            b.flip();
            if (b.getLong() != MAGIC) return null;
            long cap = b.getLong(), committed = b.getLong(), reserved = b.getLong();
            if (cap <= 0 || committed < 0 || reserved < committed) return null;
            return new Header(cap, committed, reserved);
        }
    }
}
