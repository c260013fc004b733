package dev.kiln.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.fs.testing.SampleTree;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;

/**
 * Same inputs, same bytes: two copies of a tree created in opposite orders (so directory
 * enumeration differs), with different host owners, built under different locales and clocks,
 * give byte-identical images.
 */
class ReproducibilityTest {
    @TempDir Path tmp;

    @ParameterizedTest
    @ValueSource(strings = {"cpio", "cpio.gz", "tar", "tar.zst", "erofs"})
    void differentlyOrderedCopiesGiveIdenticalBytes(String ext) throws Exception {
        Path a = Files.createDirectory(tmp.resolve("a")), b = Files.createDirectory(tmp.resolve("b"));
        List<String> names = new java.util.ArrayList<>();
        for (int i = 0; i < 300; i++) names.add("d" + (i % 7) + "/f" + i);
        write(a, names);
        write(b, names.reversed());
        SampleTree.run("chown", "-R", "1234:99", b.toString());
        SampleTree.setTimes(a);
        SampleTree.setTimes(b);
        Path ia = tmp.resolve("a." + ext), ib = tmp.resolve("b." + ext);
        assertThat(Cli.run("build", a.toString(), "-o", ia.toString()).exit()).isZero();
        Thread.sleep(1100); // a different clock second must not matter
        assertThat(Cli.run("build", b.toString(), "-o", ib.toString()).exit()).isZero();
        assertThat(Files.readAllBytes(ib)).isEqualTo(Files.readAllBytes(ia));
    }

    private static void write(Path root, List<String> names) throws Exception {
        for (String n : names) {
            Path p = root.resolve(n);
            Files.createDirectories(p.getParent());
            Files.writeString(p, "content of " + n + "\n".repeat(n.length()));
        }
    }
}
