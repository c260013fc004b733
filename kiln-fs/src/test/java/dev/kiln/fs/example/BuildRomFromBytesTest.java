package dev.kiln.fs.example;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.fs.EntryPath;
import dev.kiln.fs.Images;
import dev.kiln.fs.Node;
import dev.kiln.fs.Tree;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The README's library example: it runs, its ROM holds what it says, and the README shows it verbatim. */
class BuildRomFromBytesTest {
    private static final Path SOURCE = Path.of("src/test/java/dev/kiln/fs/example/BuildRomFromBytes.java");
    private static final Path README = Path.of("../README.md");

    @TempDir Path tmp;

    @Test
    void theExampleBuildsAnErofsRomFromBytes() throws Exception {
        Path rom = tmp.resolve("app.erofs");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PrintStream old = System.out;
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        try {
            BuildRomFromBytes.main(new String[] {rom.toString()});
        } finally {
            System.setOut(old);
        }
        assertThat(out.toString(StandardCharsets.UTF_8)).isEqualTo(Files.size(rom) + " bytes, 5 entries\n");
        try (Tree t = Images.read(rom)) {
            Node start = t.resolve(EntryPath.parse("etc/app/start.sh"));
            assertThat(start.meta().permissions()).isEqualTo(0755);
            assertThat(new String(((Node.File) start).content().readAll(), StandardCharsets.UTF_8)).startsWith("#!/bin/sh\n");
        }
    }

    @Test
    void theReadmeShowsTheExampleAsItIsCompiled() throws IOException {
        String source = Files.readString(SOURCE);
        String body = source.substring(source.indexOf("import "));
        assertThat(Files.readString(README)).as("README.md must show " + SOURCE + " from its imports on, verbatim")
                .contains("```java\n" + body + "```");
    }
}
