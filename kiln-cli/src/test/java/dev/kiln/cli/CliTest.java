package dev.kiln.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.fs.testing.Listing;
import dev.kiln.fs.testing.SampleTree;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The commands as a user runs them, on real files, checked against the source tree. */
class CliTest {
    @TempDir Path tmp;
    Path src;

    @BeforeEach
    void sample() throws Exception {
        src = Files.createDirectory(tmp.resolve("src"));
        SampleTree.create(src);
    }

    @ParameterizedTest
    @ValueSource(strings = {"rootfs.cpio", "rootfs.cpio.gz", "rootfs.cpio.zst", "rootfs.tar", "rootfs.tar.xz", "rootfs.erofs"})
    void buildThenExtractGivesTheSourceBack(String name) throws Exception {
        Path img = tmp.resolve(name);
        Cli b = Cli.run("build", src.toString(), "-o", img.toString(), "--owner", "keep");
        assertThat(b.exit()).as(b.err()).isZero();
        assertThat(b.err()).contains("wrote " + img);

        Path out = tmp.resolve("out");
        Cli x = Cli.run("extract", img.toString(), out.toString());
        assertThat(x.exit()).as(x.err()).isZero();
        assertThat(Listing.of(out, Listing.Options.ALL)).isEqualTo(Listing.of(src, Listing.Options.ALL));

        Cli d = Cli.run("diff", src.toString(), img.toString());
        assertThat(d.out()).isEmpty();
        assertThat(d.exit()).isZero();
    }

    @Test
    void lsCatAndJson() throws Exception {
        Path img = tmp.resolve("r.cpio");
        assertThat(Cli.run("build", src.toString(), "-o", img.toString()).exit()).isZero();
        Cli ls = Cli.run("ls", img.toString(), "/etc");
        assertThat(ls.out()).isEqualTo("hostname\npasswd\n");
        Cli lsl = Cli.run("ls", "-l", img.toString(), "/bin");
        assertThat(lsl.out()).contains("-rwsr-xr-x").contains("-rwxr-sr-x").contains("0/0");
        Cli rec = Cli.run("ls", "-R", img.toString(), "links");
        assertThat(rec.out()).contains("/links/rel\n").contains("/links/hard2\n");
        Cli json = Cli.run("ls", "--json", img.toString(), "/links/rel");
        assertThat(json.out()).startsWith("[{\"path\":\"/links/rel\",\"type\":\"symlink\"").contains("\"target\":\"../etc/hostname\"");
        Cli cat = Cli.run("cat", img.toString(), "/links/rel");
        assertThat(cat.out()).isEqualTo("kiln\n");
        assertThat(Cli.run("cat", img.toString(), "/nope").exit()).isEqualTo(3);
    }

    @Test
    void diffReportsOneLinePerDifferenceAndExitsOne() throws Exception {
        Path a = tmp.resolve("a.tar"), b = tmp.resolve("b.tar");
        assertThat(Cli.run("build", src.toString(), "-o", a.toString()).exit()).isZero();
        Files.writeString(src.resolve("etc/hostname"), "changed\n");
        Files.delete(src.resolve("data/size-1"));
        assertThat(Cli.run("build", src.toString(), "-o", b.toString(), "--mtime", "0").exit()).isZero();
        Cli d = Cli.run("diff", "--no-mtimes", a.toString(), b.toString());
        assertThat(d.exit()).isEqualTo(1);
        assertThat(d.out()).isEqualTo("- /data/size-1\ncontent /etc/hostname: 5 bytes -> 8 bytes\n");
        Cli j = Cli.run("diff", "--json", "--no-mtimes", a.toString(), b.toString());
        assertThat(j.out()).isEqualTo("[{\"path\":\"/data/size-1\",\"kind\":\"only-a\"},{\"path\":\"/etc/hostname\",\"kind\":\"content\",\"a\":\"5 bytes\",\"b\":\"8 bytes\"}]\n");
    }

    @Test
    void unikraftTargetAdaptsTheBuildAndCheckFlagsWhatUnikraftCannotRead() throws Exception {
        Path img = tmp.resolve("uk.cpio");
        Cli b = Cli.run("build", src.toString(), "-o", img.toString(), "--target", "unikraft", "--owner", "keep");
        assertThat(b.exit()).as(b.err()).isZero();
        assertThat(b.err()).contains("fifo dropped").contains("setuid/setgid/sticky").contains("the guest needs at least");
        Cli ls = Cli.run("ls", "-R", "-l", img.toString());
        assertThat(ls.out()).doesNotContain("/fifo").doesNotContain("=> ");
        assertThat(Cli.run("check", img.toString(), "--target", "unikraft").exit()).isZero();

        Path gz = tmp.resolve("linux.cpio.gz");
        assertThat(Cli.run("build", src.toString(), "-o", gz.toString()).exit()).isZero();
        Cli c = Cli.run("check", gz.toString(), "--target", "unikraft");
        assertThat(c.exit()).isEqualTo(1);
        assertThat(c.out()).contains("error: gzip compression: ukcpio cannot decompress").contains("error: /links/hard1: hard link stored without data");
        assertThat(Cli.run("check", gz.toString(), "--target", "linux").exit()).isZero();
        Cli j = Cli.run("check", "--json", gz.toString(), "--target", "unikraft");
        assertThat(j.out()).contains("\"ok\":false").contains("\"severity\":\"error\"");
    }

