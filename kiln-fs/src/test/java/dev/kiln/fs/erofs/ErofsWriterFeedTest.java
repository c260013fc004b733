package dev.kiln.fs.erofs;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.fs.EntryPath;
import dev.kiln.fs.io.FileFeed;
import dev.kiln.fs.io.Output;
import dev.kiln.fs.io.Workers;
import dev.kiln.fs.Progress;
import dev.kiln.fs.Tree;
import dev.kiln.fs.erofs.ErofsWriter.Algorithm;
import dev.kiln.fs.source.Excludes;
import dev.kiln.fs.build.MtimePolicy;
import dev.kiln.fs.build.Ownership;
import dev.kiln.fs.build.Source;
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
 * Work started while the source is walked ({@link ErofsWriter#feed}), compression or the copy of
 * uncompressed data, must give the image a build without it gives, and must be dropped (or, for
 * copies, cut at the first difference) whenever the finished tree is not what was fed.
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
    @EnumSource(Algorithm.class)
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
    @EnumSource(Algorithm.class)
    void aTreeChangedAfterTheWalkIsCompressedFromScratch(Algorithm alg) throws IOException {
        List<Source> sources = List.of(source(src.toString()));
        Consumer<Tree> dropOne = t -> assertThat(t.remove(EntryPath.parse("data/d2/f7"))).isTrue();
        assertThat(build(alg, sources, true, dropOne, false)).isEqualTo(build(alg, sources, false, dropOne, false));
    }

    @org.junit.jupiter.api.Test
    void uncompressedCopiesAreTheSameBytesWithAndWithoutDirectIo() throws IOException {
        List<Source> sources = List.of(source(src.toString()));
        ErofsWriter w = new ErofsWriter(new ErofsWriter.Options(Algorithm.NONE, 9, 65536, null, 0));
        byte[] direct = build(w, sources, true, t -> { }, true);
        assertThat(last.usedFeed()).isTrue();
        byte[] buffered = build(w, sources, true, t -> { }, false);
        assertThat(last.usedFeed()).isTrue();
        assertThat(direct).isEqualTo(buffered);
    }

    @ParameterizedTest
    @EnumSource(Algorithm.class)
    void theDataAreaIsTheSameBytesWithAndWithoutDirectIo(Algorithm alg) throws IOException {
        // data/noise does not compress: its pclusters are written, then rewritten plain over them.
        byte[] noise = new byte[3 << 20];
        new java.util.SplittableRandom(5).nextBytes(noise);
        Files.write(src.resolve("data/noise"), noise);
        List<Source> sources = List.of(source(src.toString()));
        ErofsWriter w = new ErofsWriter(new ErofsWriter.Options(alg, 9, 65536, null, 0));
        byte[] direct = build(w, sources, false, t -> { }, true);
        assertThat(last.directWrites()).as("direct I/O on " + tmp + " (its file system must support O_DIRECT)").isTrue();
        byte[] buffered = build(w, sources, false, t -> { }, false);
        assertThat(last.directWrites()).isFalse();
        assertThat(direct).isEqualTo(buffered);
        Path image = tmp.resolve("direct.erofs");
        Files.write(image, direct);
        ErofsWriterFixtures.fsckExtract(image, tmp.resolve("d"));
    }

    @org.junit.jupiter.api.Test
    void uncompressedCopiesAreTakenOverUpToTheFirstDifference() throws IOException {
        List<Source> sources = List.of(source(src.toString()));
        Consumer<Tree> dropOne = t -> assertThat(t.remove(EntryPath.parse("data/d2/f7"))).isTrue();
        ErofsWriter w = new ErofsWriter(new ErofsWriter.Options(Algorithm.NONE, 9, 65536, null, 0));
        byte[] fed = build(w, sources, true, dropOne);
        // The files before data/d2/f7 were copied during the walk and kept; the rest was rewritten.
        assertThat(last.takenOver()).isBetween(50, 150);
        assertThat(fed).isEqualTo(build(Algorithm.NONE, sources, false, dropOne, false));
    }

    @org.junit.jupiter.api.Test
    void anXattrThatMayMoveATailStopsTheCopyThere() throws IOException {
        // Shared or not is known only once the whole tree is read: one xattr that 4 bytes of shared
        // id or 68 bytes inline would tip a 4000-byte tail out of its inode stops the copy there.
        Path d = Files.createDirectories(src.resolve("x"));
        Files.write(d.resolve("a"), SampleTree.bytes(5000, 1));
        Files.write(d.resolve("b"), SampleTree.bytes(5000, 2));
        Files.write(d.resolve("c"), SampleTree.bytes(4096 + 4000, 3));
        Files.write(d.resolve("d"), SampleTree.bytes(3000, 4));
        setXattr(d.resolve("a"), "user.shared", "same");
        setXattr(d.resolve("b"), "user.shared", "same");
        setXattr(d.resolve("c"), "user.long", "v".repeat(60));
        setXattr(d.resolve("d"), "user.own", "only d");
        List<Source> sources = List.of(source(src.toString()));
        ErofsWriter w = new ErofsWriter(new ErofsWriter.Options(Algorithm.NONE, 9, 65536, null, 0));
        byte[] fed = build(w, sources, true, t -> { });
        assertThat(last.usedFeed()).isFalse();
        assertThat(last.takenOver()).isPositive();
        byte[] unfed = build(Algorithm.NONE, sources, false, t -> { }, false);
        assertThat(fed).isEqualTo(unfed);
        Path image = tmp.resolve("xattrs.erofs");
        Files.write(image, fed);
        ErofsWriterFixtures.fsckExtract(image, tmp.resolve("xx"));
        Listing.Options contents = Listing.Options.ALL.withOwners(false).withMtimes(false).withDirMtimes(false);
        ErofsWriterFixtures.assertSameListing(Listing.of(new ErofsReader().read(image, image.toString()), contents),
                Listing.of(src, contents));
    }

    private static void setXattr(Path file, String name, String value) throws IOException {
        java.nio.file.attribute.UserDefinedFileAttributeView v =
                Files.getFileAttributeView(file, java.nio.file.attribute.UserDefinedFileAttributeView.class);
        v.write(name.substring("user.".length()), java.nio.ByteBuffer.wrap(value.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
    }

    @ParameterizedTest
    @EnumSource(Algorithm.class)
    void layeredSourcesAreNotFed(Algorithm alg) throws IOException {
        Path over = Files.createDirectories(tmp.resolve("over"));
        Files.write(over.resolve("f3"), SampleTree.bytes(50_000, 99));
        List<Source> sources = List.of(source(src.toString()), source(over + ":/data/d1/"));
        assertThat(build(alg, sources, true, t -> { }, false)).isEqualTo(build(alg, sources, false, t -> { }, false));
    }

    /** What the last {@link #build} did with its feed. */
    private ErofsWriter.Report last;

    private static Source source(String arg) throws IOException {
        return Sources.parse(arg);
    }

    /** Builds as {@code kiln build} does, with or without a feed; asserts whether the feed was used. */
    private byte[] build(Algorithm alg, List<Source> sources, boolean feed, Consumer<Tree> change, boolean expectFeedUsed)
            throws IOException {
        ErofsWriter w = new ErofsWriter(new ErofsWriter.Options(alg, 9, 65536, null, 0));
        byte[] image = build(w, sources, feed, change);
        assertThat(last.usedFeed()).isEqualTo(expectFeedUsed);
        return image;
    }

    /** The output is opened before the walk, as {@code kiln build} does, since a feed may write to it. */
    private byte[] build(ErofsWriter w, List<Source> sources, boolean feed, Consumer<Tree> change) throws IOException {
        return build(w, sources, feed, change, true);
    }

    /**
     * {@code direct}: the feed and the writer are given the image's path, so an uncompressed feed
     * copies with direct I/O (the test's directory is on ext4, which has it; the test asserts that
     * it was used) and the writer writes its data area so; otherwise both go through the channel.
     */
    private byte[] build(ErofsWriter w, List<Source> sources, boolean feed, Consumer<Tree> change, boolean direct)
            throws IOException {
        Path image = tmp.resolve("image.erofs");
        try (FileChannel ch = FileChannel.open(image, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.READ);
             FileFeed f = feed ? w.feed(new Output(ch, direct ? image : null, Progress.NONE, Workers.defaults())) : null) {
            if (feed) assertThat(f).isNotNull();
            Tree tree = Sources.build(sources, Excludes.NONE, MtimePolicy.fixed(0), null, f, null, Workers.defaults());
            change.accept(tree);
            last = w.writeReporting(tree, new Output(ch, direct ? image : null, Progress.NONE, Workers.defaults()), f);
            if (f instanceof PlainFeed plain) { // write() waited for its copies
                assertThat(plain.directCopies())
                        .as("direct I/O on " + image + " (its file system must support O_DIRECT)").isEqualTo(direct);
            }
        }
        return Files.readAllBytes(image);
    }
}
