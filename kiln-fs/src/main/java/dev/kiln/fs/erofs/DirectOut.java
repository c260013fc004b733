package dev.kiln.fs.erofs;

import static dev.kiln.fs.erofs.format.Erofs.BLOCK_SIZE;

import dev.kiln.fs.host.Posix;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;

/**
 * Writes whole blocks of the image with direct I/O: bytes bound for consecutive places are
 * gathered in one aligned buffer and written with O_DIRECT, past the page cache.
 *
 * <p>Why: a buffered write has the kernel copy every byte into the image's page cache, on the
 * writing thread: for a compressed build of /usr/share that was 0.6 CPU-seconds of the thread
 * that also hands work to the compressors, on a machine where both cores are busy compressing.
 * Here the CPU's part is one copy into the buffer, and the write is the device's work.
 *
 * <p>Direct I/O wants the buffer, the offset and the length aligned to the device's block size.
 * A run of bytes starts on a block boundary, and {@link #flush} zero-pads the last block: the
 * caller owns every block it touches (the data area of an EROFS image, where a file's or a
 * directory's last block is zero-padded anyway). {@link #open} returns null where the file system
 * refuses O_DIRECT (tmpfs on older kernels, some FUSE). Not thread safe, and tied to the thread
 * that opened it (its buffer is confined memory).
 */
final class DirectOut implements AutoCloseable {
    /** 4 MiB: a few milliseconds of device time per write, few enough calls to not matter. */
    static final int BUFFER_SIZE = 4 << 20;

    private final Posix posix;
    private final Arena arena = Arena.ofConfined();
    private final MemorySegment buf = arena.allocate(BUFFER_SIZE, BLOCK_SIZE);
    private final Path image;
    private final int fd;
    /** Where {@code buf[0]} goes in the image, and how much of it is filled. */
    private long bufAt;
    private int fill;

    private DirectOut(Posix posix, Path image, int fd) {
        this.posix = posix;
        this.image = image;
        this.fd = fd;
    }

    /** Direct writes to the existing file {@code image}, or null when its file system does not do direct I/O. */
    static DirectOut open(Path image) {
        Posix posix = new Posix();
        int fd = posix.openDirectWrite(image);
        if (fd < 0) {
            posix.close();
            return null;
        }
        return new DirectOut(posix, image, fd);
    }

    /** Whether bytes for image offset {@code at} can be taken: they continue the buffer, or start a block. */
    boolean accepts(long at) {
        return (fill > 0 && at == bufAt + fill) || at % BLOCK_SIZE == 0;
    }

    /**
     * Free space in the buffer for the bytes at image offset {@code at} ({@link #accepts} must
     * hold): at least one byte, which the caller fills from the start and then reports with
     * {@link #filled}. Writes the buffer out first when {@code at} does not continue it or it is full.
     */
    MemorySegment room(long at) throws IOException {
        if (fill > 0 && (at != bufAt + fill || fill == BUFFER_SIZE)) flush();
        if (fill == 0) {
            if (at % BLOCK_SIZE != 0) throw new IllegalArgumentException("direct write at " + at + ", not on a block boundary");
            bufAt = at;
        }
        return buf.asSlice(fill);
    }

    void filled(long n) {
        fill += (int) n;
    }

    /** Bytes in the buffer, not yet written. */
    int buffered() {
        return fill;
    }

    /** Copies {@code src} to image offset {@code at} ({@link #accepts} must hold). */
    void put(MemorySegment src, long at) throws IOException {
        long done = 0;
        while (done < src.byteSize()) {
            MemorySegment room = room(at + done);
            long n = Math.min(room.byteSize(), src.byteSize() - done);
            MemorySegment.copy(src, done, room, 0, n);
            filled(n);
            done += n;
        }
    }

    /** Zero-fills the buffer to the next block boundary (the buffer is a whole number of blocks, so it fits). */
    void padToBlock() {
        int pad = -fill & (BLOCK_SIZE - 1);
        buf.asSlice(fill, pad).fill((byte) 0);
        fill += pad;
    }

    /** Writes what the buffer holds, its last block zero-padded. */
    void flush() throws IOException {
        if (fill == 0) return;
        padToBlock();
        posix.pwriteFully(fd, buf.asSlice(0, fill), bufAt, image);
        bufAt += fill;
        fill = 0;
    }

    /** Closes without writing what is left: call {@link #flush} first to keep it. */
    @Override
    public void close() {
        posix.close(fd);
        posix.close();
        arena.close();
    }
}
