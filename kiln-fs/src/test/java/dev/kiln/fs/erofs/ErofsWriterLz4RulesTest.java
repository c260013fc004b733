package dev.kiln.fs.erofs;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.fs.Content;
import dev.kiln.fs.EntryPath;
import dev.kiln.fs.Metadata;
import dev.kiln.fs.Node;
import dev.kiln.fs.Tree;
import dev.kiln.fs.erofs.ErofsWriter.Algorithm;
import dev.kiln.fs.testing.Listing;
import java.io.IOException;
import java.nio.file.Path;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * LZ4 blocks in an image must follow the end-of-block rules of the reference decoder, which the
 * kernel and fsck.erofs use: a lenient decoder is no proof, so these images go to both.
 * ({@code Lz4CompressorTest} holds the compressors to the same rules block by block.)
 */
class ErofsWriterLz4RulesTest {
    @TempDir Path tmp;

    /** Code-like text; seed 3424 once made the LZ4HC compressor end a block with a match too close to its end. */
    static byte[] codeLike(long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        String[] words = "let if endif function endfunction return call exe syntax keyword match region contained the a of b:var s:list".split(" ");
        StringBuilder sb = new StringBuilder();
        int size = 4500 + r.nextInt(12000);
        while (sb.length() < size) {
            sb.append(words[r.nextInt(words.length)]);
            if (r.nextInt(4) == 0) sb.append(r.nextInt(1000));
            sb.append(r.nextInt(6) == 0 ? "\n" : " ");
        }
        return sb.substring(0, size).getBytes();
    }

    @Test
    void everyLz4HcOneBlockPclusterDecodesInTheKernel() throws IOException {
        Tree tree = new Tree();
        for (long seed = 3400; seed < 3450; seed++) {
            tree.put(EntryPath.parse("f" + seed), new Node.File(Metadata.of(0644), Content.of(codeLike(seed))));
        }
        Path img = tmp.resolve("hc.erofs");
        ErofsWriterFixtures.write(tree, img, new ErofsWriter.Options(Algorithm.LZ4HC, 9, 4096, null, 0));
        ErofsWriterFixtures.fsckExtract(img, tmp.resolve("x"));
        Path mnt = tmp.resolve("mnt");
        ErofsWriterFixtures.mount(img, mnt);
        try {
            ErofsWriterFixtures.assertSameListing(Listing.of(mnt, Listing.Options.ALL), Listing.of(tree, Listing.Options.ALL));
        } finally {
            ErofsWriterFixtures.unmount(mnt);
        }
    }
}
