package dev.kiln.fs.build;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kiln.fs.EntryPath;
import dev.kiln.fs.ImageFormat;
import dev.kiln.fs.Images;
import dev.kiln.fs.InvalidPathException;
import dev.kiln.fs.Node;
import dev.kiln.fs.Tree;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class MemorySourceTest {
    @TempDir Path tmp;

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void filesFromBytesBuildAnImageWithTheirParentsCreated() throws IOException {
        Source rom = Source.memory()
                .file("/etc/app/config.json", utf8("{\"port\":8080}\n"))
                .file("bin/run.sh", utf8("#!/bin/sh\n"), 0755)
                .symlink("/etc/app/current", "config.json")
                .directory("/var/empty")
                .build();
        for (ImageFormat f : ImageFormat.values()) {
            Path out = tmp.resolve("rom." + f.id());
            ImageBuild.builder().source(rom).format(f).build().writeTo(out);
            try (Tree t = Images.read(out)) {
                assertThat(t.resolve(EntryPath.parse("etc/app/config.json"))).isInstanceOfSatisfying(Node.File.class, file -> {
                    assertThat(file.meta().permissions()).isEqualTo(0644);
                });
                assertThat(((Node.File) t.resolve(EntryPath.parse("etc/app/config.json"))).content().readAll())
                        .asString().isEqualTo("{\"port\":8080}\n");
                assertThat(t.resolve(EntryPath.parse("bin/run.sh")).meta().permissions()).isEqualTo(0755);
                assertThat(t.resolve(EntryPath.parse("etc/app"))).isInstanceOf(Node.Directory.class);
                assertThat(t.resolve(EntryPath.parse("etc/app")).meta().permissions()).isEqualTo(0755);
                assertThat(t.resolve(EntryPath.parse("etc/app/current"))).isEqualTo(
                        new Node.Symlink(dev.kiln.fs.Metadata.of(0777), "config.json"));
                assertThat(t.resolve(EntryPath.parse("var/empty"))).isInstanceOf(Node.Directory.class);
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"../etc/passwd", "a/../../b", "a//b", "", "a/\0b", "/"})
    void aHostilePathIsRefusedWhenAddedNamingIt(String path) {
        assertThatThrownBy(() -> Source.memory().file(path, new byte[1]))
                .isInstanceOf(InvalidPathException.class)
                .hasMessageContaining(path.isEmpty() ? "empty path" : EntryPath.printable(path));
    }

    @Test
    void aDuplicateOrAFileInTheWayIsRefusedBeforeAnythingIsWritten() throws IOException {
        assertThatThrownBy(() -> Source.memory().file("a/b", new byte[1]).file("/a/b", new byte[2]))
                .isInstanceOf(InvalidPathException.class).hasMessageContaining("/a/b: given twice");
        assertThatThrownBy(() -> Source.memory().file("a", new byte[1]).file("a/b", new byte[2]))
                .isInstanceOf(InvalidPathException.class).hasMessageContaining("/a is not a directory");
        assertThatThrownBy(() -> Source.memory().file("a/b", new byte[1]).file("a", new byte[2]))
                .isInstanceOf(InvalidPathException.class).hasMessageContaining("entries below it");
        try (Stream<Path> s = Files.list(tmp)) {
            assertThat(s).isEmpty();
        }
    }

    @Test
    void theBytesAreCopiedSoTheSourceIsImmutable() throws IOException {
        byte[] data = utf8("before");
        Source rom = Source.memory().file("f", data).build();
        data[0] = 'X';
        byte[] image = ImageBuild.builder().source(rom).format(ImageFormat.TAR).build().toBytes();
        Path out = Files.write(tmp.resolve("x.tar"), image);
        try (Tree t = Images.read(out)) {
            assertThat(((Node.File) t.resolve(EntryPath.parse("f"))).content().readAll()).asString().isEqualTo("before");
        }
    }
}
