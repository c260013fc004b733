package dev.kiln.fs.erofs;

import dev.kiln.fs.Await;
import dev.kiln.fs.Content;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.zip.CRC32;

/**
 * The data half of the content a derived UUID is named after: a CRC32 of every inode's bytes in
 * the data area (file blocks, plain or compressed, and directory blocks), kept per inode and
 * folded into the image digest in inode order, so neither thread timing nor how the bytes were
 * copied changes the result. The metadata half (inodes, inline tails, superblock area) is
 * digested as it is written.
 *
 * <p>Host files are copied in the kernel ({@code transferTo}) and never pass through the heap, so
 * their blocks are read again and summed on a background thread while the writer goes on (from
 * the page cache the copy has just warmed). Only built when the UUID is derived: a given
 * {@code --uuid} costs nothing here.
 *
 * <p>CRC32, not the format's CRC32C: on x86 only C2 compiles CRC32C to the hardware instruction,
 * and the launcher runs most of kiln at C1, where CRC32C falls back to a table loop (measured
 * 1.2 s of CPU for /usr/share) while CRC32 stays an intrinsic.
 */
final class DataDigest implements AutoCloseable {
    private final ExecutorService pool = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "kiln-erofs-digest");
        t.setDaemon(true);
        return t;
    });
    private final List<Future<?>> tasks = new ArrayList<>();

    /** The background thread's read buffer: direct, so reads and sums need no copy into the heap. */
    private final ByteBuffer buffer = ByteBuffer.allocateDirect(1 << 18);

    /** Sums {@code len} bytes of a host file slice for {@code n}, on the background thread. */
    void hostFile(Inode n, Content.Slice s, long len) {
        tasks.add(pool.submit(() -> {
            CRC32 crc = new CRC32();
            try (FileChannel ch = s.openChannel()) {
                long done = 0;
                while (done < len) {
                    buffer.clear().limit((int) Math.min(buffer.capacity(), len - done));
                    int r = ch.read(buffer, s.offset() + done);
                    if (r <= 0) throw DataWriter.changed(n, n.size, done);
                    crc.update(buffer.flip());
                    done += r;
                }
            }
            n.dataCrc = (int) crc.getValue();
            return null;
        }));
    }

    /** Waits for the background sums, then adds every inode's data sum to {@code digest}, in order. */
    void foldInto(MessageDigest digest, List<Inode> inodes) throws IOException {
        for (Future<?> f : tasks) Await.result(f, "summing file data");
        byte[] b = new byte[4];
        for (Inode n : inodes) {
            int v = n.dataCrc;
            for (int i = 0; i < 4; i++) b[i] = (byte) (v >>> (8 * i));
            digest.update(b);
        }
    }

    @Override
    public void close() {
        pool.shutdownNow();
    }
}
