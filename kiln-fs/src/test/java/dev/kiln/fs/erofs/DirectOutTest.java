package dev.kiln.fs.erofs;

import static dev.kiln.fs.erofs.format.Erofs.BLOCK_SIZE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kiln.fs.testing.SampleTree;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Direct-I/O writes of whole blocks: what lands in the file, for runs, gaps and rewrites. */
class DirectOutTest {
    @TempDir Path tmp;

    @Test
    void runsLandZeroPaddedAndARewriteOverWrittenBlocksWins() throws IOException {
        Path image = Files.createFile(tmp.resolve("image"));
        byte[] a = SampleTree.bytes(5000, 1);                      // two blocks, the second padded
        byte[] b = SampleTree.bytes(DirectOut.BUFFER_SIZE + 10, 2); // fills the buffer and goes on
        byte[] c = SampleTree.bytes(100, 3);
        long bAt = 3L * BLOCK_SIZE;                                 // after a, a block apart: a gap
        long bEnd = bAt + b.length;
        long cAt = BLOCK_SIZE;                                      // rewrites a's first block, written before
        try (DirectOut d = DirectOut.open(image)) {
            assertThat(d).as("O_DIRECT on " + tmp + " (its file system must support it)").isNotNull();
            d.put(MemorySegment.ofArray(a), 0);
            assertThat(d.accepts(5000)).isTrue();           // continues the run
            assertThat(d.accepts(6000)).isFalse();          // neither continues nor starts a block
            d.put(MemorySegment.ofArray(b), bAt);
            assertThat(d.buffered()).isEqualTo((int) (bEnd - bAt - DirectOut.BUFFER_SIZE));
            d.put(MemorySegment.ofArray(c), cAt);
            d.flush();
            assertThatThrownBy(() -> d.room(10)).isInstanceOf(IllegalArgumentException.class);
        }
        byte[] img = Files.readAllBytes(image);
        long end = (bEnd + BLOCK_SIZE - 1) / BLOCK_SIZE * BLOCK_SIZE;
        assertThat(img.length).isEqualTo((int) end);
        assertThat(Arrays.copyOfRange(img, 0, BLOCK_SIZE)).isEqualTo(Arrays.copyOf(a, BLOCK_SIZE));
        byte[] expectedSecond = Arrays.copyOf(c, BLOCK_SIZE); // c padded to its block, over a's tail
        assertThat(Arrays.copyOfRange(img, BLOCK_SIZE, 2 * BLOCK_SIZE)).isEqualTo(expectedSecond);
        assertThat(Arrays.copyOfRange(img, 2 * BLOCK_SIZE, 3 * BLOCK_SIZE)).containsOnly((byte) 0);
        assertThat(Arrays.copyOfRange(img, (int) bAt, (int) bEnd)).isEqualTo(b);
        assertThat(Arrays.copyOfRange(img, (int) bEnd, img.length)).containsOnly((byte) 0);
    }
}
