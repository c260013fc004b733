package dev.kiln.fs.tar;

import dev.kiln.fs.testing.HostTrees;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kiln.fs.Compression;
import dev.kiln.fs.FormatException;
import dev.kiln.fs.Images;
import dev.kiln.fs.testing.Listing;
import dev.kiln.fs.testing.SampleTree;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Cross-checks with the real tools: what kiln writes, GNU tar and bsdtar extract to the
 * source directory; what they write, kiln reads as the source directory. Runs as root, so
 * owners, device nodes and trusted xattrs are real.
 */
class TarInteropTest {
    static final Listing.Options EXACT = Listing.Options.ALL.withNanos(true).withXattrs(true);
    /** ustar and GNU headers hold whole seconds and no xattrs. */
    static final Listing.Options SECONDS = Listing.Options.ALL;

    @TempDir static Path shared;
    static Path rich, ustar;

    @TempDir Path tmp;

    @BeforeAll
    static void createSamples() throws Exception {
        rich = Files.createDirectory(shared.resolve("rich"));
        TarTesting.createRichSample(rich);
        ustar = Files.createDirectory(shared.resolve("ustar"));
        TarTesting.createUstarSample(ustar);
    }

    @Test
    void gnuTarExtractsKilnOutputIdentically() throws Exception {
        Path tar = TarTesting.write(HostTrees.read(rich), tmp.resolve("kiln.tar"), Compression.NONE);
        Path out = Files.createDirectory(tmp.resolve("out"));
        TarTesting.tool("tar", null, "tar", "-xpf", tar.toString(), "--xattrs", "--xattrs-include=*",
                "--numeric-owner", "-C", out.toString());
        assertThat(Listing.of(out, EXACT)).isEqualTo(Listing.of(rich, EXACT));
    }

    @Test
    void bsdtarExtractsKilnOutputIdentically() throws Exception {
        Path tar = TarTesting.write(HostTrees.read(rich), tmp.resolve("kiln.tar"), Compression.NONE);
        Path out = Files.createDirectory(tmp.resolve("out"));
        TarTesting.tool("libarchive-tools", null, "bsdtar", "-xpf", tar.toString(), "-C", out.toString());
        // bsdtar sets the mode of "./" but never its mtime, not even from its own archives.
        assertThat(withoutRootMtime(Listing.of(out, EXACT))).isEqualTo(withoutRootMtime(Listing.of(rich, EXACT)));
        assertThat(Listing.of(out, EXACT)).startsWith("/ d 0755 0:0 ");
    }

    @Test
    void gnuTarListsKilnOutputWithoutComplaint() throws Exception {
        Path tar = TarTesting.write(HostTrees.read(rich), tmp.resolve("kiln.tar"), Compression.NONE);
        String listing = TarTesting.tool("tar", null, "tar", "-tvf", tar.toString(), "--numeric-owner");
        assertThat(listing).doesNotContain("tar:").contains("./etc/passwd").contains("./links/hard2 link to ./links/hard1");
    }

    @Test
    void gnuTarExtractsKilnZstdOutput() throws Exception {
        var tree = HostTrees.read(ustar);
        tree.remove(TarTesting.BIG_FILE); // zstd -19 on it would take seconds and prove nothing more
        Path tar = TarTesting.write(tree, tmp.resolve("kiln.tar.zst"), Compression.ZSTD);
        Path out = Files.createDirectory(tmp.resolve("out"));
        TarTesting.tool("tar", null, "tar", "--zstd", "-xpf", tar.toString(), "--numeric-owner", "-C", out.toString());
        assertThat(Listing.of(out, SECONDS)).isEqualTo(TarTesting.withoutBigFile(Listing.of(ustar, SECONDS)));
    }

    @Test
    void readsGnuPax() throws Exception {
        Path tar = tmp.resolve("gnu-pax.tar");
        TarTesting.tool("tar", null, "tar", "--format=pax", "--xattrs", "--xattrs-include=*", "--numeric-owner",
                "-C", rich.toString(), "-cf", tar.toString(), ".");
        assertThat(Listing.of(new TarReader().read(tar), EXACT)).isEqualTo(Listing.of(rich, EXACT));
    }

    @Test
    void readsGnuFormatWithLongNames() throws Exception {
        Path tar = tmp.resolve("gnu.tar");
        TarTesting.tool("tar", null, "tar", "--format=gnu", "-C", rich.toString(), "-cf", tar.toString(), ".");
        assertThat(SampleTree.run("grep", "-c", "././@LongLink", tar.toString()).trim()).isNotEqualTo("0");
        assertThat(Listing.of(new TarReader().read(tar), SECONDS)).isEqualTo(Listing.of(rich, SECONDS));
    }

