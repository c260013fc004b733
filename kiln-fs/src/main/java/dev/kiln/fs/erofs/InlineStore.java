package dev.kiln.fs.erofs;

import dev.kiln.fs.host.Posix;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
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
 * was 40 MB of heap. {@link #segment} gives a view when the bytes are needed.
 *
 * <p>Why a file: they grow with the tree (300 MB for 300 000 files of 0-2 KiB). Past
 * {@link #RESIDENT} bytes of full slabs, each full slab is written to an unnamed temporary file
 * and that file range is mapped over the slab's own addresses ({@link Posix#moveToFile}), so
 * every segment handed out stays valid while its bytes leave the process for the page cache,
 * which the kernel can write out under pressure. Reading them back at the end faults pages in
 * again, so the writer calls {@link #release} as it goes. Where no temporary file can be made
 * the slabs simply stay in memory.
 *
 * <p>Thread-safe: each thread fills its own slab. The memory is freed by {@link #close}, after
 * which no segment handed out may be read.
 */
final class InlineStore implements AutoCloseable {
    private static final int SLAB = 1 << 20;
    /**
     * Full slabs kept in memory before they go to the file. Small: moving a slab costs a pwrite
     * and an mmap, and builds of /usr/share and of 100 000 files took the same time with 8 MiB as
     * with 64 MiB, while their peak RSS fell by 40-50 MB.
     */
    static final long RESIDENT = 8L << 20;
    /**
     * Bytes read back between two {@link #release} calls. Small, because the kernel maps 64 KiB
     * around each page fault and the bodies are read in image order, not slab order: 64 MiB of
     * reading had brought 260 MB of the file back into the process, 8 MiB still 90 MB at 300 000
     * files. Each release touches only the slabs read since the last one ({@link #readBack}).
     */
    static final long RELEASE_STEP = 1L << 20;

    private final Arena arena = Arena.ofShared();
    private final ThreadLocal<Slab> slabs = new ThreadLocal<>();
    /** Full slabs still in memory. */
    private final List<MemorySegment> resident = new ArrayList<>();
    /**
     * Slabs that went to the file, by start address (to find the one a segment lies in), and
     * those of them read since the last {@link #release}.
     */
    private final TreeMap<Long, MemorySegment> moved = new TreeMap<>();
    private final Set<MemorySegment> readSinceRelease = Collections.newSetFromMap(new IdentityHashMap<>());
    private final long limit;
    /** The temporary file's descriptor, -1 before it is needed, -2 when none can be had. */
    private int fd = -1;
    private long fileSize;
    private long residentBytes;

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
        MemorySegment dst = take(len);
        MemorySegment.copy(src, off, dst, ValueLayout.JAVA_BYTE, 0, len);
        return dst.address();
    }

    /** The address of {@code len} zero bytes to be filled later through {@link #segment}. */
    long allocate(int len) {
        return take(len).address(); // slabs are fresh anonymous memory, so zeroed
    }

    /** The bytes at {@code address} (from this store), valid until {@link #close}. */
    MemorySegment segment(long address, int len) {
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
        }
        while (!resident.isEmpty()) {
            MemorySegment m = resident.getLast();
            if (!Posix.moveToFile(m, fd, fileSize)) return; // disk full: what is left stays in memory
            fileSize += m.byteSize();
            residentBytes -= m.byteSize();
            moved.put(m.address(), resident.removeLast());
        }
    }

    /** Notes that the bytes at {@code address} (from this store) are being read, for {@link #release}. */
    synchronized void readBack(long address) {
        Map.Entry<Long, MemorySegment> slab = moved.floorEntry(address);
        if (slab != null && address < slab.getKey() + slab.getValue().byteSize()) {
            readSinceRelease.add(slab.getValue());
        }
    }

    /**
     * Lets go of the file pages that reading the bytes back has brought into the process: they
     * stay in the page cache and fault in again if read again. Only moved slabs noted by
     * {@link #readBack} are released; slabs still in memory are left alone (dropping those would
     * lose their bytes).
     */
    synchronized void release() {
        for (MemorySegment m : readSinceRelease) Posix.dontNeed(m);
        readSinceRelease.clear();
    }

    @Override
    public void close() {
        arena.close();
        if (fd >= 0) Posix.closeFd(fd);
    }
}
