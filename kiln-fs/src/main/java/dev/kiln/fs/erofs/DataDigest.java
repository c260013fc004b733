package dev.kiln.fs.erofs;

import dev.kiln.fs.io.Await;
import dev.kiln.fs.Content;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import dev.kiln.fs.io.Workers;
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
    private final Workers workers;
    /** One task at a time, in order; made with the first host file (a build from memory has none). */
    private ExecutorService pool;
    private final List<Future<?>> tasks = new ArrayList<>();

    /** The background thread's read buffer: direct, so reads and sums need no copy into the heap. */
    private ByteBuffer buffer;

    DataDigest(Workers workers) {
        this.workers = workers;
    }

    /** Sums {@code len} bytes of a host file slice for {@code n}, on the background thread. */
    void hostFile(Inode n, Content.Slice s, long len) {
        if (pool == null) {
            pool = workers.pool("kiln-erofs-digest", 1);
            buffer = ByteBuffer.allocateDirect(1 << 18);
        }
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
        if (pool != null) pool.shutdownNow();
    }
}
