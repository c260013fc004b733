package dev.kiln.fs.erofs;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.fs.Progress;
import dev.kiln.fs.Tree;
import dev.kiln.fs.testing.Listing;
import dev.kiln.fs.testing.SampleTree;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The reader against kiln's own writer: a tree read from a mkfs.erofs image, written again by
 * {@link ErofsWriter} and read back, must list the same. This ties the two halves of the package
 * together; either one drifting from the format shows up here or in the mkfs tests.
 */
class ErofsReaderRoundTripTest {
    private static Path work;
    private static Tree original;

    @BeforeAll
    static void setUp() throws IOException {
        ErofsReaderMkfsTest.requireTool("mkfs.erofs", "erofs-utils");
        work = Files.createTempDirectory("kiln-erofsr-rt-");
        Path src = Files.createDirectory(work.resolve("src"));
        SampleTree.create(src);
        Files.move(src.resolve("names/" + "l".repeat(255)), src.resolve("names/" + "l".repeat(254))); // mkfs 1.5 limit
        SampleTree.run("setfattr", "-n", "user.x", "-v", "y", src.resolve("etc/hostname").toString());
        SampleTree.setTimes(src);
        Path img = work.resolve("mkfs.erofs");
        SampleTree.run("mkfs.erofs", "-zlz4hc", img.toString(), src.toString());
        original = new ErofsReader().read(img);
    }

    @AfterAll
    static void cleanUp() throws IOException {
        if (work != null) SampleTree.delete(work);
    }

    @ParameterizedTest(name = "{0} pcluster {1}")
    @CsvSource({"NONE, 4096", "LZ4, 4096", "LZ4HC, 65536"})
    void kilnImagesReadBackTheSame(ErofsWriter.Algorithm alg, int pcluster) throws IOException {
        Path img = work.resolve("kiln-" + alg + "-" + pcluster + ".erofs");
        try (FileChannel out = FileChannel.open(img, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
            new ErofsWriter(new ErofsWriter.Options(alg, 9, pcluster, null, 0)).write(original, out, Progress.NONE);
        }
        Listing.Options o = Listing.Options.ALL.withNanos(true).withXattrs(true);
        assertThat(Listing.of(new ErofsReader().read(img), o)).isEqualTo(Listing.of(original, o));
    }
}
