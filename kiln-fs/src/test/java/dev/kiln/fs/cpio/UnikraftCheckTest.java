package dev.kiln.fs.cpio;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import dev.kiln.fs.target.Check;
import dev.kiln.fs.target.Finding;
import dev.kiln.fs.target.LinuxTarget;
import dev.kiln.fs.target.UnikraftTarget;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * `kiln check --target unikraft` on archives where Unikraft 0.17's ukcpio ends up with
 * something other than what the archive means when read as kiln and Linux read it. Each
 * expectation was seen with the probe guest (UnikraftReplacementBootTest boots the same kinds
 * of archive).
 */
class UnikraftCheckTest {
    @TempDir Path tmp;

    private static final int SYMLINK = 0120777;

    private List<Finding> errors(RawCpio.Builder archive) throws Exception {
        Path image = tmp.resolve("x.cpio");
        Files.write(image, archive.build());
        Check.Result r = Check.run(image, new UnikraftTarget());
        assertThat(Check.run(image, new LinuxTarget()).ok()).as("Linux reads the same archive without complaint").isTrue();
        return r.findings().stream().filter(Finding::isError).toList();
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    @Test
    void aSecondArchiveAfterTheTrailerIsAnErrorNamingItsFirstMemberAndOffset() throws Exception {
        RawCpio.Builder b = new RawCpio.Builder().dir("etc").file("etc/a", "first\n").trailer();
        b.zeros(512 - b.size() % 512);
        int second = b.size();
        b.file("etc/a", "second\n").file("etc/b", "b\n").trailer();

        List<Finding> errors = errors(b);

        assertThat(errors).singleElement().satisfies(f -> {
            assertThat(f.path().display()).isEqualTo("/etc/a");
            assertThat(f.message()).startsWith("2 members follow the first archive's TRAILER!!! (this one at offset " + second + ")")
                    .contains("ukcpio reads only the first archive");
        });
    }

    @Test
    void paddingAfterTheTrailerIsNoSecondArchive() throws Exception {
        RawCpio.Builder b = new RawCpio.Builder().dir("etc").file("etc/a", "x").trailer().zeros(4096);
        assertThat(errors(b)).isEmpty();
    }

    @Test
    void aFileOverADirectoryThatHoldsEntriesIsAnErrorBecauseUkcpioRenamesTheDirectory() throws Exception {
        RawCpio.Builder b = new RawCpio.Builder().dir("a").file("a/x", "x");
        int offset = b.size();
        b.file("a", "now a file").trailer();

        assertThat(errors(b)).singleElement().satisfies(f -> {
            assertThat(f.path().display()).isEqualTo("/a");
            assertThat(f.message()).startsWith("offset " + offset + ": replaces the directory /a, which already holds entries")
                    .contains("renames it to /a.0");
        });
    }

    @Test
    void aSymlinkOverAFullDirectoryIsTheSameError() throws Exception {
        RawCpio.Builder b = new RawCpio.Builder().dir("a").file("a/x", "x").entry("a", SYMLINK, 0, 1, bytes("target")).trailer();
        assertThat(errors(b)).singleElement().satisfies(f -> assertThat(f.message()).contains("renames it to /a.0"));
    }

    @Test
    void replacementsThatUkcpioCarriesOutAsWrittenAreNoError() throws Exception {
        RawCpio.Builder b = new RawCpio.Builder()
                .dir("empty").file("empty", "a file where an empty directory was")
                .file("f", "x").dir("f")
                .file("t", "x").entry("s", SYMLINK, 0, 1, bytes("t")).dir("s")
                .dir("d").entry("s2", SYMLINK, 0, 1, bytes("d")).file("s2", "replaces the link, not d")
                .file("g", "x").entry("g", SYMLINK, 0, 1, bytes("t"))
                .trailer();
        assertThat(errors(b)).isEmpty();
    }

    @Test
    void aDirectoryOverASymlinkToADirectoryIsAnErrorBecauseUkcpioFollowsTheLink() throws Exception {
        RawCpio.Builder b = new RawCpio.Builder().dir("d").entry("s", SYMLINK, 0, 1, bytes("d"));
        int offset = b.size();
        b.entry("s", 040700, 0, 2, new byte[0]).file("s/y", "y").trailer();

        assertThat(errors(b)).singleElement().satisfies(f -> {
            assertThat(f.path().display()).isEqualTo("/s");
            assertThat(f.message()).startsWith("offset " + offset + ": a directory entry over the symlink /s -> d")
                    .contains("the guest keeps the symlink").contains("go to /d");
        });
    }

    @Test
    void aFileOverADanglingSymlinkIsAnErrorBecauseUkcpioWritesToTheLinksTarget() throws Exception {
        RawCpio.Builder b = new RawCpio.Builder().entry("s", SYMLINK, 0, 1, bytes("nowhere"));
        int offset = b.size();
        b.file("s", "data").trailer();

        assertThat(errors(b)).singleElement().satisfies(f -> assertThat(f.message())
                .startsWith("offset " + offset + ": a file entry over the dangling symlink /s -> nowhere")
                .contains("writes this file to /nowhere"));
    }

    @Test
    void aDirectoryOverADanglingSymlinkIsAnError() throws Exception {
        RawCpio.Builder b = new RawCpio.Builder().entry("s", SYMLINK, 0, 1, bytes("nowhere")).dir("s").trailer();
        assertThat(errors(b)).singleElement().satisfies(f -> assertThat(f.message())
                .contains("a directory entry over the dangling symlink /s -> nowhere").contains("has no directory /s"));
    }

    @Test
    void anEntryInADirectoryThatAFileReplacedFailsTheBoot() throws Exception {
        RawCpio.Builder b = new RawCpio.Builder().dir("a").dir("a/b");
        int replaced = b.size();
        b.file("a", "file");
        int child = b.size();
        b.file("a/c", "c").trailer();

        List<Finding> errors = errors(b);

        assertThat(errors).hasSize(2);
        assertThat(errors.get(1)).satisfies(f -> {
            assertThat(f.path().display()).isEqualTo("/a/c");
            assertThat(f.message()).isEqualTo("offset " + child + ": its directory /a is no directory in the guest after the entry at offset "
                    + replaced + ", so ukcpio cannot create this one and the boot fails");
        });
    }

    @Test
    void symlinkChainsThatDoubleAtEveryStepDoNotStallTheCheck() {
        // Followed naively, l0 -> l1/l1 -> l2/l2/l2/l2 ... is 2^60 lookups; the guest, like
        // Linux, gives up after 40 links, and so does the replay.
        RawCpio.Builder b = new RawCpio.Builder();
        for (int i = 0; i < 60; i++) b.entry("l" + i, SYMLINK, 0, 1, bytes("l" + (i + 1) + "/l" + (i + 1)));
        b.dir("l0").trailer();
        List<Finding> errors = assertTimeoutPreemptively(Duration.ofSeconds(10), () -> errors(b));
        assertThat(errors).singleElement().satisfies(f -> assertThat(f.message()).contains("over the dangling symlink /l0"));
    }

    @Test
    void kilnsOwnUnikraftArchivesHaveNoneOfThese() throws Exception {
        RawCpio.Builder b = new RawCpio.Builder().entry(".", 040755, 0, 2, new byte[0]).dir("etc").file("etc/a", "x")
                .entry("etc/l", SYMLINK, 0, 1, bytes("a")).trailer();
        assertThat(errors(b)).isEmpty();
    }
}
