package dev.kiln.fs.erofs;

import dev.kiln.fs.testing.HostTrees;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.fs.Tree;
import dev.kiln.fs.erofs.ErofsWriter.Algorithm;
import dev.kiln.fs.testing.Listing;
import dev.kiln.fs.testing.SampleTree;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Image size against mkfs.erofs 1.5 at equal settings on the same directory: kiln must stay
 * within 2% ({@code mkfs.erofs -T0 --all-root}, i.e. root owners and mtime 0, which the kiln
 * tree gets through its metadata).
 */
class ErofsWriterMkfsComparisonTest {
    @TempDir static Path shared;
    static Path src;
    static Tree tree;
    static final List<String> report = new ArrayList<>();

    @BeforeAll
    static void corpus() throws IOException {
        src = Files.createDirectory(shared.resolve("src"));
        SplittableRandom r = new SplittableRandom(42);
        String[] words = "the quick brown fox jumps over lazy dog erofs kiln image block cluster inode".split(" ");
        for (int d = 0; d < 40; d++) {
            Path dir = Files.createDirectories(src.resolve("dir" + d).resolve("sub" + (d % 3)));
            for (int f = 0; f < 40; f++) {
                int size = (int) Math.min(400_000, Math.abs(r.nextGaussian()) * 20_000);
                byte[] b;
                switch (f % 4) {
                    case 0 -> { // text-like
                        StringBuilder sb = new StringBuilder();
                        while (sb.length() < size) sb.append(words[r.nextInt(words.length)]).append(r.nextInt(10) == 0 ? '\n' : ' ');
                        b = sb.substring(0, size).getBytes();
                    }
                    case 1 -> { // incompressible
                        b = new byte[size];
                        r.nextBytes(b);
                    }
                    default -> b = SampleTree.bytes(size, d * 100 + f);
                }
                Files.write(dir.resolve("file" + f + (f % 5 == 0 ? ".txt" : ".bin")), b);
            }
            Files.createSymbolicLink(dir.resolve("link"), Path.of("file1.bin"));
        }
        Files.write(src.resolve("large.txt"), SampleTree.bytes(6 << 20, 9));
        // Incompressible and compressible stretches in one file: after a stretch that does not
        // compress, the HC packer probes with the fast compressor; the text after it must still
        // be found and compressed.
        byte[] mixed = new byte[3 << 20];
        for (int off = 0; off < mixed.length; off += 192 << 10) {
            byte[] part = new byte[192 << 10];
            if ((off / (192 << 10)) % 2 == 0) r.nextBytes(part);
            else part = SampleTree.bytes(part.length, off);
            System.arraycopy(part, 0, mixed, off, part.length);
        }
        Files.write(src.resolve("mixed.bin"), mixed);
        tree = HostTrees.read(src);
        tree.mapMetadata(n -> n.meta().withOwner(0, 0).withMtime(0, 0));
    }

    static Stream<Arguments> settings() {
        return Stream.of(
                Arguments.of(Algorithm.NONE, 4096),
                Arguments.of(Algorithm.LZ4, 4096),
                Arguments.of(Algorithm.LZ4, 65536),
                Arguments.of(Algorithm.LZ4HC, 4096),
                Arguments.of(Algorithm.LZ4HC, 65536));
    }

    @ParameterizedTest(name = "{0} pcluster {1}")
    @MethodSource("settings")
    void imageIsWithinTwoPercentOfMkfs(Algorithm alg, int pcluster, @TempDir Path tmp) throws IOException {
        Path kiln = tmp.resolve("kiln.erofs");
        Path mkfs = tmp.resolve("mkfs.erofs");
        ErofsWriterFixtures.write(tree, kiln, new ErofsWriter.Options(alg, 9, pcluster, null, 0));
        List<String> cmd = new ArrayList<>(List.of("mkfs.erofs", "-T0", "--all-root", "-U", "6b696c6e-0000-4000-8000-000000000000"));
        if (alg != Algorithm.NONE) cmd.add("-z" + alg.name().toLowerCase() + (alg == Algorithm.LZ4HC ? ",9" : ""));
        if (alg != Algorithm.NONE && pcluster > 4096) cmd.add("-C" + pcluster);
        cmd.add(mkfs.toString());
        cmd.add(src.toString());
        ErofsWriterFixtures.run("mkfs.erofs (Debian package erofs-utils)", cmd.toArray(String[]::new));
        long k = Files.size(kiln), m = Files.size(mkfs);
        double ratio = (double) k / m;
        report.add(String.format("%s pcluster %d: kiln %d, mkfs.erofs %d, ratio %.4f", alg, pcluster, k, m, ratio));
        assertThat(ratio).as("kiln/mkfs size ratio").isLessThanOrEqualTo(1.02);
        // fsck.erofs decodes every pcluster as the kernel would; what it extracts must be the source.
        Path x = tmp.resolve("x");
        ErofsWriterFixtures.fsckExtract(kiln, x);
        Listing.Options contents = Listing.Options.ALL.withOwners(false).withMtimes(false).withDirMtimes(false);
        assertThat(Listing.of(x, contents)).isEqualTo(Listing.of(src, contents));
    }

    @AfterAll
    static void printReport() {
        report.forEach(l -> System.out.println("[erofs size vs mkfs.erofs 1.5] " + l));
    }
}
