package dev.kiln.fs.tar;

import dev.kiln.fs.testing.HostTrees;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kiln.fs.Compression;
import dev.kiln.fs.Content;
import dev.kiln.fs.EntryPath;
import dev.kiln.fs.Images;
import dev.kiln.fs.KilnException;
import dev.kiln.fs.Metadata;
import dev.kiln.fs.Node;
import dev.kiln.fs.Tree;
import dev.kiln.fs.Xattrs;
import dev.kiln.fs.testing.Listing;
import dev.kiln.fs.testing.SampleTree;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** kiln writes, kiln reads: everything the tree model holds comes back exactly. */
class TarRoundTripTest {
    static final Listing.Options EXACT = Listing.Options.ALL.withNanos(true).withXattrs(true);

    @TempDir static Path shared;
    static Path sample;

    @TempDir Path tmp;

    @BeforeAll
    static void createSample() throws Exception {
        sample = Files.createDirectory(shared.resolve("sample"));
        TarTesting.createRichSample(sample);
    }

    @Test
    void richSampleSurvivesKilnToKiln() throws Exception {
        Tree tree = HostTrees.read(sample);
        Path tar = TarTesting.write(tree, tmp.resolve("out.tar"), Compression.NONE);
        Tree back = new TarReader().read(tar);
        String expected = Listing.of(sample, EXACT);
        assertThat(Listing.of(tree, EXACT)).isEqualTo(expected);
        assertThat(Listing.of(back, EXACT)).isEqualTo(expected);
        assertThat(expected).contains("xattr:user.binary=").contains("/dev/console c 0600").contains("link=/links/hard1");
        assertThat(Files.size(tar) % TarFormat.RECORD).isZero();
    }

    @ParameterizedTest
    @EnumSource(Compression.class)
    void compressedOutputReadsBackThroughImages(Compression c) throws Exception {
        // Without the 3 MiB file: zstd -19 and xz on it would dominate the suite's time.
        Tree tree = HostTrees.read(sample);
        tree.remove(TarTesting.BIG_FILE);
        Path tar = TarTesting.write(tree, tmp.resolve("out.tar" + c.suffix()), c);
        assertThat(Compression.detect(tar)).isEqualTo(c);
        try (Tree back = Images.read(tar)) {
            assertThat(Listing.of(back, EXACT)).isEqualTo(TarTesting.withoutBigFile(Listing.of(sample, EXACT)));
        }
    }

    @Test
    void valuesBeyondUstarFieldsUsePaxAndComeBack() throws Exception {
        Tree tree = new Tree(Metadata.of(0755).withMtime(-1, 1));
        Xattrs x = Xattrs.of(Map.of("user.a=b", new byte[] {0, '=', '\n'}, "trusted.overlay.opaque", new byte[] {'y'},
                "security.capability", new byte[] {1, 0, 0, 2, 0, 0x20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}));
        tree.put(EntryPath.parse("big-ids"), new Node.File(new Metadata(0644, 3_000_000_000L, 4_294_967_295L,
                1L << 40, 999_999_999, x), Content.of(new byte[] {1, 2, 3})));
        tree.put(EntryPath.parse("before-epoch"), new Node.File(new Metadata(0600, 0, 0, -86_400 * 365L, 250_000_000, Xattrs.NONE),
                Content.empty()));
        tree.put(EntryPath.parse("exactly-minus-one"), new Node.Fifo(new Metadata(0600, 0, 0, -1, 0, Xattrs.NONE)));
        tree.put(EntryPath.parse("huge-device"), new Node.Device(Metadata.of(0600), Node.DeviceKind.BLOCK, 1 << 22, Integer.MAX_VALUE));
        tree.put(EntryPath.parse("ctl\nname\u0001"), new Node.Symlink(Metadata.of(0777), "tärget\twith tab"));
        tree.put(EntryPath.parse(".wh..wh..opq"), new Node.File(Metadata.of(0), Content.empty()));
        tree.put(EntryPath.parse("d/.wh.gone"), new Node.File(Metadata.of(0), Content.empty()));
        Path tar = TarTesting.write(tree, tmp.resolve("big.tar"), Compression.NONE);
        Tree back = new TarReader().read(tar);
        assertThat(Listing.of(back, EXACT)).isEqualTo(Listing.of(tree, EXACT));
        Node big = back.resolve(EntryPath.parse("big-ids"));
        assertThat(big.meta().xattrs()).isEqualTo(x);
        assertThat(big.meta().mtime()).isEqualTo(1L << 40);
        // The whiteouts are plain entries: the layering code, not the reader, interprets them.
        assertThat(back.contains(EntryPath.parse(".wh..wh..opq"))).isTrue();
        assertThat(back.contains(EntryPath.parse("d/.wh.gone"))).isTrue();
    }

    @Test
    void contentsAreLazySlicesOfTheArchive() throws Exception {
        Tree tree = new Tree();
        tree.put(EntryPath.parse("f"), new Node.File(Metadata.of(0644), Content.of(TarTesting.ascii("hello"))));
        Path tar = TarTesting.write(tree, tmp.resolve("lazy.tar"), Compression.NONE);
        Node.File f = (Node.File) new TarReader().read(tar).resolve(EntryPath.parse("f"));
        assertThat(f.content()).isInstanceOf(Content.Slice.class);
        assertThat(((Content.Slice) f.content()).offset()).isEqualTo(1024); // "./" then "./f"
        assertThat(f.content().readAll()).asString().isEqualTo("hello");
    }

    @Test
    void socketsAreRefusedByName() throws Exception {
        Tree tree = new Tree();
        tree.put(EntryPath.parse("run/sock"), new Node.Socket(Metadata.of(0755)));
        assertThatThrownBy(() -> TarTesting.write(tree, tmp.resolve("s.tar"), Compression.NONE))
                .isInstanceOf(KilnException.class).hasMessageContaining("/run/sock").hasMessageContaining("socket");
    }

    @Test
    void sameTreeFromDifferentlyOrderedCopiesIsByteIdentical() throws Exception {
        Path copy = tmp.resolve("copy");
        SampleTree.run("cp", "-a", sample.toString(), copy.toString());
        for (Compression c : Compression.values()) {
            Tree ta = HostTrees.read(sample), tb = HostTrees.read(copy);
            if (c != Compression.NONE) { // compressing the 3 MiB file is slow and tests the compressor, not the tar
                ta.remove(TarTesting.BIG_FILE);
                tb.remove(TarTesting.BIG_FILE);
            }
            Path a = TarTesting.write(ta, tmp.resolve("a.tar" + c.suffix()), c);
            Path b = TarTesting.write(tb, tmp.resolve("b.tar" + c.suffix()), c);
            assertThat(Files.mismatch(a, b)).as("%s output differs", c).isEqualTo(-1L);
        }
    }

    @Test
    void progressCountsEveryEntryAndContentByte() throws Exception {
        Tree tree = HostTrees.read(sample);
        long[] seen = new long[2];
        try (var ch = java.nio.channels.FileChannel.open(tmp.resolve("p.tar"), java.nio.file.StandardOpenOption.CREATE,
                java.nio.file.StandardOpenOption.WRITE)) {
            new TarWriter(Compression.NONE).write(tree, ch, (bytes, entries) -> {
                seen[0] += bytes;
                seen[1] += entries;
            });
        }
        assertThat(seen[1]).isEqualTo(tree.size());
        assertThat(seen[0]).isEqualTo(tree.contentBytes());
    }
}
