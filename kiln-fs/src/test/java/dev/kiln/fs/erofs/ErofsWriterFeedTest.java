package dev.kiln.fs.erofs;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.fs.EntryPath;
import dev.kiln.fs.FileFeed;
import dev.kiln.fs.Progress;
import dev.kiln.fs.Tree;
import dev.kiln.fs.erofs.ErofsWriter.Algorithm;
import dev.kiln.fs.source.Excludes;
import dev.kiln.fs.source.MtimePolicy;
import dev.kiln.fs.source.Ownership;
import dev.kiln.fs.source.Source;
import dev.kiln.fs.source.Sources;
import dev.kiln.fs.testing.Listing;
import dev.kiln.fs.testing.SampleTree;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Compression started while the source is walked ({@link ErofsWriter#feed}) must give the image a
 * build without it gives, and must be dropped whenever the finished tree is not what was fed.
 */
class ErofsWriterFeedTest {
    @TempDir Path tmp;
    Path src;

    @BeforeEach
    void source() throws IOException {
        src = tmp.resolve("src");
        SampleTree.create(src);
        // Compressible files of many sizes over several batches, one across batch boundaries,
        // and a hard link whose second path must not be fed again.
        for (int d = 0; d < 6; d++) {
            Path dir = Files.createDirectories(src.resolve("data/d" + d));
            for (int f = 0; f < 25; f++) {
                Files.write(dir.resolve("f" + f), SampleTree.bytes((d * 25 + f) * 7919 % 300_000, d * 100 + f));
            }
        }
        Files.write(src.resolve("data/big"), SampleTree.bytes(9 << 20, 7));
        Files.createLink(src.resolve("data/d5/big-link"), src.resolve("data/big"));
    }

    @ParameterizedTest
    @EnumSource(value = Algorithm.class, names = {"LZ4", "LZ4HC"})
    void aFedBuildIsTheBuildWithoutAFeed(Algorithm alg) throws IOException {
        List<Source> sources = List.of(source(src.toString()));
        byte[] plain = build(alg, sources, false, t -> { }, false);
        byte[] fed = build(alg, sources, true, t -> { }, true);
        assertThat(fed).isEqualTo(plain);

        Path image = tmp.resolve("fed.erofs");
        Files.write(image, fed);
        // fsck.erofs decompresses and checks every file (what its extraction drops: see
        // ErofsWriterMountTest); kiln's reader then sees the source, hard links included.
        Path out = tmp.resolve("x");
        ErofsWriterFixtures.fsckExtract(image, out);
        Listing.Options contents = Listing.Options.ALL.withOwners(false).withMtimes(false).withDirMtimes(false);
        ErofsWriterFixtures.assertSameListing(Listing.of(new ErofsReader().read(image, image.toString()), contents),
                Listing.of(src, contents));
        assertThat(Files.readAllBytes(out.resolve("data/d5/big-link"))).isEqualTo(Files.readAllBytes(src.resolve("data/big")));
    }

    @ParameterizedTest
    @EnumSource(value = Algorithm.class, names = {"LZ4", "LZ4HC"})
    void aTreeChangedAfterTheWalkIsCompressedFromScratch(Algorithm alg) throws IOException {
        List<Source> sources = List.of(source(src.toString()));
        Consumer<Tree> dropOne = t -> assertThat(t.remove(EntryPath.parse("data/d2/f7"))).isTrue();
        assertThat(build(alg, sources, true, dropOne, false)).isEqualTo(build(alg, sources, false, dropOne, false));
    }

    @ParameterizedTest
    @EnumSource(value = Algorithm.class, names = {"LZ4", "LZ4HC"})
    void layeredSourcesAreNotFed(Algorithm alg) throws IOException {
        Path over = Files.createDirectories(tmp.resolve("over"));
        Files.write(over.resolve("f3"), SampleTree.bytes(50_000, 99));
        List<Source> sources = List.of(source(src.toString()), source(over + ":/data/d1/"));
        assertThat(build(alg, sources, true, t -> { }, false)).isEqualTo(build(alg, sources, false, t -> { }, false));
    }

    private static Source source(String arg) throws IOException {
        return Sources.parse(arg, Ownership.ROOT, Ownership.KEEP);
    }

    /** Builds as {@code kiln build} does, with or without a feed; asserts whether the feed was used. */
    private byte[] build(Algorithm alg, List<Source> sources, boolean feed, Consumer<Tree> change, boolean expectFeedUsed)
            throws IOException {
        ErofsWriter w = new ErofsWriter(new ErofsWriter.Options(alg, 9, 65536, null, 0));
        Path image = tmp.resolve("image.erofs");
        try (FileFeed f = feed ? w.feed() : null) {
            if (feed) assertThat(f).isNotNull();
            Tree tree = Sources.build(sources, Excludes.NONE, new MtimePolicy.Fixed(0), f);
            change.accept(tree);
            try (FileChannel ch = FileChannel.open(image, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.READ)) {
                w.write(tree, ch, Progress.NONE);
            }
        }
        assertThat(w.usedFeed()).isEqualTo(expectFeedUsed);
        return Files.readAllBytes(image);
    }
}
