package dev.kiln.fs.erofs;

import static dev.kiln.fs.erofs.format.Erofs.BLOCK_SIZE;

import dev.kiln.fs.Content;
import dev.kiln.fs.EntryPath;
import dev.kiln.fs.io.FileFeed;
import dev.kiln.fs.KilnException;
import dev.kiln.fs.Node;
import dev.kiln.fs.erofs.format.InodeCore;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import dev.kiln.fs.io.Await;
import dev.kiln.fs.io.Workers;

/**
 * Uncompressed file data copied to its place in the image while the source is still being
 * walked, so the copy (mostly the kernel's) overlaps the walk instead of following it.
 *
 * <p>The writer lays file data out first, in tree order, from {@link #FIRST_BLOCK} (directory
 * blocks follow it; see {@link ErofsWriter}). So where a file's blocks go depends only on the
 * files before it: how many blocks each takes, which is its size less the tail when the tail fits
 * in one block with the inode and its xattrs. The walk tells each file with its final metadata,
 * which gives the inode's size; an xattr body's size depends on which xattrs other files share,
 * so a file whose layout would change with that stops the plan there. A thread takes the planned
 * files in order: whole blocks go to the image with direct I/O ({@link DirectCopier}), or with
 * {@code transferTo} where the file system has none; tails and files that fit in their inode go
 * into the {@link InlineStore} the writer then adopts. Direct I/O is what makes the overlap pay on
 * two cores: a buffered copy is CPU work too, and beside it the walk slowed down as much as the
 * copy saved (measured on /usr/share: 1.37 s without a feed, 1.46 s with a buffered one).
 *
 * <p>The writer checks the plan against the finished tree file by file ({@link #agrees}) and
 * takes over the longest prefix that matches; it cuts whatever was copied past it and writes the
 * rest itself. The image is the same bytes either way.
 */
final class PlainFeed implements FileFeed {
    /** Where file data starts when block 0 holds the superblock, the root inode and no shared xattrs. */
    static final long FIRST_BLOCK = 1;

    /** How a file is stored; its blocks follow from the kind and the size ({@link #blocks}). */
    static final byte EMPTY = 0, INODE_ONLY = 1, INLINE_TAIL = 2, PLAIN = 3;

    private static final Object END = new Object();

    private record Job(int index, EntryPath path, Content.Slice content, byte kind, long start) {}

    private final SeekableByteChannel out;
    /** The file {@code out} writes, which {@link DirectCopier} opens again; null to copy through {@code out}. */
    private final Path image;
    private volatile boolean directCopies;
    private final long buildTime;
    private final InlineStore store = new InlineStore();
    private boolean storeTaken;
    /** Files with blocks, copied in order by one thread (the image's writes are serial anyway). */
    private final ArrayBlockingQueue<Object> blockJobs = new ArrayBlockingQueue<>(4096);
    /** Files that fit in their inode: no blocks, so another thread reads them, in any order. */
    private final ArrayBlockingQueue<Object> smallJobs = new ArrayBlockingQueue<>(4096);
    private final Future<?> copier;
    private final Future<?> smallReader;

    // The walk's side, read by the writer on the same thread: the plan, one slot per file told.
    private long cursor = FIRST_BLOCK;
    private Content[] contents = new Content[1024];
    private byte[] kinds = new byte[1024];
    private long[] starts = new long[1024];
    private int planned;
    /** A file could not be planned; nothing after it is. */
    private boolean stopped;
    private boolean ended;

    /**
     * Where each file's tail or body went in the inline store, written by the two threads: in
     * chunks that the walk allocates before it hands out their first file, so no thread ever
     * sees an array being replaced. 4096 chunks of 4096 files; the plan stops past 16 M files.
     */
    private static final int CHUNK_BITS = 12;
    private final long[][] bodies = new long[1 << CHUNK_BITS][];
    /** The lowest index whose copy failed; the writer redoes that file and fails its own way. */
    private final AtomicInteger failedAt = new AtomicInteger(Integer.MAX_VALUE);
    private volatile boolean cancelled;

    PlainFeed(SeekableByteChannel out, Path image, long buildTime, Workers workers) {
        this.out = out;
        this.image = image;
        this.buildTime = buildTime;
        this.copier = workers.start("kiln-erofs-early-copy", this::copyBlocks);
        this.smallReader = workers.start("kiln-erofs-early-small", this::readSmall);
    }

    /**
     * How a file of {@code size} bytes is stored when inode and xattrs take {@code meta} bytes:
     * the safe tail rule (reference §3.2), which the writer applies through this method too.
     */
    static byte kind(long size, int meta) {
        if (size == 0) return EMPTY;
        int tail = (int) (size % BLOCK_SIZE);
        if (tail > 0 && meta + tail <= BLOCK_SIZE) return size < BLOCK_SIZE ? INODE_ONLY : INLINE_TAIL;
        return PLAIN;
    }

    /** Data blocks a file of that kind and size takes. */
    static long blocks(long size, byte kind) {
        return switch (kind) {
            case INLINE_TAIL -> size / BLOCK_SIZE;
            case PLAIN -> (size + BLOCK_SIZE - 1) / BLOCK_SIZE;
            default -> 0;
        };
    }

