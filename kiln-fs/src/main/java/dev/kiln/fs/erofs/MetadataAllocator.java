package dev.kiln.fs.erofs;

import static dev.kiln.fs.erofs.format.Erofs.BLOCK_SIZE;
import static dev.kiln.fs.erofs.format.Erofs.SLOT_SIZE;

import java.util.ArrayDeque;

/**
 * Places inodes (core + xattrs + inline tail or indexes) into metadata blocks, best fit first
 * as mkfs's {@code erofs_bfind_for_attach} does: an inode goes into the fullest open block it
 * still fits in, else into a new block appended to the metadata area. Whatever fits in one block
 * stays in one block, which is what keeps an inline tail in the block where its inode ends
 * (reference §3.2, the rule old kernels enforce for symlinks).
 *
 * <p>The result depends only on the order and sizes of the requests.
 */
final class MetadataAllocator {
    private static final int LEVELS = BLOCK_SIZE / SLOT_SIZE;

    /** Open blocks by used bytes / 32; each holds absolute block numbers. */
    private final java.util.List<ArrayDeque<Long>> buckets = new java.util.ArrayList<>(LEVELS);
    private long nextBlock;
    private final long firstNewBlock;

    /** New blocks are appended from {@code firstNewBlock} on. */
    MetadataAllocator(long firstNewBlock) {
        this.firstNewBlock = firstNewBlock;
        this.nextBlock = firstNewBlock;
        for (int i = 0; i < LEVELS; i++) buckets.add(new ArrayDeque<>());
    }

    /** Offers the free end of a block laid out elsewhere (block 0 after the superblock area). */
    void addOpen(long block, int usedBytes) {
        int u = roundUp(usedBytes);
        if (u >= BLOCK_SIZE) return;
        buckets.get(u / SLOT_SIZE).addLast(block);
    }

    /** Returns the byte offset for {@code size} bytes, 32-byte aligned. */
    long allocate(int size) {
        if (size <= BLOCK_SIZE) {
            for (int level = (BLOCK_SIZE - size) / SLOT_SIZE; level >= 1; level--) {
                Long block = buckets.get(level).pollFirst();
                if (block != null) {
                    int u = level * SLOT_SIZE;
                    long pos = block * BLOCK_SIZE + u;
                    addOpen(block, u + size);
                    return pos;
                }
            }
        }
        // A new block; bigger items (huge xattrs or index arrays) span several and only their
        // last block stays open.
        long block = nextBlock;
        long blocks = (size + BLOCK_SIZE - 1) / BLOCK_SIZE;
        nextBlock += blocks;
        int tail = size % BLOCK_SIZE;
        if (tail != 0) addOpen(block + blocks - 1, tail);
        return block * BLOCK_SIZE;
    }

    /** Blocks appended so far. */
    long newBlocks() {
        return nextBlock - firstNewBlock;
    }

    private static int roundUp(int n) {
        return (n + SLOT_SIZE - 1) & -SLOT_SIZE;
    }
}
