package dev.kiln.fs;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.fs.build.ImageBuild;
import dev.kiln.fs.build.Source;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImagesTest {
    @TempDir Path tmp;

    private static long count(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.count();
        }
    }

    @Test
    void readingAThousandGzipImagesAndClosingThemLeavesNoTemporaryFile() throws IOException {
        Path images = Files.createDirectories(tmp.resolve("images"));
        Path spool = Files.createDirectories(tmp.resolve("spool"));
        for (int i = 0; i < 4; i++) {
            Source s = Source.memory().file("etc/n", ("image " + i + "\n").getBytes(StandardCharsets.UTF_8)).build();
            ImageBuild.builder().source(s).fileName("i" + i + ".cpio.gz").build().writeTo(images.resolve("i" + i + ".cpio.gz"));
            ImageBuild.builder().source(s).fileName("i" + i + ".tar.gz").build().writeTo(images.resolve("i" + i + ".tar.gz"));
        }
        Path defaultTmp = Path.of(System.getProperty("java.io.tmpdir"));
        long spoolsBefore = spools(defaultTmp);
        try (Stream<Path> s = Files.list(images)) {
            Path[] all = s.sorted().toArray(Path[]::new);
            for (int i = 0; i < 1000; i++) {
                Path image = all[i % all.length];
                boolean dedicated = i % 2 == 0;
                try (Tree t = dedicated ? Images.read(image, spool) : Images.read(image)) {
                    if (dedicated) assertThat(count(spool)).isEqualTo(1);
                    Node.File f = (Node.File) t.resolve(EntryPath.parse("etc/n"));
                    assertThat(new String(f.content().readAll(), StandardCharsets.UTF_8)).startsWith("image ");
                }
            }
        }
        assertThat(count(spool)).isZero();
        assertThat(spools(defaultTmp)).isLessThanOrEqualTo(spoolsBefore);
    }

    @Test
    void aCorruptStreamLeavesNoTemporaryFile() throws IOException {
        Path spool = Files.createDirectories(tmp.resolve("spool"));
        Path bad = tmp.resolve("bad.cpio.gz");
        Files.write(bad, new byte[] {0x1f, (byte) 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 1, 2, 3});
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> Images.read(bad, spool))
                .isInstanceOf(FormatException.class).hasMessageContaining("corrupt gzip stream");
        assertThat(count(spool)).isZero();
    }

    /** kiln's decompressed copies in {@code dir}. */
    private static long spools(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.getFileName().toString().endsWith(".spool")).count();
        }
    }
}
