package dev.kiln.platform.vmm;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * The writing side of a {@link ConsoleLog}: one per attached guest, fed by its console pump.
 * Not for concurrent appends; readers may run anywhere at any time.
 */
final class ConsoleRing implements AutoCloseable {
    private final FileChannel ch;
    private final long capacity;
    private long end;

    private ConsoleRing(FileChannel ch, long capacity, long end) {
        this.ch = ch;
        this.capacity = capacity;
        this.end = end;
    }

    /**
     * Opens the log to append after what it holds. A file from an earlier launch keeps its
     * capacity (its offsets depend on it); a missing or unreadable one starts empty.
     */
    static ConsoleRing open(Path file, long capacity) throws IOException {
        if (capacity <= 0) throw new IllegalArgumentException("console capacity " + capacity);
        FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ,
                StandardOpenOption.WRITE);
        try {
            ConsoleLog.Header h = ConsoleLog.Header.read(ch);
            if (h != null) {
                // A writer that died between its two header updates leaves reserved ahead of
                // committed; the bytes in between may be half written, so they are given up.
                ConsoleRing r = new ConsoleRing(ch, h.capacity(), h.reserved());
                r.writeHeader(h.reserved(), h.reserved());
                return r;
            }
            ch.truncate(0);
            ConsoleRing r = new ConsoleRing(ch, capacity, 0);
            r.writeHeader(0, 0);
            return r;
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
    }

    long capacity() {
        return capacity;
    }

    /** Appends what {@code data} holds from its position to its limit. */
    void append(ByteBuffer data) throws IOException {
        int n = data.remaining();
        if (n == 0) return;
        long last = end + n;
        if (n > capacity) data.position(data.position() + (int) (n - capacity));
        writeHeader(end, last);
        long o = last - data.remaining();
        while (data.hasRemaining()) {
            long at = o % capacity;
            int piece = (int) Math.min(data.remaining(), capacity - at);
            ByteBuffer slice = data.slice(data.position(), piece);
            long pos = ConsoleLog.HEADER + at;
            while (slice.hasRemaining()) pos += ch.write(slice, pos);
            data.position(data.position() + piece);
            o += piece;
        }
        writeHeader(last, last);
        end = last;
    }

    private void writeHeader(long committed, long reserved) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(ConsoleLog.HEADER).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(ConsoleLog.MAGIC).putLong(capacity).putLong(committed).putLong(reserved).flip();
        long pos = 0;
        while (b.hasRemaining()) pos += ch.write(b, pos);
    }

    @Override
    public void close() throws IOException {
        ch.close();
    }
}
