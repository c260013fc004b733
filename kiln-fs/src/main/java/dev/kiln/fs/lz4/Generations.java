package dev.kiln.fs.lz4;

import static dev.kiln.fs.lz4.Lz4Blocks.MAX_DISTANCE;

import java.util.Arrays;

/**
 * Lets a compressor reuse its hash table across calls without clearing it. Slots hold
 * {@code generation + position}; each call starts its generation more than a full window above
 * the previous call's last value, so stale slots fail the distance check. The table is cleared
 * only when the counter would overflow.
 */
final class Generations {
    private final int[] table;
    private int next = MAX_DISTANCE + 1;

    Generations(int[] table) {
        this.table = table;
    }

    /** The generation for a call over {@code srcLen} bytes, clearing the table first if the counter would overflow. */
    int start(int srcLen) {
        if ((long) next + srcLen + MAX_DISTANCE + 1 > Integer.MAX_VALUE) {
            Arrays.fill(table, 0);
            next = MAX_DISTANCE + 1;
        }
        int generation = next;
        // Saturates only for inputs near 2 GiB; the next call then starts over with a clean table.
        next = (int) Math.min(Integer.MAX_VALUE, (long) generation + srcLen + MAX_DISTANCE + 1);
        return generation;
    }
}
