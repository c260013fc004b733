package dev.kiln.fs.target;

import dev.kiln.fs.Entry;
import dev.kiln.fs.Node;
import dev.kiln.fs.Tree;
import java.nio.charset.StandardCharsets;

/**
 * The guest memory (QEMU {@code -m}, in MiB) a Unikraft 0.17 unikernel needs to unpack an
 * initrd into ramfs and then visit every entry, worked out from the tree and the archive size.
 *
 * <p>The rule comes from measurement: {@code bench/unikraft-memory.sh} finds the smallest
 * {@code -m} that boots a real Unikraft 0.17 guest (the unikraft-probe kernel, walking the
 * whole tree) by bisection, over synthetic and system trees of many shapes, and
 * {@code bench/results/unikraft-memory.md} lists each measured minimum beside this rule's
 * figure. The acceptance criterion: never below the minimum, at most 25 % above it (the
 * committed run: 1.000 to 1.034 times the minimum over 25 trees). Below the
 * minimum, the boot stops in ukcpio with "Failed to load content: Input/output error" (a
 * file's data found no memory) or "Failed to create file: Cannot allocate memory".
 *
 * <p>Where the memory goes, each part pinned down by its own series of boots:
 * <ul>
 * <li>QEMU loads the initrd right after the kernel image and Unikraft leaves it there, so the
 *   archive stays in memory whole; the heap starts past the kernel, the archive and 20 KiB
 *   (found by moving a 4 MiB block across the 8 MiB boundary with padding after the trailer).
 * <li>Every allocation comes from a binary buddy allocator as whole 4 KiB pages, in blocks of
 *   2^k pages aligned to their own size, with a header in front that costs a page of its own
 *   once a request fills its pages.
 * <li>ramfs keeps each file in one buffer of its size rounded up to a page, so a file of
 *   s &gt; 0 bytes takes the block of 2^⌈log2(⌈s / 4096⌉ + 1)⌉ pages: 8 KiB for 1 byte to
 *   4 KiB, 16 KiB up to 12 KiB, 2 MiB for 1 MiB minus 4 KiB plus one byte. Empty files take
 *   none.
 * <li>Each directory, file and symlink costs 2 pages (8 KiB: slopes of 500 to 8 000 empty files
 *   and directories); a symlink 1 more for its target.
 * <li>A directory level costs about 6 pages while paths are resolved and the tree is walked
 *   (the probe keeps one directory open per level), so the deepest path counts.
 * <li>Besides, 5 pages are kept for the boot and the top of memory (calibrated with flat trees
 *   of empty files at 3, 8 and 16 MiB).
 * </ul>
 * Blocks of a MiB or more are why an additive sum falls short: a single 16 MiB file needs a
 * 32 MiB block on a 32 MiB boundary, above the archive, so that guest needs 65 MiB. The rule
 * therefore packs the blocks into the heap as a buddy allocator can (for power-of-two blocks,
 * the blocks fit when, for each order, the free aligned blocks of that order or larger hold
 * the demand of that order or larger), adds 1/64 of the entries' and files' pages as a margin
 * for what the measurements did not separate, and returns the first whole MiB where everything
 * fits. Each constant sits at or near the safe end of the interval its boots allowed.
 *
 * <p>What it does not cover: the application's own memory comes on top, and other kernels
 * start their heap elsewhere ({@link #of(Tree, long, long)} takes the kernel's end). Measured
 * with QEMU 7.2 (TCG, SeaBIOS) up to about 600 MiB of guest memory.
 */
public final class UnikraftMemory {
    private UnikraftMemory() {}

    /** Where the probe kernel's image ends in guest memory: its last PT_LOAD segment, 0x160000 + 0x51000. */
    public static final long PROBE_KERNEL_END = 0x1B1000;

    private static final int PAGE = 4096;
    private static final long MIB = 1 << 20;
    /** Between the kernel's end and the heap, besides the archive (page rounding and the initrd's placement). */
    private static final long BEFORE_HEAP = 5 * PAGE;
    private static final int BOOT_PAGES = 4;
    private static final int TOP_PAGES = 1;
    private static final int PAGES_PER_ENTRY = 2;
    private static final int PAGES_PER_LEVEL = 6;
    /** The ukalloc header in front of every block. */
    private static final int HEADER = 16;
    private static final int MARGIN_DIVISOR = 64;
    private static final int ORDERS = 63;

