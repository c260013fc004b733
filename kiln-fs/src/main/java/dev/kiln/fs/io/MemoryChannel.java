package dev.kiln.fs.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.SeekableByteChannel;
import java.util.Arrays;

/**
 * A seekable channel over a growing byte array: where an image built in memory is written
 * (an inline ROM), so that no temporary file is needed. Writing past the end leaves zeros in
 * the gap, as a file would. Not thread-safe; images are written from one thread.
 */
public final class MemoryChannel implements SeekableByteChannel {
    /** Java arrays stop a little short of Integer.MAX_VALUE. */
    private static final int MAX = Integer.MAX_VALUE - 16;
    private byte[] bytes;
    private int size;
    private long position;
    private boolean open = true;

    public MemoryChannel() {
        this(16 << 10);
    }

    public MemoryChannel(int initialCapacity) {
        bytes = new byte[Math.max(16, initialCapacity)];
    }

    /** A copy of what was written. */
    public byte[] toByteArray() {
        return Arrays.copyOf(bytes, size);
    }

    @Override
    public int read(ByteBuffer dst) throws IOException {
        check();
        if (position >= size) return -1;
        int n = (int) Math.min(dst.remaining(), size - position);
        dst.put(bytes, (int) position, n);
        position += n;
        return n;
    }

    @Override
    public int write(ByteBuffer src) throws IOException {
        check();
        int n = src.remaining();
        long end = position + n;
        if (end > MAX) throw new IOException("an image in memory is limited to 2 GiB");
        if (end > bytes.length) bytes = Arrays.copyOf(bytes, (int) Math.min(MAX, Math.max(end, (long) bytes.length * 2)));
        src.get(bytes, (int) position, n);
        position = end;
        if (end > size) size = (int) end;
        return n;
    }

    @Override
    public long position() throws IOException {
        check();
        return position;
    }

    @Override
    public SeekableByteChannel position(long newPosition) throws IOException {
        check();
        if (newPosition < 0) throw new IllegalArgumentException("negative position " + newPosition);
        position = newPosition;
        return this;
    }

    @Override
    public long size() throws IOException {
        check();
        return size;
    }

    @Override
    public SeekableByteChannel truncate(long newSize) throws IOException {
        check();
        if (newSize < 0) throw new IllegalArgumentException("negative size " + newSize);
        if (newSize < size) {
            Arrays.fill(bytes, (int) newSize, size, (byte) 0);
            size = (int) newSize;
        }
        if (position > newSize) position = newSize;
        return this;
    }

    @Override
    public boolean isOpen() {
        return open;
    }

    @Override
    public void close() {
        open = false;
    }

    private void check() throws IOException {
        if (!open) throw new ClosedChannelException();
    }
}
