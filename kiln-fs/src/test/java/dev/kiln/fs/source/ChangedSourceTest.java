package dev.kiln.fs.source;

import dev.kiln.fs.build.MtimePolicy;
import dev.kiln.fs.build.Ownership;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kiln.fs.io.ImageWriter;
import dev.kiln.fs.Progress;
import dev.kiln.fs.Tree;
import dev.kiln.fs.cpio.CpioWriter;
import dev.kiln.fs.erofs.ErofsWriter;
import dev.kiln.fs.testing.SampleTree;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A host file that changes between the walk and the writer's read of it: every writer fails
 * with a message naming it and never writes what a replacing symlink points to. Two victims:
 * a small file, read relative to its directory ({@code DirectoryReader}; there are enough of
 * them that the EROFS writer reads them on its pool), and a large one, which takes each writer's
 * data path (EROFS: copied block by block, or read into the compression pipeline; cpio:
 * transferred). A fifo in place of either is never waited on.
 */
class ChangedSourceTest {
    @TempDir Path tmp;

    private static final String VICTIM = "f050";
    private static final String LARGE = "large";

    private Tree walk(Path dir) throws IOException {
        return Sources.build(List.of(Sources.parse(dir.toString())), Excludes.NONE,
                MtimePolicy.KEEP);
    }

    private Path tree() throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("src/sub"));
        for (int i = 0; i < 100; i++) Files.writeString(dir.resolve(String.format("f%03d", i)), "file " + i + "\n");
        Files.writeString(dir.resolve(LARGE), "a large file of compressible text\n".repeat(6000));
        Files.write(tmp.resolve("big"), new byte[10_000]);
        return tmp.resolve("src");
    }

    private static ImageWriter writer(String format) {
        return switch (format) {
            case "erofs" -> new ErofsWriter(new ErofsWriter.Options(ErofsWriter.Algorithm.NONE, 9, 65536, new UUID(1, 2), 0));
            case "erofs-lz4" -> new ErofsWriter(new ErofsWriter.Options(ErofsWriter.Algorithm.LZ4, 9, 65536, new UUID(1, 2), 0));
            default -> new CpioWriter(CpioWriter.Options.defaults());
        };
    }

    /** Writes on another thread so that a hang fails the test instead of stalling the suite. */
    private void write(Tree tree, String format) throws Throwable {
        Path out = tmp.resolve("out." + format);
        CompletableFuture<Void> done = CompletableFuture.runAsync(() -> {
            try (FileChannel ch = FileChannel.open(out, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.READ)) {
                writer(format).write(tree, ch, Progress.NONE);
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        try {
            done.get(Duration.ofSeconds(30).toMillis(), TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.ExecutionException e) {
            Throwable cause = e.getCause() instanceof java.io.UncheckedIOException u ? u.getCause() : e.getCause();
            throw cause;
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"erofs", "erofs-lz4", "cpio"})
    void unchangedFilesAreWritten(String format) throws Throwable {
        write(walk(tree()), format); // the baseline: the failures below come from the change alone
        assertThat(tmp.resolve("out." + format)).isNotEmptyFile();
    }

    private interface Change {
        void apply(Path victim) throws IOException;
    }

    /** The tree as walked, with {@code victim} then changed on the host by {@code change}. */
    private Tree walkThen(String victim, Change change) throws IOException {
        Path dir = tree();
        Tree walked = walk(dir);
        change.apply(dir.resolve("sub").resolve(victim));
        return walked;
    }

    @ParameterizedTest
    @CsvSource({"erofs,f050", "erofs-lz4,f050", "cpio,f050", "erofs,large", "erofs-lz4,large", "cpio,large"})
    void aFileThatGrewFails(String format, String victim) throws Throwable {
        Tree tree = walkThen(victim, f -> Files.writeString(f, Files.readString(f) + "and more\n"));
        // EROFS says what it found, cpio that the file grew.
        long now = Files.size(tmp.resolve("src/sub").resolve(victim));
        assertThatThrownBy(() -> write(tree, format)).hasMessageContaining(victim)
                .satisfies(e -> assertThat(e.getMessage()).containsAnyOf("found " + now, "grew"));
    }

    @ParameterizedTest
    @CsvSource({"erofs,f050", "erofs-lz4,f050", "cpio,f050", "erofs,large", "erofs-lz4,large", "cpio,large"})
    void aFileThatShrankFails(String format, String victim) throws Throwable {
        Tree tree = walkThen(victim, f -> Files.writeString(f, "f\n"));
        assertThatThrownBy(() -> write(tree, format)).hasMessageContaining(victim);
    }

    @ParameterizedTest
    @CsvSource({"erofs,f050", "erofs-lz4,f050", "cpio,f050", "erofs,large", "erofs-lz4,large", "cpio,large"})
    void aDeletedFileFails(String format, String victim) throws Throwable {
        Tree tree = walkThen(victim, Files::delete);
        assertThatThrownBy(() -> write(tree, format)).hasMessageContaining(victim)
                .satisfies(e -> assertThat(e.getMessage().toLowerCase()).contains("no such file"));
    }

    @ParameterizedTest
    @CsvSource({"erofs,f050", "erofs-lz4,f050", "cpio,f050", "erofs,large", "erofs-lz4,large", "cpio,large"})
    void aFileReplacedByAFifoFailsWithoutWaitingForAWriter(String format, String victim) throws Throwable {
        Tree tree = walkThen(victim, f -> {
            Files.delete(f);
            SampleTree.run("mkfifo", f.toString());
        });
        assertThatThrownBy(() -> write(tree, format)).hasMessageContaining(victim);
        if (victim.equals(LARGE) && format.equals("erofs")) {
            // Copied from a whole file opened by Posix.openRegular, which says what it found.
            assertThatThrownBy(() -> write(tree, format)).hasMessageContaining("now a fifo");
        }
    }

    @ParameterizedTest
    @CsvSource({"erofs,f050", "erofs-lz4,f050", "cpio,f050", "erofs,large", "erofs-lz4,large", "cpio,large"})
    void aFileReplacedByASymlinkIsNotFollowed(String format, String victim) throws Throwable {
        // Same size as the original, so only refusing to follow the link can notice.
        Path other = Files.writeString(tmp.resolve("other"), "x".repeat((int) (victim.equals(LARGE) ? 204_000 : 8)));
        Tree tree = walkThen(victim, f -> {
            assertThat(Files.size(f)).isEqualTo(Files.size(other));
            Files.delete(f);
            Files.createSymbolicLink(f, other);
        });
        assertThatThrownBy(() -> write(tree, format)).hasMessageContaining(victim).hasMessageContaining("symbolic link");
    }
}
