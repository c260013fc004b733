package dev.kiln.fs.erofs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kiln.fs.Tree;
import dev.kiln.fs.source.HostSource;
import dev.kiln.fs.testing.Listing;
import dev.kiln.fs.testing.SampleTree;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Inline bytes past the resident limit move to a temporary file and read back unchanged. */
class InlineStoreTest {
    @TempDir Path tmp;

    private static long mappingsOfDeletedTmpFiles() throws IOException {
        return Files.readAllLines(Path.of("/proc/self/maps")).stream().filter(l -> l.endsWith("(deleted)")).count();
    }

    /** Resident kB of this process's mappings of deleted (unnamed temporary) files. */
    private static long residentKbOfDeletedTmpFiles() throws IOException {
        long kb = 0;
        boolean inTmp = false;
        for (String l : Files.readAllLines(Path.of("/proc/self/smaps"))) {
            if (l.matches("^[0-9a-f]+-[0-9a-f]+ .*")) inTmp = l.endsWith("(deleted)");
            else if (inTmp && l.startsWith("Rss:")) kb += Long.parseLong(l.replaceAll("[^0-9]", ""));
        }
        return kb;
    }

    @Test
    void bytesSurviveTheMoveToTheFileAndTheRelease() throws Exception {
        long before = mappingsOfDeletedTmpFiles();
        List<byte[]> sources = new ArrayList<>();
        List<Long> copies = new ArrayList<>();
        try (InlineStore store = new InlineStore(1 << 20); ExecutorService pool = Executors.newFixedThreadPool(3)) {
            // Three threads fill their own slabs, 6 MiB in all: most of it goes to the file.
            List<Future<List<Object[]>>> parts = new ArrayList<>();
            for (int t = 0; t < 3; t++) {
                int thread = t;
                parts.add(pool.submit(() -> {
                    List<Object[]> out = new ArrayList<>();
                    for (int i = 0; i < 2000; i++) {
                        byte[] b = SampleTree.bytes(1 + (i * 37 + thread) % 2047, thread * 10_000 + i);
                        out.add(new Object[] {b, store.copyOf(b, 0, b.length)});
                    }
                    return out;
                }));
            }
            for (Future<List<Object[]>> f : parts) {
                for (Object[] pair : f.get()) {
                    sources.add((byte[]) pair[0]);
                    copies.add((Long) pair[1]);
                }
            }
            byte[] large = SampleTree.bytes(3 << 20, 99); // more than a slab: a slab of its own
            sources.add(large);
            copies.add(store.copyOf(large, 0, large.length));
            assertThat(mappingsOfDeletedTmpFiles()).as("slabs mapped from the unnamed temporary file").isGreaterThan(before);
            for (int round = 0; round < 2; round++) {
                for (int i = 0; i < sources.size(); i++) {
                    MemorySegment copy = store.segment(copies.get(i), sources.get(i).length);
                    assertThat(copy.toArray(ValueLayout.JAVA_BYTE)).as("copy %d, round %d", i, round)
                            .isEqualTo(sources.get(i));
                    store.readBack(copies.get(i));
                }
                assertThat(residentKbOfDeletedTmpFiles()).as("file pages read back, round %d", round).isGreaterThan(1024);
                store.release(); // the pages go; the bytes must come back from the page cache
                assertThat(residentKbOfDeletedTmpFiles()).as("file pages after release, round %d", round).isZero();
            }
        }
        assertThat(mappingsOfDeletedTmpFiles()).as("mappings gone after close").isEqualTo(before);
    }

    @Test
    void allocatedBytesAreZeroAndWritableAndDieWithTheStore() {
        InlineStore store = new InlineStore(1 << 20);
        MemorySegment view;
        try (store) {
            long a = store.allocate(100);
            long b = store.copyOf(new byte[] {7, 8, 9}, 1, 2);
            view = store.segment(a, 100);
            assertThat(view.toArray(ValueLayout.JAVA_BYTE)).containsOnly(0);
            view.set(ValueLayout.JAVA_BYTE, 99, (byte) 5);
            assertThat(store.segment(a, 100).get(ValueLayout.JAVA_BYTE, 99)).isEqualTo((byte) 5);
            assertThat(store.segment(b, 2).toArray(ValueLayout.JAVA_BYTE)).containsExactly(8, 9);
        }
        // A view outlives nothing: reading after close fails instead of touching freed memory.
        assertThatThrownBy(() -> view.get(ValueLayout.JAVA_BYTE, 0)).isInstanceOf(IllegalStateException.class);
    }

    /** An image whose inline bytes went through the file is the image built with them in memory. */
    @Test
    void spillingDoesNotChangeTheImage() throws IOException {
        Path src = Files.createDirectories(tmp.resolve("src"));
        for (int i = 0; i < 3000; i++) {
            Path d = Files.createDirectories(src.resolve("d" + i / 100));
            Files.write(d.resolve("f" + i), SampleTree.bytes(i * 7 % 3000, i));
        }
        Files.write(src.resolve("tail"), SampleTree.bytes(5 * 4096 + 1234, 1));
        Tree tree = HostSource.read(src);
        Path inMemory = tmp.resolve("a.erofs");
        Path spilled = tmp.resolve("b.erofs");
        ErofsWriterFixtures.write(tree, inMemory, ErofsWriter.Options.defaults());
        System.setProperty("kiln.erofs.inlineResident", String.valueOf(1 << 20));
        try {
            ErofsWriterFixtures.write(tree, spilled, ErofsWriter.Options.defaults());
        } finally {
            System.clearProperty("kiln.erofs.inlineResident");
        }
        assertThat(Files.readAllBytes(spilled)).isEqualTo(Files.readAllBytes(inMemory));
        ErofsWriterFixtures.fsckExtract(spilled, tmp.resolve("x"));
        ErofsWriterFixtures.assertSameListing(Listing.of(tmp.resolve("x"), Listing.Options.ALL),
                Listing.of(src, Listing.Options.ALL));
    }
}