    @ParameterizedTest
    @ValueSource(strings = {"-T0", "-zlz4", "-zlz4hc -C65536", "-zlz4hc -Eztailpacking", "--chunksize=8192"})
    void diffFindsNothingBetweenTheSourceAndWhatMkfsErofsWrote(String options) throws Exception {
        // mkfs.erofs 1.5 stops at 255-byte names, which the sample has.
        Files.delete(src.resolve("names/" + "l".repeat(255)));
        Path img = tmp.resolve("mkfs.erofs");
        java.util.List<String> cmd = new java.util.ArrayList<>(java.util.List.of("mkfs.erofs"));
        cmd.addAll(java.util.List.of(options.split(" ")));
        cmd.addAll(java.util.List.of(img.toString(), src.toString()));
        SampleTree.run(cmd.toArray(String[]::new));
        // -T0 sets every mtime to 0; the others keep them to the nanosecond.
        Cli d = options.equals("-T0") ? Cli.run("diff", "--no-mtimes", src.toString(), img.toString())
                : Cli.run("diff", "--nanos", src.toString(), img.toString());
        assertThat(d.out()).isEmpty();
        assertThat(d.exit()).isZero();
        Cli c = Cli.run("check", img.toString(), "--target", "linux");
        assertThat(c.exit()).isZero();
        assertThat(c.out()).contains("info: needs Linux " + (options.contains("-C65536") ? "5.13" : options.contains("ztail") ? "5.17"
                : options.contains("chunk") ? "5.15" : "5.4"));
    }

    @Test
    void checkSeesArchiveOrderThatUnikraftCannotExtract() throws Exception {
        // find -depth lists children before their directories: fine for Linux, fatal for ukcpio.
        Path depthFirst = tmp.resolve("depth.cpio");
        SampleTree.run(src, "sh", "-c", "find . -depth | cpio -o -H newc --quiet > " + depthFirst);
        Cli c = Cli.run("check", depthFirst.toString(), "--target", "unikraft");
        assertThat(c.exit()).isEqualTo(1);
        assertThat(c.out()).contains(": its directory /bin comes later in the archive: ukcpio creates no parent directories, the boot fails");
        assertThat(Cli.run("check", depthFirst.toString(), "--target", "linux").exit()).isZero();

        // A member whose directory is never listed at all.
        Path orphan = tmp.resolve("orphan.cpio");
        SampleTree.run(src, "sh", "-c", "echo etc/hostname | cpio -o -H newc --quiet > " + orphan);
        assertThat(Cli.run("check", orphan.toString(), "--target", "unikraft").out())
                .contains("there is no entry for its directory /etc");

        // kiln's own unikraft build passes its own check.
        Path kiln = tmp.resolve("kiln.cpio");
        assertThat(Cli.run("build", src.toString(), "-o", kiln.toString(), "--target", "unikraft").exit()).isZero();
        Cli ok = Cli.run("check", kiln.toString(), "--target", "unikraft");
        assertThat(ok.out()).doesNotContain("error:");
        assertThat(ok.exit()).isZero();
    }

    @Test
    void everyCommandHasHelpAndTheTopLevelListsThemAll() {
        for (String cmd : List.of("build", "ls", "cat", "extract", "diff", "check")) {
            Cli help = Cli.run(cmd, "--help");
            assertThat(help.exit()).as(cmd).isZero();
            assertThat(help.out()).as(cmd).startsWith("Usage: kiln " + cmd + " ");
        }
        Cli top = Cli.run("--help");
        assertThat(top.exit()).isZero();
        assertThat(top.out()).contains("build ", "ls ", "cat ", "extract ", "diff ", "check ");
        assertThat(Cli.run("--version").out().trim()).isEqualTo("kiln 0.1.0");
        Cli typo = Cli.run("biuld", "x");
        assertThat(typo.exit()).isEqualTo(2);
        assertThat(typo.err()).contains("biuld");
    }

    @Test
    void aBuildThatFailsLeavesTheOldOutputAlone() throws Exception {
        Path img = tmp.resolve("keep.cpio");
        Files.writeString(img, "previous image");
        // The host cannot hold a 256-byte name, but a mapping can put one into the image.
        String tooLong = src.resolve("etc/hostname") + ":/names/" + "n".repeat(256);
        Cli b = Cli.run("build", src.toString(), tooLong, "-o", img.toString(), "--target", "unikraft");
        assertThat(b.exit()).isEqualTo(1);
        assertThat(b.err()).contains("allows at most 255");
        assertThat(Files.readString(img)).isEqualTo("previous image");
        try (var s = Files.list(tmp)) {
            assertThat(s.filter(p -> p.getFileName().toString().contains("kiln-tmp")).toList()).isEmpty();
        }
    }

    @Test
    void badInputIsOneLineWithExitThreeAndUsageErrorsExitTwo() throws Exception {
        Path junk = tmp.resolve("junk.cpio");
        Files.writeString(junk, "070701" + "zz".repeat(60));
        Cli c = Cli.run("ls", junk.toString());
        assertThat(c.exit()).isEqualTo(3);
        assertThat(c.err().strip().lines()).hasSize(1);
        assertThat(c.err()).startsWith("kiln: ").doesNotContain("Exception").doesNotContain("\tat ");
        assertThat(Cli.run("build", src.toString()).exit()).isEqualTo(2);
        assertThat(Cli.run("build", src.toString(), "-o", tmp.resolve("x.bin").toString()).exit()).isEqualTo(2);
        assertThat(Cli.run("build", src.toString(), "-o", tmp.resolve("x.erofs").toString(), "--compress", "gzip").exit()).isEqualTo(2);
        assertThat(Cli.run("nonsense").exit()).isEqualTo(2);
    }
}
