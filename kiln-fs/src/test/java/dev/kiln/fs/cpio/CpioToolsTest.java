package dev.kiln.fs.cpio;

import dev.kiln.fs.testing.HostTrees;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.fs.Compression;
import dev.kiln.fs.Tree;
import dev.kiln.fs.testing.Listing;
import dev.kiln.fs.testing.SampleTree;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Cross-checks with the real tools: what kiln writes, GNU cpio and bsdtar extract to the source
 * directory; what they write, kiln reads as the source directory. The tests run as root, so
 * owners and device nodes are part of the comparison.
 */
class CpioToolsTest {
    /** Extraction sets directory mtimes before their children are created, so those cannot compare. */
    private static final Listing.Options EXTRACTED = Listing.Options.ALL.withDirMtimes(false);

    @TempDir static Path shared;
    static Path sample;

    @TempDir Path tmp;

    @BeforeAll
    static void createSample() throws Exception {
        requireTool("cpio", "cpio");
        requireTool("bsdtar", "libarchive-tools");
        sample = Files.createDirectory(shared.resolve("sample"));
        SampleTree.create(sample);
    }

    @ParameterizedTest(name = "crc={0}")
    @ValueSource(booleans = {false, true})
    void gnuCpioExtractsKilnArchivesLikeTheSource(boolean crc) throws Exception {
        Path archive = CpioTesting.write(HostTrees.read(sample), new CpioWriter.Options(crc, false, Compression.NONE),
                tmp.resolve("k.cpio"));
        Path out = Files.createDirectory(tmp.resolve("out"));
        // --no-absolute-filenames as an extra guard; as root, cpio keeps owners by default.
        String log = shell(out, "cpio -idm --no-absolute-filenames < " + quote(archive));
        assertThat(log).doesNotContain("checksum error");
        assertThat(withoutSymlinkTimes(Listing.of(out, EXTRACTED))).isEqualTo(withoutSymlinkTimes(Listing.of(sample, EXTRACTED)));
        assertThat(Listing.of(out, EXTRACTED)).contains("/links/hard2 - 0644 0:0 t=").contains("link=/links/hard1");
    }

    /** GNU cpio 2.13 restores no symlink mtimes (it sets times through the link), so those lines drop theirs. */
    private static String withoutSymlinkTimes(String listing) {
        return listing.replaceAll("(?m)^(\\S+ l \\S+ \\S+) t=\\d+", "$1");
    }

    @Test
    void bsdtarExtractsKilnArchivesLikeTheSource() throws Exception {
        Path archive = CpioTesting.write(HostTrees.read(sample), CpioTesting.newc(), tmp.resolve("k.cpio"));
        Path out = Files.createDirectory(tmp.resolve("out"));
        SampleTree.run("bsdtar", "-xpf", archive.toString(), "-C", out.toString());
        assertThat(Listing.of(out, EXTRACTED)).isEqualTo(Listing.of(sample, EXTRACTED));
    }

    @Test
    void bsdtarExtractsUnikraftCopyModeWithEveryLinkComplete() throws Exception {
        Path archive = CpioTesting.write(HostTrees.read(sample), new CpioWriter.Options(false, true, Compression.NONE),
                tmp.resolve("u.cpio"));
        Path out = Files.createDirectory(tmp.resolve("out"));
        SampleTree.run("bsdtar", "-xpf", archive.toString(), "-C", out.toString());
        Listing.Options noLinks = EXTRACTED.withHardLinks(false);
        assertThat(Listing.of(out, noLinks)).isEqualTo(Listing.of(sample, noLinks));
        assertThat(Files.getAttribute(out.resolve("links/hard1"), "unix:nlink")).isEqualTo(1);
    }

    @ParameterizedTest(name = "-H {0}")
    @ValueSource(strings = {"newc", "crc", "odc"})
    void kilnReadsGnuCpioArchivesAsTheSource(String format) throws Exception {
        Path archive = tmp.resolve("gnu-" + format + ".cpio");
        // LC_ALL=C sort: byte order, so the archive order is stable; it does not need to match kiln's.
        shell(sample, "find . | LC_ALL=C sort | cpio -o --quiet -H " + format + " > " + quote(archive));
        Tree tree = new CpioReader().read(archive);
        assertThat(Listing.of(tree, Listing.Options.ALL)).isEqualTo(Listing.of(sample, Listing.Options.ALL));
    }

    @ParameterizedTest(name = "--format {0}")
    @ValueSource(strings = {"newc", "odc"})
    void kilnReadsBsdtarArchivesAsTheSource(String format) throws Exception {
        Path archive = tmp.resolve("bsdtar-" + format + ".cpio");
        SampleTree.run(sample, "bsdtar", "-cf", archive.toString(), "--format", format, ".");
        Tree tree = new CpioReader().read(archive);
        assertThat(Listing.of(tree, Listing.Options.ALL)).isEqualTo(Listing.of(sample, Listing.Options.ALL));
    }

    @Test
    void kilnReadsGzipCompressedGnuCpioThroughImages() throws Exception {
        Path archive = tmp.resolve("gnu.cpio.gz");
        shell(sample, "find . | LC_ALL=C sort | cpio -o --quiet -H newc | gzip -n > " + quote(archive));
        try (Tree tree = dev.kiln.fs.Images.read(archive)) {
            assertThat(Listing.of(tree, Listing.Options.ALL)).isEqualTo(Listing.of(sample, Listing.Options.ALL));
        }
    }

    private static String shell(Path cwd, String script) throws IOException {
        return SampleTree.run(cwd, "sh", "-c", "set -e; " + script);
    }

    private static String quote(Path p) {
        return "'" + p.toString().replace("'", "'\\''") + "'";
    }

    /** A missing tool is a failed test naming the Debian package, never a skipped one. */
    static void requireTool(String tool, String debianPackage) throws IOException {
        for (String dir : List.of("/usr/bin", "/bin", "/usr/local/bin", "/usr/sbin")) {
            if (Files.isExecutable(Path.of(dir, tool))) return;
        }
        throw new AssertionError(tool + " is not installed: apt-get install " + debianPackage);
    }
}