    /**
     * What the guest needs, and what for.
     *
     * @param mib          guest memory to give QEMU ({@code -m}); the application's own comes on top
     * @param entries      directories, files and symlinks that ukcpio creates
     * @param fileBytes    the ramfs copies of the files, as the allocator hands them out
     * @param entryBytes   the entries themselves
     * @param archiveBytes the initrd, which stays in memory
     * @param depth        the deepest path's number of components
     */
    public record Need(long mib, long entries, long fileBytes, long entryBytes, long archiveBytes, int depth) {}

    /** {@link #of(Tree, long)}'s figure alone: the {@code -m} value in MiB. */
    public static long requiredMiB(Tree tree, long archiveBytes) {
        return of(tree, archiveBytes).mib();
    }

    /** For a kernel as large as the probe (1.7 MiB of image and data). */
    public static Need of(Tree tree, long archiveBytes) {
        return of(tree, archiveBytes, PROBE_KERNEL_END);
    }

    /**
     * @param tree         what ukcpio extracts (a hard link counts as a full copy, as ukcpio makes one)
     * @param archiveBytes the initrd's size
     * @param kernelEnd    the guest-physical address where the kernel's highest loaded segment ends
     */
    public static Need of(Tree tree, long archiveBytes, long kernelEnd) {
        long[] blocks = new long[ORDERS]; // demanded blocks by order (2^k pages)
        long entries = 0, fileBytes = 0;
        int depth = 0;
        for (Entry e : tree.entries()) {
            if (e.path().isRoot()) continue;
            Node n = e.node() instanceof Node.HardLink l ? tree.resolve(l.target()) : e.node();
            switch (n) {
                case Node.Directory d -> { }
                case Node.File f -> {
                    long size = f.content().size();
                    if (size > 0) {
                        int k = order(Math.ceilDiv(size, PAGE) + 1);
                        blocks[k]++;
                        fileBytes += (long) PAGE << k;
                    }
                }
                case Node.Symlink s -> blocks[order(Math.ceilDiv(s.target().getBytes(StandardCharsets.UTF_8).length + 1 + HEADER, PAGE))]++;
                default -> { continue; } // devices, fifos and sockets: ukcpio skips them
            }
            entries++;
            depth = Math.max(depth, e.path().depth());
        }
        blocks[0] += entries * PAGES_PER_ENTRY;
        long demand = 0;
        for (int k = 0; k < ORDERS; k++) demand += blocks[k] << k;
        blocks[0] += BOOT_PAGES + (long) PAGES_PER_LEVEL * depth + Math.ceilDiv(demand, MARGIN_DIVISOR);

        long heapStart = Math.ceilDiv(kernelEnd + BEFORE_HEAP + archiveBytes, PAGE);
        long pages = 0;
        for (int k = 0; k < ORDERS; k++) pages += blocks[k] << k;
        long mib = Math.max(1, Math.ceilDiv((heapStart + pages + TOP_PAGES) * PAGE, MIB));
        while (!fits(blocks, heapStart, mib * (MIB / PAGE) - TOP_PAGES)) mib++;
        return new Need(mib, entries, fileBytes, entries * PAGES_PER_ENTRY * (long) PAGE, archiveBytes, depth);
    }

    /** The k with 2^(k-1) &lt; pages &lt;= 2^k: the buddy order of a request of that many pages. */
    private static int order(long pages) {
        return pages <= 1 ? 0 : 64 - Long.numberOfLeadingZeros(pages - 1);
    }

    /**
     * Whether the demanded blocks fit in the pages [from, to) cut into aligned power-of-two
     * blocks as the buddy allocator cuts its free memory. Going down from the largest order,
     * what the larger free blocks leave over splits exactly into blocks of the smaller orders,
     * so comparing the running sums decides.
     */
    private static boolean fits(long[] blocks, long from, long to) {
        long[] free = new long[ORDERS];
        for (long at = from; at < to; ) {
            int k = at == 0 ? ORDERS - 1 : Math.min(Long.numberOfTrailingZeros(at), ORDERS - 1);
            while (at + (1L << k) > to) k--;
            free[k]++;
            at += 1L << k;
        }
        long spare = 0;
        for (int k = ORDERS - 1; k >= 0; k--) {
            spare += (free[k] - blocks[k]) << k;
            if (spare < 0) return false;
        }
        return true;
    }
}
