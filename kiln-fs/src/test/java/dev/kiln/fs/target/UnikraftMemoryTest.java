package dev.kiln.fs.target;

import static dev.kiln.fs.target.UnikraftTargetTest.sized;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.fs.Content;
import dev.kiln.fs.EntryPath;
import dev.kiln.fs.Metadata;
import dev.kiln.fs.Node;
import dev.kiln.fs.Tree;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The memory rule against minimums measured with the Unikraft 0.17 probe guest (bisection of
 * QEMU -m, the whole tree walked; bench/results/unikraft-memory.md has the full set). Each
 * tree here is rebuilt with the same entries and archive size as the booted one.
 */
class UnikraftMemoryTest {
    private static Tree files(int count, long size) {
        Tree t = new Tree();
        for (int i = 0; i < count; i++) t.put(new EntryPath("f" + i), new Node.File(Metadata.of(0644), sized(size)));
        return t;
    }

    @ParameterizedTest(name = "{0} files of {1} bytes in a {2}-byte archive: measured {3} MiB")
    @CsvSource({
            // count, size, archive bytes, measured minimum MiB
            "0,    0,        512,      2",
            "1000, 0,        116736,   10",
            "1000, 1,        120320,   18",
            "1000, 4096,     4212736,  22",
            "1000, 4097,     4216320,  30",
            "20,   1044480,  20892160, 43",
            "20,   1044481,  20892672, 63",
            "1,    16777216, 16777728, 65",
            "1,    67108864, 67109376, 257"})
    void theRuleIsNeverBelowTheMeasuredMinimumNorMoreThanAQuarterAbove(int count, long size, long archive, int measured) {
        long rule = UnikraftMemory.requiredMiB(files(count, size), archive);
        assertThat(rule).isBetween((long) measured, (long) Math.floor(measured * 1.25));
    }

    @Test
    void aFileJustOverAPageTakesTwiceTheMemoryOfOneThatFitsAPage() {
        // ramfs rounds the buffer up to pages and the allocator's header adds one: 2 pages, then 4.
        UnikraftMemory.Need fits = UnikraftMemory.of(files(1000, 4096), 0);
        UnikraftMemory.Need over = UnikraftMemory.of(files(1000, 4097), 0);
        assertThat(fits.fileBytes()).isEqualTo(1000 * 8192L);
        assertThat(over.fileBytes()).isEqualTo(1000 * 16384L);
    }

    @Test
    void aLargeFileNeedsAnAlignedBlockAboveTheArchiveNotJustItsSize() {
        // 16 MiB + the header is a 32 MiB block, which must start at a multiple of 32 MiB: the
        // heap begins above the 16 MiB archive, so the block ends at 64 MiB.
        UnikraftMemory.Need n = UnikraftMemory.of(files(1, 16 << 20), 16_777_728);
        assertThat(n.fileBytes()).isEqualTo(32L << 20);
        assertThat(n.mib()).isEqualTo(65);
        assertThat(16 + 32 + 2).as("what adding the parts up says").isLessThan((int) n.mib());
    }

    @Test
    void emptyFilesDirectoriesAndSymlinksCostTheirEntriesButNoData() {
        Tree t = new Tree();
        t.put(new EntryPath("d"), new Node.Directory(Metadata.of(0755)));
        t.put(new EntryPath("d/empty"), new Node.File(Metadata.of(0644), Content.empty()));
        t.put(new EntryPath("d/link"), new Node.Symlink(Metadata.of(0777), "empty"));
        UnikraftMemory.Need n = UnikraftMemory.of(t, 1024);
        assertThat(n.entries()).isEqualTo(3);
        assertThat(n.fileBytes()).isZero();
        assertThat(n.entryBytes()).isEqualTo(3 * 8192L);
        assertThat(n.depth()).isEqualTo(2);
    }

    @Test
    void aHardLinkCostsAFullCopyBecauseUkcpioExtractsEveryLinkOnItsOwn() {
        Tree linked = files(1, 3 << 20);
        linked.put(new EntryPath("again"), new Node.HardLink(new EntryPath("f0")));
        Tree copies = files(2, 3 << 20);
        assertThat(UnikraftMemory.of(linked, 6 << 20)).isEqualTo(UnikraftMemory.of(copies, 6 << 20));
    }

    @Test
    void deviceNodesCostNothingAsUkcpioSkipsThem() {
        Tree t = new Tree();
        t.put(new EntryPath("null"), new Node.Device(Metadata.of(0666), Node.DeviceKind.CHAR, 1, 3));
        t.put(new EntryPath("fifo"), new Node.Fifo(Metadata.of(0644)));
        assertThat(UnikraftMemory.of(t, 512).entries()).isZero();
        assertThat(UnikraftMemory.requiredMiB(t, 512)).isEqualTo(UnikraftMemory.requiredMiB(new Tree(), 512));
    }

    @Test
    void moreArchiveOrMoreFilesNeverNeedsLessMemory() {
        long previous = 0;
        for (int n = 0; n <= 4000; n += 250) {
            long mib = UnikraftMemory.requiredMiB(files(n, 5000), 110L * n + (long) n * 5000);
            assertThat(mib).isGreaterThanOrEqualTo(previous);
            previous = mib;
        }
        assertThat(UnikraftMemory.requiredMiB(files(10, 100), 100 << 20))
                .isGreaterThan(UnikraftMemory.requiredMiB(files(10, 100), 10 << 20));
    }
}
