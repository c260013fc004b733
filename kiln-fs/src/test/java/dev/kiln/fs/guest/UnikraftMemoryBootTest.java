package dev.kiln.fs.guest;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.fs.io.AtomicFile;
import dev.kiln.fs.Compression;
import dev.kiln.fs.Content;
import dev.kiln.fs.Entry;
import dev.kiln.fs.EntryPath;
import dev.kiln.fs.Metadata;
import dev.kiln.fs.Node;
import dev.kiln.fs.Progress;
import dev.kiln.fs.Tree;
import dev.kiln.fs.cpio.CpioWriter;
import dev.kiln.fs.target.Finding;
import dev.kiln.fs.target.UnikraftTarget;
import dev.kiln.fs.testing.SampleTree;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.CRC32;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Unikraft 0.17 (the probe guest) boots kiln's --target unikraft initrds with exactly the
 * memory kiln prints, walks every entry and reads every file; and far less memory really does
 * stop the boot in ukcpio, so the figure is not a formality.
 */
class UnikraftMemoryBootTest {
    @TempDir static Path tmp;
    static UnikraftProbe probe;

    @BeforeAll
    static void findProbe() {
        probe = UnikraftProbe.find();
    }

    /** An initrd as `kiln build --target unikraft` writes it, with the tree that went in and the MiB it printed. */
    private record Initrd(Path image, Tree tree, int mib) {}

    private static Initrd build(String name, Tree tree) throws Exception {
        UnikraftTarget target = new UnikraftTarget();
        assertThat(target.prepare(tree)).noneMatch(Finding::isError);
        Path image = tmp.resolve(name + ".cpio");
        CpioWriter w = new CpioWriter(new CpioWriter.Options(false, target.copyHardLinks(), Compression.NONE));
        AtomicFile.write(image, ch -> w.write(tree, ch, Progress.NONE));
        String note = target.afterBuild(tree, Files.size(image)).getFirst().message();
        Matcher m = Pattern.compile("the guest needs at least (\\d+) MiB").matcher(note);
        assertThat(m.find()).as(note).isTrue();
        return new Initrd(image, tree, Integer.parseInt(m.group(1)));
    }

    private static void file(Tree t, String path, int size, int seed) {
        t.put(new EntryPath(path), new Node.File(Metadata.of(0644), Content.of(SampleTree.bytes(size, seed))));
    }

    private static void dir(Tree t, String path, int mode) {
        t.put(new EntryPath(path), new Node.Directory(Metadata.of(mode)));
    }

    /** Boots with the printed figure and checks that the guest saw the tree as kiln wrote it. */
    private static UnikraftProbe.Result bootsWithTheFigure(Initrd initrd) throws Exception {
        UnikraftProbe.Result r = probe.boot(initrd.image(), initrd.mib(), "walk=/");
        System.out.printf("UnikraftMemoryBootTest %s: %d MiB, %d ms%n", initrd.image().getFileName(), initrd.mib(), r.elapsed().toMillis());
        assertThat(r.done()).as("PROBE-DONE errors=0 with %d MiB:%n%s", initrd.mib(), r.console()).isTrue();
        assertThat(r.console()).contains("WALK-DONE " + initrd.tree().size() + " errors=0");
        Map<String, String[]> seen = walk(r.console());
        for (Entry e : initrd.tree().entries()) {
            String[] f = seen.get(e.path().display());
            assertThat(f).as("the guest lists %s", e.path()).isNotNull();
            if (e.node() instanceof Node.Directory d) {
                assertThat(Integer.parseInt(f[2], 8)).as("mode of %s", e.path()).isEqualTo(d.meta().permissions());
            } else if (e.node() instanceof Node.File file) {
                CRC32 crc = new CRC32();
                crc.update(file.content().readAll());
                assertThat(f[f.length - 1]).as("data of %s", e.path()).isEqualTo(String.format("crc32=%08x", crc.getValue()));
            }
        }
        return r;
    }

    /** The walk's "E type mode uid gid size nlink ino mtime path [extras]" lines by path. */
    private static Map<String, String[]> walk(String console) {
        Map<String, String[]> out = new HashMap<>();
        for (String line : console.split("\n")) {
            if (line.startsWith("E ")) out.put(line.split(" ")[9], line.split(" "));
        }
        return out;
    }

    @Test
    void fewLargeFilesBootWithThePrintedFigureAndHalfOfItFailsToLoadTheirContent() throws Exception {
        Tree t = new Tree();
        dir(t, "data", 0755);
        for (int i = 0; i < 3; i++) file(t, "data/blob" + i, 1_500_000, i);
        Initrd initrd = build("large", t);

        bootsWithTheFigure(initrd);

        UnikraftProbe.Result half = probe.boot(initrd.image(), initrd.mib() / 2, "walk=/");
        assertThat(half.console()).as("with %d MiB", initrd.mib() / 2)
                .contains("Failed to load content: Input/output error").doesNotContain("PROBE-START");
    }

    @Test
    void manySmallFilesAndSymlinksBootWithThePrintedFigure() throws Exception {
        Tree t = new Tree();
        for (int i = 0; i < 400; i++) {
            if (i % 50 == 0) dir(t, "d" + i / 50, 0755);
            file(t, "d" + i / 50 + "/f" + i, (i * 37) % 3000, i);
        }
        for (int i = 0; i < 40; i++) t.put(new EntryPath("d0/link" + i), new Node.Symlink(Metadata.of(0777), "f" + i));
        bootsWithTheFigure(build("small", t));
    }

    @Test
    void aDeepTreeWithWritableDirectoriesBootsWithThePrintedFigureAndTheModesKilnWrote() throws Exception {
        Tree t = new Tree();
        StringBuilder p = new StringBuilder();
        for (int level = 0; level < 40; level++) {
            p.append(level == 0 ? "" : "/").append("level").append(level);
            dir(t, p.toString(), level % 2 == 0 ? 0777 : 0775);
            file(t, p + "/f", 5000, level);
        }
        List<Finding> findings = new UnikraftTarget().prepare(t);
        assertThat(findings).anyMatch(f -> f.message().startsWith("40 directories were group/other-writable"));
        // The walk compares every directory's mode with the tree after prepare: 0755 throughout.
        bootsWithTheFigure(build("deep", t));
    }
}