    @Test
    void readsGnuUstar() throws Exception {
        Path tar = tmp.resolve("gnu-ustar.tar");
        TarTesting.tool("tar", null, "tar", "--format=ustar", "-C", ustar.toString(), "-cf", tar.toString(), ".");
        assertThat(Listing.of(new TarReader().read(tar), SECONDS)).isEqualTo(Listing.of(ustar, SECONDS));
    }

    @Test
    void readsGnuV7() throws Exception {
        // v7 has no owners beyond 7 octal digits, no devices, fifos or long names: a plain subset.
        Path tar = tmp.resolve("v7.tar");
        TarTesting.tool("tar", null, "tar", "--format=v7", "-C", ustar.toString(), "-cf", tar.toString(),
                "./etc", "./data", "./links/rel", "./links/hard1", "./links/hard2");
        String listing = Listing.of(new TarReader().read(tar), SECONDS);
        String source = Listing.of(ustar, SECONDS);
        for (String p : new String[] {"/etc/passwd ", "/data/deep/er/still/leaf.txt ", "/links/rel ", "/links/hard2 "}) {
            assertThat(line(listing, p)).isEqualTo(line(source, p));
        }
    }

    @Test
    void readsBsdtarPax() throws Exception {
        Path tar = tmp.resolve("bsd-pax.tar");
        TarTesting.tool("libarchive-tools", null, "bsdtar", "--format", "pax", "-cf", tar.toString(), "-C", rich.toString(), ".");
        assertThat(SampleTree.run("grep", "-c", "LIBARCHIVE.xattr", tar.toString()).trim()).isNotEqualTo("0");
        assertThat(Listing.of(new TarReader().read(tar), EXACT)).isEqualTo(Listing.of(rich, EXACT));
    }

    @Test
    void readsBsdtarUstar() throws Exception {
        Path tar = tmp.resolve("bsd-ustar.tar");
        TarTesting.tool("libarchive-tools", null, "bsdtar", "--format", "ustar", "-cf", tar.toString(), "-C", ustar.toString(), ".");
        assertThat(Listing.of(new TarReader().read(tar), SECONDS)).isEqualTo(Listing.of(ustar, SECONDS));
    }

    @Test
    void readsCompressedGnuTarThroughImages() throws Exception {
        String expected = TarTesting.withoutBigFile(Listing.of(rich, EXACT));
        String big = rich.relativize(rich.resolve(TarTesting.BIG_FILE.value())).toString();
        String[][] variants = {{"gz", "--gzip"}, {"zst", "--zstd"}, {"xz", "--xz"}};
        for (String[] v : variants) {
            Path tar = tmp.resolve("gnu.tar." + v[0]);
            TarTesting.tool("tar", null, "tar", v[1], "--format=pax", "--xattrs", "--xattrs-include=*",
                    "--exclude=./" + big, "-C", rich.toString(), "-cf", tar.toString(), ".");
            try (dev.kiln.fs.Tree t = Images.read(tar)) {
                assertThat(Listing.of(t, EXACT)).as(v[0]).isEqualTo(expected);
            }
        }
    }

    @Test
    void gnuSparseArchivesAreRefusedClearly() throws Exception {
        Path dir = Files.createDirectory(tmp.resolve("sparse"));
        Path f = dir.resolve("holes");
        try (var raf = new java.io.RandomAccessFile(f.toFile(), "rw")) {
            raf.setLength(1 << 20);
            raf.seek(1 << 19);
            raf.write(1);
        }
        for (String format : new String[] {"--format=gnu", "--format=pax"}) {
            Path tar = tmp.resolve("sparse.tar");
            Files.deleteIfExists(tar);
            TarTesting.tool("tar", null, "tar", format, "--sparse", "-C", dir.toString(), "-cf", tar.toString(), "./holes");
            assertThatThrownBy(() -> new TarReader().read(tar)).as(format)
                    .isInstanceOf(FormatException.class).hasMessageContaining("holes").hasMessageContaining("sparse");
        }
    }

    private static String withoutRootMtime(String listing) {
        return listing.replaceFirst("^(/ d \\S+ \\S+) t=\\S+", "$1");
    }

    private static String line(String listing, String prefix) {
        return listing.lines().filter(l -> l.startsWith(prefix)).findFirst().orElse("missing " + prefix);
    }
}
