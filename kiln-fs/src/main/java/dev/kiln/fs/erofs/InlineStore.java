package dev.kiln.fs.erofs;

import dev.kiln.fs.host.Posix;
import java.io.EOFException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Native memory for the bytes that go inside inodes (small files and the tails of larger ones),
 * which the writer holds from the moment it reads them until the metadata is written at the end.
 *
 * <p>Why not byte arrays: in a tree of 100 000 small files these bytes are most of what a build
 * keeps alive, and every young collection copied them into the old generation, touching fresh
 * pages as it went (measured 0.3-0.4 s of pauses, and the arrays counted twice in the peak RSS).
 * Here they are copied once into 1 MiB slabs that the collector never scans. A copy is known by
 * its address, not by a {@link MemorySegment}: at a million files, a segment object per inode
 * was 40 MB of heap. {@link #read} and {@link #write} reach the bytes.
 *
 * <p>Why a file: they grow with the tree (300 MB for 300 000 files of 0-2 KiB). Past
 * {@link #RESIDENT} bytes of full slabs, each full slab is written to an unnamed temporary file,
 * whose range is then mapped over the slab's own addresses ({@link Posix#moveToFile}) so that the
 * addresses stay taken and the memory goes. From then on the bytes are read and written with
 * positional file I/O, never through the mapping: the page cache holds them, the kernel can write
 * them out under pressure, and none of it counts in the process's RSS. (Reading through the
 * mapping faulted 64 KiB in around every access, 20-30 MB at a time at the end of a large build.)
 * Where no temporary file can be made the slabs simply stay in memory.
 *
 * <p>Thread-safe: each thread fills its own slab. The memory is freed by {@link #close}.
 */
final class InlineStore implements AutoCloseable {
    private static final int SLAB = 1 << 20;
    /**
     * Full slabs kept in memory before they go to the file. Small: moving a slab costs a pwrite
     * and an mmap, and builds of /usr/share and of 100 000 files took the same time with 8 MiB as
     * with 64 MiB, while their peak RSS fell by 40-50 MB.
     */
    static final long RESIDENT = 8L << 20;

    private final Arena arena = Arena.ofShared();
    private final ThreadLocal<Slab> slabs = new ThreadLocal<>();
    /** Full slabs still in memory. */
    private final List<MemorySegment> resident = new ArrayList<>();
    /** Slabs that went to the file, by start address (to find the one an address lies in): their file offsets. */
    private final TreeMap<Long, Moved> moved = new TreeMap<>();
    private final long limit;
    /** The temporary file's descriptor, -1 before it is needed, -2 when none can be had. */
    private int fd = -1;
    /** The same file for positional reads and writes; opened with the first move. */
    private FileChannel file;
    private long fileSize;
    private long residentBytes;

    private record Moved(long size, long fileOffset) {}

    /** Bytes of the file {@link #read} takes at once, how many such windows it keeps, and them. */
    private static final int WINDOW = 8 << 10, WINDOWS = 16;
    private final byte[][] window = new byte[WINDOWS][];
    private final long[] windowAt = new long[WINDOWS];
    private final int[] windowLen = new int[WINDOWS];
    private int nextVictim;

    private static final class Slab {
        final MemorySegment memory;
        long used;

        Slab(MemorySegment memory) {
            this.memory = memory;
        }
    }

    /** The limit is {@link #RESIDENT}, or the {@code kiln.erofs.inlineResident} property (tests). */
    InlineStore() {
        this(Long.getLong("kiln.erofs.inlineResident", RESIDENT));
    }

    /** @param limit bytes of full slabs to keep in memory (tests use small ones) */
    InlineStore(long limit) {
        this.limit = limit;
    }

    /** The address of a copy of {@code src[off, off+len)} that lives until {@link #close}. */
    long copyOf(byte[] src, int off, int len) {
        return copyOf(MemorySegment.ofArray(src).asSlice(off, len));
    }

    /** The address of a copy of {@code src} that lives until {@link #close}. */
    long copyOf(MemorySegment src) {
        MemorySegment dst = take((int) src.byteSize());
        MemorySegment.copy(src, 0, dst, 0, src.byteSize());
        return dst.address();
    }

    /** The address of {@code len} zero bytes to be filled later through {@link #write}. */
    long allocate(int len) {
        return take(len).address(); // slabs are fresh anonymous memory, so zeroed
    }

    /**
     * Copies the {@code len} bytes at {@code address} (from this store) to {@code dst[off...]}.
     * The writer reads the bodies in image order, which interleaves a few runs that were each
     * stored in order (small files from each reader thread, tails, directories), so a read from
     * the file takes the next {@link #WINDOW} bytes along and keeps the last {@link #WINDOWS}
     * such windows, so one system call serves several small files. One pread per body made the
     * metadata phase 40% slower on /usr/share and at 300 000 files; a single 64 KiB window,
     * thrashed by the interleaving, was worse still on /usr/share. Sixteen of 8 KiB were as fast
     * as reading through the mapping had been, at 300 000 files, and 25% behind it on /usr/share
     * (100 ms against 80).
     */
    synchronized void read(long address, byte[] dst, int off, int len) {
        long at = fileOffset(address);
        if (at < 0) {
            MemorySegment.copy(segment(address, len), ValueLayout.JAVA_BYTE, 0, dst, off, len);
            return;
        }
        if (len > WINDOW) { // a large index: straight into place
            readFile(at, dst, off, len);
            return;
        }
        int w = 0;
        while (w < WINDOWS && !(windowLen[w] > 0 && at >= windowAt[w] && at + len <= windowAt[w] + windowLen[w])) w++;
        if (w == WINDOWS) {
            w = nextVictim;
            nextVictim = (nextVictim + 1) % WINDOWS;
            int want = (int) Math.min(WINDOW, fileSize - at);
            if (window[w] == null) window[w] = new byte[WINDOW];
            windowLen[w] = 0;
            readFile(at, window[w], 0, want);
            windowAt[w] = at;
            windowLen[w] = want;
        }
        System.arraycopy(window[w], (int) (at - windowAt[w]), dst, off, len);
    }

    private void readFile(long at, byte[] dst, int off, int len) {
        ByteBuffer b = ByteBuffer.wrap(dst, off, len);
        try {
            while (b.hasRemaining()) {
                if (file.read(b, at + b.position() - off) < 0) throw new EOFException("inline store file ends early");
            }
        } catch (IOException e) {
            throw new UncheckedIOException("reading the inline store's temporary file", e);
        }
    }

    /** Copies {@code src[off, off+len)} over the bytes at {@code address} (from {@link #allocate}). */
    synchronized void write(long address, byte[] src, int off, int len) {
        Arrays.fill(windowLen, 0); // a window may hold the old bytes
        long at = fileOffset(address);
        if (at < 0) {
            MemorySegment.copy(src, off, segment(address, len), ValueLayout.JAVA_BYTE, 0, len);
            return;
        }
        ByteBuffer b = ByteBuffer.wrap(src, off, len);
        try {
            while (b.hasRemaining()) file.write(b, at + b.position() - off);
        } catch (IOException e) {
            throw new UncheckedIOException("writing the inline store's temporary file", e);
        }
    }

    /** Where the bytes at {@code address} are in the file, or -1 when they are in memory. */
    private synchronized long fileOffset(long address) {
        Map.Entry<Long, Moved> slab = moved.floorEntry(address);
        if (slab == null || address >= slab.getKey() + slab.getValue().size()) return -1;
        return slab.getValue().fileOffset() + (address - slab.getKey());
    }

    private MemorySegment segment(long address, int len) {
        return MemorySegment.ofAddress(address).reinterpret(len, arena, null);
    }

    private MemorySegment take(int len) {
        Slab s = slabs.get();
        if (s == null || s.used + len > s.memory.byteSize()) {
            synchronized (this) {
                if (s != null) retire(s.memory);
                // Inline bytes are under a block; a larger copy still gets a slab of its own.
                s = new Slab(Posix.mapAnonymous(Math.max(SLAB, (len + 4095L) & -4096L), arena));
            }
            slabs.set(s);
        }
        MemorySegment dst = s.memory.asSlice(s.used, len);
        s.used += len;
        return dst;
    }

    /** A slab no thread writes to any more: past the limit, it and the others go to the file. */
    private void retire(MemorySegment full) {
        resident.add(full);
        residentBytes += full.byteSize();
        if (residentBytes <= limit || fd == -2) return;
        if (fd == -1) {
            fd = Posix.openTemporary(Path.of(System.getProperty("java.io.tmpdir")));
            if (fd < 0) {
                fd = -2;
                return;
            }
            try {
                // The unnamed file has no path but this one, which opens the same inode again.
                file = FileChannel.open(Path.of("/proc/self/fd/" + fd), StandardOpenOption.READ, StandardOpenOption.WRITE);
            } catch (IOException e) {
                Posix.closeFd(fd);
                fd = -2;
                return;
            }
        }
        while (!resident.isEmpty()) {
            MemorySegment m = resident.getLast();
            if (!Posix.moveToFile(m, fd, fileSize)) return; // disk full: what is left stays in memory
            moved.put(m.address(), new Moved(m.byteSize(), fileSize));
            fileSize += m.byteSize();
            residentBytes -= m.byteSize();
            resident.removeLast();
        }
    }

    @Override
    public void close() {
        arena.close();
        try {
            if (file != null) file.close();
        } catch (IOException e) {
            // nothing was lost: the file is unnamed and goes with its last descriptor
        }
        if (fd >= 0) Posix.closeFd(fd);
    }
}
