package dev.kiln.fs.erofs;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.fs.Tree;
import dev.kiln.fs.source.HostSource;
import dev.kiln.fs.testing.Listing;
import dev.kiln.fs.testing.SampleTree;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
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
    void bytesSurviveTheMoveToTheFileAndReadBackWithoutMappingIt() throws Exception {
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
                    byte[] back = new byte[sources.get(i).length + 2];
                    store.read(copies.get(i), back, 1, sources.get(i).length);
                    assertThat(Arrays.copyOfRange(back, 1, back.length - 1)).as("copy %d, round %d", i, round)
                            .isEqualTo(sources.get(i));
                }
                // Reads go through the page cache, not the mapping: nothing of the file is resident here.
                assertThat(residentKbOfDeletedTmpFiles()).as("file pages in the process, round %d", round).isZero();
            }
            // Overwriting moved bytes (a directory's tail) lands in the file too.
            int k = 100;
            assertThat(sources.get(k).length).isGreaterThan(4);
            store.write(copies.get(k) + 1, new byte[] {1, 2, 3}, 0, 3);
            byte[] back = new byte[sources.get(k).length];
            store.read(copies.get(k), back, 0, back.length);
            assertThat(Arrays.copyOfRange(back, 1, 4)).containsExactly(1, 2, 3);
            assertThat(back[0]).isEqualTo(sources.get(k)[0]);
        }
        assertThat(mappingsOfDeletedTmpFiles()).as("mappings gone after close").isEqualTo(before);
    }

    @Test
    void allocatedBytesAreZeroAndWritable() {
        try (InlineStore store = new InlineStore(1 << 20)) {
            long a = store.allocate(100);
            long b = store.copyOf(new byte[] {7, 8, 9}, 1, 2);
            byte[] back = new byte[100];
            store.read(a, back, 0, 100);
            assertThat(back).containsOnly(0);
            store.write(a + 98, new byte[] {4, 5, 6}, 1, 2);
            store.read(a, back, 0, 100);
            assertThat(back[98]).isEqualTo((byte) 5);
            assertThat(back[99]).isEqualTo((byte) 6);
            byte[] two = new byte[2];
            store.read(b, two, 0, 2);
            assertThat(two).containsExactly(8, 9);
        }
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
