package dev.kiln.fs.erofs;

import dev.kiln.fs.Await;
import dev.kiln.fs.Content;
import dev.kiln.fs.host.DirectoryReader;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Reads files that live entirely in their inode (FLAT_INLINE, no data block) on a small pool,
 * in parallel with the writer's sequential pass over everything else. Opening and reading many
 * small files is most of the work for a typical root filesystem, and since these files take no
 * blocks, reading them in any order changes nothing in the image.
 */
final class SmallFileReader implements AutoCloseable {
    private static final int CHUNK = 256;

    private final ExecutorService pool;
    private final List<Future<?>> tasks = new ArrayList<>();

    SmallFileReader(List<Inode> files, int threads, InlineStore store) {
        pool = Executors.newFixedThreadPool(threads, r -> {
            Thread t = new Thread(r, "kiln-erofs-small");
            t.setDaemon(true);
            return t;
        });
        for (int i = 0; i < files.size(); i += CHUNK) {
            List<Inode> part = files.subList(i, Math.min(files.size(), i + CHUNK));
            tasks.add(pool.submit(() -> {
                readAll(part, store);
                return null;
            }));
        }
    }

    /** Reads {@code files} on the calling thread, into {@code store}. */
    static void readAll(List<Inode> files, InlineStore store) throws IOException {
        byte[] buf = new byte[ErofsFormat.BLOCK_SIZE + 1];
        try (Arena arena = Arena.ofConfined(); DirectoryReader dirs = new DirectoryReader()) {
            MemorySegment scratch = arena.allocate(ErofsFormat.BLOCK_SIZE + 1);
            for (Inode n : files) {
                n.layout = ErofsFormat.INODE_FLAT_INLINE;
                n.iu = ErofsFormat.NULL_ADDR;
                int size = (int) n.size;
                n.bodySize = size;
                if (n.content instanceof Content.Slice s) {
                    // One byte more than expected: the same read notices a file that grew.
                    MemorySegment into = scratch.asSlice(0, size + 1);
                    int got = dirs.read(s, into);
                    if (got == size) {
                        n.bodyAt = store.copyOf(into.asSlice(0, size));
                        continue;
                    }
                    // Not re-read the general way: what replaced the file may be a fifo, whose
                    // plain open would wait for a writer.
                    if (got >= 0) throw DataWriter.changed(n, size, got <= size ? got : DataWriter.sizeNow(s, got));
                }
                byte[] bytes = DataWriter.readSmall(n.content, size, n, buf);
                n.bodyAt = store.copyOf(bytes, 0, size);
            }
        }
    }

    /** Waits for every file; rethrows the first failure. */
    void await() throws IOException {
        for (Future<?> f : tasks) Await.result(f, "reading files");
    }

    @Override
    public void close() {
        pool.shutdownNow();
    }
}
