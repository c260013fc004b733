package dev.kiln.fs;

import dev.kiln.fs.io.AtomicFile;
import dev.kiln.fs.io.Utf8;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AtomicFileTest {
    @TempDir Path dir;

    private static void put(Path target, String text) throws IOException {
        AtomicFile.write(target, ch -> ch.write(ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8))));
    }

    private long leftovers() throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.getFileName().toString().endsWith(".kiln-tmp")).count();
        }
    }

    @Test
    void createsANewFileReadableByAll() throws IOException {
        Path out = dir.resolve("new.img");
        put(out, "first");
        assertThat(Files.readString(out)).isEqualTo("first");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(out))).isEqualTo("rw-r--r--");
        assertThat(leftovers()).isZero();
    }

    @Test
    void replacesAnExistingFileAndDeletesTheOldOne() throws IOException {
        Path out = dir.resolve("img");
        Files.writeString(out, "an old and longer image");
        Object oldInode = Files.readAttributes(out, "unix:ino").get("ino");
        put(out, "new");
        assertThat(Files.readString(out)).isEqualTo("new");
        assertThat(Files.readAttributes(out, "unix:ino").get("ino")).isNotEqualTo(oldInode);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(out))).isEqualTo("rw-r--r--");
        try (Stream<Path> s = Files.list(dir)) {
            assertThat(s.toList()).containsExactly(out); // the old image is gone, no temporary left
        }
    }

    @Test
    void replacesASymlinkItselfNotItsTarget() throws IOException {
        Path target = dir.resolve("target");
        Files.writeString(target, "untouched");
        Path link = Files.createSymbolicLink(dir.resolve("link"), target.getFileName());
        put(link, "image");
        assertThat(Files.isSymbolicLink(link)).isFalse();
        assertThat(Files.readString(link)).isEqualTo("image");
        assertThat(Files.readString(target)).isEqualTo("untouched");
        assertThat(leftovers()).isZero();
    }

    @Test
    void aFailingWriterLeavesTheOldFileAndNoTemporary() throws IOException {
        Path out = dir.resolve("keep");
        Files.writeString(out, "previous");
        assertThatThrownBy(() -> AtomicFile.write(out, ch -> {
            ch.write(ByteBuffer.wrap(new byte[100]));
            throw new IOException("disk on fire");
        })).hasMessage("disk on fire");
        assertThat(Files.readString(out)).isEqualTo("previous");
        assertThat(Files.exists(out, LinkOption.NOFOLLOW_LINKS)).isTrue();
        assertThat(leftovers()).isZero();
    }
}
