package dev.kiln.fs;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.fs.testing.SampleTree;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImageFormatTest {
    @TempDir Path tmp;

    @Test
    void recognisesArchivesByContentWhateverTheirName() throws Exception {
        Path src = Files.createDirectory(tmp.resolve("src"));
        Files.writeString(src.resolve("hello"), "hello\n");
        SampleTree.run(src, "tar", "--format=v7", "-cf", tmp.resolve("v7.bin").toString(), "hello");
        SampleTree.run(src, "tar", "--format=pax", "-czf", tmp.resolve("pax.bin").toString(), "hello");
        SampleTree.run(src, "sh", "-c", "echo hello | cpio -o -H newc > " + tmp.resolve("newc.bin"));
        assertThat(ImageFormat.detect(tmp.resolve("v7.bin"))).contains(ImageFormat.TAR);
        assertThat(ImageFormat.detect(tmp.resolve("pax.bin"))).contains(ImageFormat.TAR);
        assertThat(ImageFormat.detect(tmp.resolve("newc.bin"))).contains(ImageFormat.CPIO);
        Files.writeString(tmp.resolve("text.bin"), "just some text\n".repeat(100));
        assertThat(ImageFormat.detect(tmp.resolve("text.bin"))).isEmpty();
        try (Tree t = Images.read(tmp.resolve("v7.bin"))) {
            assertThat(new String(((Node.File) t.resolve(EntryPath.parse("hello"))).content().readAll())).isEqualTo("hello\n");
        }
    }
}
