package dev.kiln.fs.erofs;

import static dev.kiln.fs.erofs.format.Erofs.BLOCK_SIZE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kiln.fs.Content;
import dev.kiln.fs.testing.SampleTree;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The direct-I/O copy of block data: what lands in the image, and what a changed source does. */
class DirectCopierTest {
    @TempDir Path tmp;

    private Content.Slice file(String name, int size, int seed) throws IOException {
        Path p = tmp.resolve(name);
        Files.write(p, SampleTree.bytes(size, seed));
        return new Content.Slice(p, 0, size, true);
    }

    @Test
    void blocksLandZeroPaddedAtTheirPlacesAndTailsComeBack() throws IOException {
        Path image = Files.createFile(tmp.resolve("image"));
        Content.Slice a = file("a", 5000, 1);              // one block, a 904-byte tail inline
        Content.Slice b = file("b", 3 * (1 << 20) + 7, 2); // plain, crosses the buffer's end below
        Content.Slice c = file("c", 4096, 3);              // plain, exactly one block
        long bBlocks = (b.size() + BLOCK_SIZE - 1) / BLOCK_SIZE;
        try (DirectCopier d = DirectCopier.open(image)) {
            assertThat(d).as("O_DIRECT on " + tmp).isNotNull();
            assertThat(d.copy(0, a, 5000, 4096, 1)).isEqualTo(Arrays.copyOfRange(bytes(a), 4096, 5000));
            assertThat(d.copy(1, b, b.size(), b.size(), 2)).isEmpty();
            assertThat(d.copy(2, c, 4096, 4096, 2 + bBlocks + 5)).isEmpty(); // not contiguous: a gap of 5 blocks
            d.flush();
        }
        byte[] img = Files.readAllBytes(image);
        assertThat(img.length).isEqualTo((2 + bBlocks + 6) * BLOCK_SIZE);
        assertThat(Arrays.copyOfRange(img, BLOCK_SIZE, 2 * BLOCK_SIZE)).isEqualTo(Arrays.copyOf(bytes(a), 4096));
        byte[] bPadded = Arrays.copyOf(bytes(b), (int) (bBlocks * BLOCK_SIZE));
        assertThat(Arrays.copyOfRange(img, 2 * BLOCK_SIZE, (int) ((2 + bBlocks) * BLOCK_SIZE))).isEqualTo(bPadded);
        assertThat(Arrays.copyOfRange(img, (int) ((2 + bBlocks) * BLOCK_SIZE), (int) ((2 + bBlocks + 5) * BLOCK_SIZE)))
                .containsOnly((byte) 0);
        assertThat(Arrays.copyOfRange(img, (int) ((2 + bBlocks + 5) * BLOCK_SIZE), img.length)).isEqualTo(bytes(c));
    }

    @Test
    @Timeout(30)
    void aChangedSourceFailsAndSaysWhichFilesAreNotWritten() throws IOException {
        Path image = Files.createFile(tmp.resolve("image"));
        Content.Slice a = file("a", 8192, 1);
        Content.Slice grown = file("grown", 10_000, 2);
        Files.write(tmp.resolve("grown"), SampleTree.bytes(10_001, 2));
        Content.Slice fifo = file("fifo", 100_000, 3);
        Files.delete(tmp.resolve("fifo"));
        SampleTree.run("mkfifo", tmp.resolve("fifo").toString());
        try (DirectCopier d = DirectCopier.open(image)) {
            d.copy(7, a, 8192, 8192, 1);
            assertThat(d.pendingFrom()).isEqualTo(7); // still in the buffer
            assertThatThrownBy(() -> d.copy(8, grown, 10_000, 8192, 3)).hasMessageContaining("changed while being copied");
            assertThat(d.pendingFrom()).isEqualTo(7);
            assertThatThrownBy(() -> d.copy(9, fifo, 100_000, 100_000, 10)).hasMessageContaining("now a fifo");
        }
    }

    private static byte[] bytes(Content.Slice s) throws IOException {
        return Files.readAllBytes(s.file());
    }
}
