package dev.kiln.fs.erofs;

import dev.kiln.fs.io.Await;
import dev.kiln.fs.Content;
import dev.kiln.fs.EntryPath;
import dev.kiln.fs.io.FileFeed;
import dev.kiln.fs.Node;
import dev.kiln.fs.erofs.format.Erofs;
import dev.kiln.fs.host.DirectoryReader;
import dev.kiln.fs.host.Posix;
import dev.kiln.fs.lz4.Lz4Compressor;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ConcurrentLinkedQueue;
import dev.kiln.fs.io.Workers;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.function.Supplier;

/**
 * Compresses file data on all cores with bounded memory, handing results back in file order.
 *
 * <p>A producer thread reads the files to compress, in the order the writer will consume them,
 * into batches of at most {@link #BATCH_BYTES}: small files share a batch, larger ones are cut
 * into segments at fixed 4 MiB file offsets (each segment is compressed on its own, so a cut
 * only ends an extent). Each batch goes to a fixed pool of workers, each with its own
 * compressor; the writer takes finished batches strictly in submission order. A fixed number of
 * batch buffers circulates, so memory stays at a few MiB per worker whatever the file sizes,
 * and since how data is cut depends only on file sizes the output never depends on timing.
 *
 * <p>The files arrive either all at once ({@link #of}) or one by one while a source is still
 * being walked, as a {@link FileFeed}: compression then starts during the walk, on the cores the
 * walk leaves idle, and the writer takes the pipeline over if the finished tree holds the same
 * files in the same order ({@link #fedExactly}).
 */
final class CompressionPipeline implements FileFeed {
    static final int BATCH_BYTES = 4 << 20;

    /** Whether a file is worth compressing: one of a block or less cannot save a block. */
    static boolean worthCompressing(long size) {
        return size > Erofs.BLOCK_SIZE;
    }

    /** One piece of one file inside a batch, with its compressed result once the batch is done. */
    static final class Segment {
        final Content content;
        final int inOff;
        final int length;
        final boolean last;
        Batch batch;
        int outOff;
        int outLen;
        final PclusterPacker.Extents extents = new PclusterPacker.Extents();

        Segment(Content content, int inOff, int length, boolean last) {
            this.content = content;
            this.inOff = inOff;
            this.length = length;
            this.last = last;
        }
    }

    static final class Batch {
        final byte[] in = new byte[BATCH_BYTES];
        int inUsed;
        byte[] out = new byte[0];
        final List<Segment> segments = new ArrayList<>();
    }

    /** A file to compress; named in messages by its inode, or by the path a feed gave. */
    private record Job(Content content, Inode inode, EntryPath path) {
        EntryPath where() {
            return inode != null ? inode.path() : path;
        }
    }

    private static final Job NO_MORE = new Job(null, null, null);
    private static final Future<Batch> END = CompletableFuture.completedFuture(null);

    /**
     * Batches beyond one per worker when fed (see {@link #fed}); each holds about 8 MiB, input and
     * output. An LZ4HC build of /usr/share on 2 cores: 10.60 s with 2, 9.95 s with 4 and 9.91 s with
     * 6 (interleaved runs), peak RSS 211, 235 and 284 MB.
     */
    private static final int FED_EXTRA_BATCHES = 4;

    private final LinkedBlockingQueue<Job> jobs = new LinkedBlockingQueue<>();
    /** What a feed told, in order, to compare with the finished tree; null for {@link #of}. */
    private final List<Content> fed;
    private volatile boolean ended;
    private final ExecutorService workers;
    /**
     * Packers not in use; a worker takes one per batch. A pool rather than one per thread, since
     * the threads may be a server's, shared by many builds, and outlive this pipeline.
     */
    private final ConcurrentLinkedQueue<PclusterPacker> packers = new ConcurrentLinkedQueue<>();
    private final Supplier<PclusterPacker> newPacker;
    private final ArrayBlockingQueue<Batch> free;
    private final int maxBatches;
    private int created;
    private final LinkedBlockingQueue<Future<Batch>> done = new LinkedBlockingQueue<>();
    private final Future<?> producer;
    private Batch current;
    private int next;

    /** A pipeline over {@code files}, all known now. {@code probe}: see {@link PclusterPacker#PclusterPacker}. */
    static CompressionPipeline of(List<Inode> files, Supplier<Lz4Compressor> compressors, int pclusterSize,
                                  boolean probe, Workers workers) {
        CompressionPipeline p = new CompressionPipeline(compressors, pclusterSize, probe, workers, false);
        for (Inode f : files) p.jobs.add(new Job(f.content, f, null));
        p.jobs.add(NO_MORE);
        return p;
    }

    /**
     * A pipeline that compresses files as a {@link FileFeed} tells them. It may run further ahead
     * than one fed all at once: nothing consumes its batches until the walk and the layout are
     * done, and with the two spare batches that suffice otherwise it stalled long before the walk ended.
     */
    static CompressionPipeline fed(Supplier<Lz4Compressor> compressors, int pclusterSize, boolean probe, Workers workers) {
        return new CompressionPipeline(compressors, pclusterSize, probe, workers, true);
    }

