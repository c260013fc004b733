package dev.kiln.fs.erofs;

import dev.kiln.fs.io.Await;
import dev.kiln.fs.Content;
import dev.kiln.fs.erofs.format.Erofs;
import dev.kiln.fs.erofs.format.InodeCore;
import dev.kiln.fs.host.DirectoryReader;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import dev.kiln.fs.io.Workers;
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

    SmallFileReader(List<Inode> files, int threads, InlineStore store, Workers workers) {
        pool = workers.pool("kiln-erofs-small", threads);
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
        try (Reader reader = new Reader(store)) {
            for (Inode n : files) {
                n.layout = InodeCore.FLAT_INLINE;
                n.iu = Erofs.NULL_ADDR;
                n.bodySize = (int) n.size;
                n.bodyAt = reader.read(n.content, (int) n.size, n);
            }
        }
    }

    /** Reads small files one after another into a store, on the thread that created it. */
    static final class Reader implements AutoCloseable {
        private final InlineStore store;
        private final byte[] buf = new byte[Erofs.BLOCK_SIZE + 1];
        private final Arena arena = Arena.ofConfined();
        private final DirectoryReader dirs = new DirectoryReader();
        private final MemorySegment scratch = arena.allocate(Erofs.BLOCK_SIZE + 1);

        Reader(InlineStore store) {
            this.store = store;
        }

        /** The store address of a copy of the {@code size} bytes of {@code content}; {@code where} names it in messages. */
        long read(Content content, int size, Object where) throws IOException {
            if (content instanceof Content.Slice s) {
                // One byte more than expected: the same read notices a file that grew.
                MemorySegment into = scratch.asSlice(0, size + 1);
                int got = dirs.read(s, into);
                if (got == size) return store.copyOf(into.asSlice(0, size));
                // Not re-read the general way: what replaced the file may be a fifo, whose
                // plain open would wait for a writer.
                if (got >= 0) throw DataWriter.changed(where, size, got <= size ? got : DataWriter.sizeNow(s, got));
            }
            byte[] bytes = DataWriter.readSmall(content, size, where, buf);
            return store.copyOf(bytes, 0, size);
        }

        @Override
        public void close() {
            dirs.close();
            arena.close();
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
