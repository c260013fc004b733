package dev.kiln.fs.cpio;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.fs.guest.UnikraftProbe;
import dev.kiln.fs.target.Check;
import dev.kiln.fs.target.UnikraftTarget;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What Unikraft 0.17's ukcpio (the probe guest) makes of the archives `kiln check --target
 * unikraft` rejects, and of the replacements it lets through: the check's messages must say
 * what this guest really shows.
 */
class UnikraftReplacementBootTest {
    @TempDir static Path tmp;
    static UnikraftProbe probe;

    private static final int SYMLINK = 0120777;

    @BeforeAll
    static void findProbe() {
        probe = UnikraftProbe.find();
    }

    /** The guest's walk as "type mode path[ -> target]" lines, in walk order, or the failure. */
    private static List<String> seen(RawCpio.Builder archive, boolean checkOk) throws Exception {
        Path image = Files.createTempFile(tmp, "x", ".cpio");
        Files.write(image, archive.build());
        assertThat(Check.run(image, new UnikraftTarget()).ok()).as("kiln check --target unikraft passes").isEqualTo(checkOk);
        UnikraftProbe.Result r = probe.boot(image, 16, "walk=/");
        if (!r.done()) {
            return r.console().lines().filter(l -> l.contains("ERR:")).map(l -> l.replaceAll("^.*ERR: +", "ERR ")).limit(1).toList();
        }
        Pattern entry = Pattern.compile("E (.) (\\d{4}) (?:\\S+ ){6}(\\S+)(?: fnv1a64=\\S+ crc32=\\S+)?(.*)");
        return r.console().lines().map(entry::matcher).filter(java.util.regex.Matcher::matches)
                .filter(m -> !m.group(3).equals("/"))
                .map(m -> m.group(1) + " " + m.group(2) + " " + m.group(3) + m.group(4)).toList();
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    @Test
    void aFileOverAFullDirectoryLeavesTheDirectoryBesideItAsNameDotZero() throws Exception {
        assertThat(seen(new RawCpio.Builder().dir("a").file("a/x", "x").file("a", "file").trailer(), false))
                .containsExactly("d 0755 /a.0", "f 0644 /a.0/x", "f 0644 /a");
    }

    @Test
    void aDirectoryOverASymlinkToADirectoryKeepsTheSymlinkAndChangesItsTarget() throws Exception {
        assertThat(seen(new RawCpio.Builder().dir("d").entry("s", SYMLINK, 0, 1, bytes("d"))
                .entry("s", 040700, 0, 2, new byte[0]).file("s/y", "y").trailer(), false))
                .containsExactly("d 0700 /d", "f 0644 /d/y", "l 0777 /s -> d");
    }

    @Test
    void aFileOverADanglingSymlinkLandsAtTheLinksTarget() throws Exception {
        assertThat(seen(new RawCpio.Builder().entry("s", SYMLINK, 0, 1, bytes("nowhere")).file("s", "data").trailer(), false))
                .containsExactly("l 0777 /s -> nowhere", "f 0644 /nowhere");
    }

    @Test
    void aDirectoryOverADanglingSymlinkLeavesNoDirectory() throws Exception {
        assertThat(seen(new RawCpio.Builder().entry("s", SYMLINK, 0, 1, bytes("nowhere")).dir("s").trailer(), false))
                .isNotEmpty().allMatch(l -> l.equals("l 0777 /s -> nowhere"));
    }

    @Test
    void anEntryUnderADirectoryThatAFileReplacedStopsTheBoot() throws Exception {
        assertThat(seen(new RawCpio.Builder().dir("a").dir("a/b").file("a", "file").file("a/c", "c").trailer(), false))
                .containsExactly("ERR [libukcpio] <cpio.c @  137> /a/c: Failed to create file: Not a directory (20)");
    }

    @Test
    void aSecondArchiveIsNeverExtracted() throws Exception {
        RawCpio.Builder b = new RawCpio.Builder().dir("etc").file("etc/a", "first").trailer();
        b.zeros(512 - b.size() % 512).file("etc/a", "second").file("etc/b", "b").trailer();
        assertThat(seen(b, false)).containsExactly("d 0755 /etc", "f 0644 /etc/a");
    }

    @Test
    void replacementsTheCheckAcceptsComeOutAsTheLaterEntry() throws Exception {
        assertThat(seen(new RawCpio.Builder()
                .dir("empty").file("empty", "x")
                .file("f", "x").dir("f")
                .file("t", "x").entry("s", SYMLINK, 0, 1, bytes("t")).dir("s")
                .dir("d").entry("s2", SYMLINK, 0, 1, bytes("d")).file("s2", "y")
                .file("g", "x").entry("g", SYMLINK, 0, 1, bytes("t"))
                .trailer(), true))
                .containsExactlyInAnyOrder("f 0644 /empty", "d 0755 /f", "f 0644 /t", "d 0755 /s", "d 0755 /d", "f 0644 /s2",
                        "l 0777 /g -> t");
    }
}