    private CompressionPipeline(Supplier<Lz4Compressor> compressors, int pclusterSize, boolean probe, Workers pool,
                                boolean fed) {
        int threads = pool.parallelism();
        this.fed = fed ? new ArrayList<>() : null;
        this.maxBatches = threads + (fed ? FED_EXTRA_BATCHES : 2);
        this.free = new ArrayBlockingQueue<>(maxBatches);
        this.newPacker = () -> new PclusterPacker(compressors.get(), pclusterSize, probe);
        this.workers = pool.pool("kiln-erofs-compress", threads);
        this.producer = pool.start("kiln-erofs-read", this::produce);
    }

    @Override
    public void file(EntryPath path, Node.File file) {
        Content content = file.content();
        if (!worthCompressing(content.size())) return;
        fed.add(content);
        jobs.add(new Job(content, null, path));
    }

    @Override
    public void end() {
        ended = true;
        jobs.add(NO_MORE);
    }

    /**
     * Whether the feed ended having told exactly {@code files}' contents, in order: then this
     * pipeline's batches are what {@link #of} would make of them.
     */
    boolean fedExactly(List<Inode> files) {
        if (!ended || fed.size() != files.size()) return false;
        for (int i = 0; i < files.size(); i++) {
            if (fed.get(i) != files.get(i).content) return false;
        }
        return true;
    }

    /** The next segment in file order; the previous batch is recycled when this moves past it. */
    Segment next() throws IOException {
        while (current == null || next >= current.segments.size()) {
            if (current != null) recycle(current);
            current = null;
            Future<Batch> f;
            try {
                f = done.take();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new java.io.InterruptedIOException("interrupted while compressing");
            }
            if (f == END) throw new IllegalStateException("compression pipeline ran dry");
            current = Await.result(f, "compressing");
            next = 0;
        }
        return current.segments.get(next++);
    }

    private void produce() {
        try (DirectoryReader dirs = new DirectoryReader()) {
            Batch b = null; // taken with the first file: a feed may tell none worth compressing
            byte[] probe = new byte[1];
            for (Job f = jobs.take(); f != NO_MORE; f = jobs.take()) {
                Content content = f.content;
                long size = content.size();
                try (FileReader in = open(content, dirs)) {
                    long off = 0;
                    while (off < size) {
                        int len = (int) Math.min(BATCH_BYTES, size - off);
                        if (b == null) {
                            b = take();
                        } else if (b.inUsed + len > BATCH_BYTES) {
                            submit(b);
                            b = take();
                        }
                        int n = in.read(b.in, b.inUsed, len);
                        if (n != len) throw DataWriter.changed(f.where(), size, off + n);
                        b.segments.add(new Segment(content, b.inUsed, len, off + len == size));
                        b.inUsed += len;
                        off += len;
                    }
                    if (in.read(probe, 0, 1) != 0) {
                        throw DataWriter.changed(f.where(), size, DataWriter.sizeNow(content, size + 1));
                    }
                }
            }
            if (b != null) submit(b);
            done.add(END);
        } catch (InterruptedException e) {
            // close() stops us: nobody is waiting for more batches.
        } catch (Throwable t) {
            done.add(CompletableFuture.failedFuture(t));
        }
    }

    /** One file's bytes in order, read until a range is full or the file ends. */
    private interface FileReader extends AutoCloseable {
        int read(byte[] dst, int off, int len) throws IOException;

        @Override
        void close() throws IOException;
    }

    /**
     * A file found by a walk is opened relative to its directory, without following a symlink or
     * waiting for a fifo (one replaced since the walk fails instead of hanging), and read straight
     * into the batch; any other content through its stream, whose bound stops at the announced size.
     */
    private static FileReader open(Content content, DirectoryReader dirs) throws IOException {
        if (content instanceof Content.Slice s) {
            int fd = dirs.open(s);
            if (fd >= 0) {
                Posix posix = dirs.posix();
                return new FileReader() {
                    @Override
                    public int read(byte[] dst, int off, int len) throws IOException {
                        return posix.read(fd, dst, off, len, s.file());
                    }

                    @Override
                    public void close() {
                        posix.close(fd);
                    }
                };
            }
        }
        InputStream in = content.open();
        return new FileReader() {
            @Override
            public int read(byte[] dst, int off, int len) throws IOException {
                return in.readNBytes(dst, off, len);
            }

            @Override
            public void close() throws IOException {
                in.close();
            }
        };
    }

    private Batch take() throws InterruptedException {
        Batch b = free.poll();
        if (b != null) return b;
        synchronized (this) {
            if (created < maxBatches) {
                created++;
                return new Batch();
            }
        }
        return free.take();
    }

    private void submit(Batch b) {
        done.add(workers.submit(() -> compress(b)));
    }

    private Batch compress(Batch b) {
        int need = 0;
        for (Segment s : b.segments) need += PclusterPacker.maxOutput(s.length);
        if (b.out.length < need) b.out = new byte[need];
        PclusterPacker packer = packers.poll();
        if (packer == null) packer = newPacker.get();
        int o = 0;
        for (Segment s : b.segments) {
            s.batch = b;
            s.outOff = o;
            s.outLen = packer.pack(b.in, s.inOff, s.length, b.out, o, s.extents);
            o += s.outLen;
        }
        packers.add(packer);
        return b;
    }

    private void recycle(Batch b) {
        b.inUsed = 0;
        b.segments.clear();
        free.add(b);
    }

    @Override
    public void close() {
        producer.cancel(true);
        workers.shutdownNow();
    }
}