    @Override
    public void file(EntryPath path, Node.File file) {
        if (stopped) return;
        if (!(file.content() instanceof Content.Slice slice)) {
            stopped = true; // only host files are told; anything else the writer copies and sums itself
            return;
        }
        long size = slice.size();
        int inode = Inode.needsExtended(file.meta(), size, 1, buildTime)
                ? InodeCore.EXTENDED_SIZE : InodeCore.COMPACT_SIZE;
        byte kind = kind(size, inode);
        if (!file.meta().xattrs().isEmpty()) {
            try {
                int[] x = XattrEncoder.ibodyBounds(file.meta().xattrs(), path);
                kind = kind(size, inode + x[0]);
                if (kind != kind(size, inode + x[1])) {
                    stopped = true;
                    return;
                }
            } catch (KilnException e) { // an xattr EROFS cannot store: the writer says so
                stopped = true;
                return;
            }
        }
        int i = planned++;
        if (i == contents.length) {
            int n = i * 2;
            contents = Arrays.copyOf(contents, n);
            kinds = Arrays.copyOf(kinds, n);
            starts = Arrays.copyOf(starts, n);
        }
        contents[i] = slice;
        kinds[i] = kind;
        starts[i] = cursor;
        int chunk = i >>> CHUNK_BITS;
        if (chunk == bodies.length) {
            stopped = true;
            planned--;
            return;
        }
        if (bodies[chunk] == null) bodies[chunk] = new long[1 << CHUNK_BITS];
        Job job = new Job(i, path, slice, kind, cursor);
        if (kind == INODE_ONLY) put(smallJobs, job);
        else if (kind != EMPTY) put(blockJobs, job);
        cursor += blocks(size, kind);
    }

    @Override
    public void end() {
        ended = true;
        put(blockJobs, END);
        put(smallJobs, END);
    }

    private void put(ArrayBlockingQueue<Object> queue, Object job) {
        try {
            queue.put(job);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            stopped = true;
        }
    }

    /**
     * Waits for the copies; true when the walk told every file it meant to (end() was called),
     * false when the feed was never completed, which leaves nothing to take over.
     */
    boolean finish() throws IOException {
        if (!ended) {
            close();
            return false;
        }
        Await.result(copier, "copying file data");
        Await.result(smallReader, "copying file data");
        return true;
    }

    /** Files copied, in the order told, up to the first that failed; the writer's check stops there. */
    int copied() {
        return Math.min(planned, failedAt.get());
    }

    /** Whether the {@code i}-th file copied is {@code content}, stored as {@code kind}, from block {@code start}. */
    boolean agrees(int i, Content content, byte kind, long start) {
        return i < copied() && contents[i] == content && kinds[i] == kind
                && (kind == EMPTY || kind == INODE_ONLY || starts[i] == start);
    }

    /** Where in the inline store the {@code i}-th file's tail or whole body is. */
    long body(int i) {
        return bodies[i >>> CHUNK_BITS][i & ((1 << CHUNK_BITS) - 1)];
    }

    /** The inline store that holds the copied tails; whoever takes it closes it. */
    InlineStore takeStore() {
        storeTaken = true;
        return store;
    }

    private void copyBlocks() {
        DirectCopier direct = image == null ? null : DirectCopier.open(image);
        if (direct == null) {
            DataWriter data = new DataWriter(out);
            drain(blockJobs, j -> {
                byte[] tail = data.write(j.content(), j.content().size(), j.start(), j.kind() == INLINE_TAIL, j.path(), null);
                return tail == null ? 0 : store.copyOf(tail, 0, tail.length);
            });
            return;
        }
        directCopies = true;
        try (direct) {
            drain(blockJobs, j -> {
                long size = j.content().size();
                long full = j.kind() == INLINE_TAIL ? size / BLOCK_SIZE * BLOCK_SIZE : size;
                byte[] tail;
                try {
                    tail = direct.copy(j.index(), j.content(), size, full, j.start());
                } catch (IOException | RuntimeException e) {
                    failFrom(direct.pendingFrom());
                    throw e;
                }
                return tail.length == 0 ? 0 : store.copyOf(tail, 0, tail.length);
            });
            try {
                direct.flush();
            } catch (IOException | RuntimeException e) {
                failFrom(direct.pendingFrom());
            }
        }
    }

    /** Marks the files from {@code index} on as not copied (nothing when -1). */
    private void failFrom(int index) {
        if (index >= 0) failedAt.accumulateAndGet(index, Math::min);
    }

    /** Whether the block data went to the image with direct I/O ({@link DirectCopier}); tests check it. */
    boolean directCopies() {
        return directCopies;
    }

    private void readSmall() {
        try (SmallFileReader.Reader small = new SmallFileReader.Reader(store)) {
            drain(smallJobs, j -> small.read(j.content(), (int) j.content().size(), j.path()));
        }
    }

    private interface Copy {
        long run(Job j) throws IOException;
    }

    /** Runs {@code copy} on each job until the end; after a failure or a cancel only drains, so the walk never blocks. */
    private void drain(ArrayBlockingQueue<Object> queue, Copy copy) {
        while (true) {
            Object o;
            try {
                o = queue.take();
            } catch (InterruptedException e) {
                failedAt.set(0);
                return;
            }
            if (o == END) return;
            Job j = (Job) o;
            if (cancelled || j.index() >= failedAt.get()) continue;
            try {
                bodies[j.index() >>> CHUNK_BITS][j.index() & ((1 << CHUNK_BITS) - 1)] = copy.run(j);
            } catch (Throwable e) {
                failedAt.accumulateAndGet(j.index(), Math::min);
            }
        }
    }

    /**
     * Stops the copies without interrupting them (an interrupt would close the image's channel
     * under a transfer) and closes the inline store unless the writer took it.
     */
    @Override
    public void close() {
        cancelled = true;
        stop(copier, blockJobs);
        stop(smallReader, smallJobs);
        if (!storeTaken) store.close();
    }

    private static void stop(Future<?> t, ArrayBlockingQueue<Object> queue) {
        if (t.isDone()) return;
        queue.clear();
        queue.offer(END);
        try {
            t.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | java.util.concurrent.CancellationException e) {
            // a failed copy is recorded in failedAt; nothing more to say while stopping
        }
    }
}
