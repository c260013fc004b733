package dev.kiln.platform.volume;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.fs.EntryPath;
import dev.kiln.fs.Images;
import dev.kiln.fs.Node;
import dev.kiln.fs.Tree;
import dev.kiln.fs.TreeDiff;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/** What the volume tests share: the host's view of mounts and loop devices, and fsck. */
final class VolumeTesting {
    private VolumeTesting() {}

    /**
     * Unmounts whatever is mounted under {@code dir} and returns where that was: a test's
     * {@code @AfterEach} calls it whether the test passed or not, so that no mount outlives it and
     * the temporary directory's deletion never walks into a volume.
     */
    static List<Path> unmountAll(Path dir) throws Exception {
        List<Path> left = new ArrayList<>();
        if (!Files.exists(dir)) return left;
        for (Mounts.Mount m : Mounts.under(dir.toRealPath())) {
            left.add(m.at());
            new ProcessBuilder("umount", "-l", m.at().toString()).inheritIO().start().waitFor();
        }
        return left;
    }

    /** The files under {@code dir} that some loop device is attached to. */
    static List<String> loopFilesUnder(Path dir) throws IOException {
        List<String> out = new ArrayList<>();
        String prefix = dir.toRealPath().toString();
        try (DirectoryStream<Path> s = Files.newDirectoryStream(Path.of("/sys/block"), "loop*")) {
            for (Path loop : s) {
                Path f = loop.resolve("loop/backing_file");
                if (!Files.exists(f)) continue;
                String backing = Files.readString(f).strip();
                if (backing.startsWith(prefix)) out.add(loop.getFileName() + " " + backing);
            }
        }
        return out;
    }

    /** The mounts at {@code dir} (more than one if stacked). */
    static int mountsAt(Path dir) throws IOException {
        return Mounts.at(dir.toRealPath()).size();
    }

    /** {@code e2fsck -fn}: its exit status and output; 0 means a clean filesystem. */
    static Host.Result fsck(Path image) throws IOException {
        return Host.run(List.of("e2fsck", "-fn", image.toString()));
    }

    /**
     * Writes random data to {@code file} until the write fails, in ever smaller pieces (64 KiB, then
     * 4 KiB, then 512 bytes) so that the filesystem is left with less than a block free; returns
     * the bytes written and the last failure.
     */
    static Filled fill(Path file) {
        byte[] chunk = new byte[64 * 1024];
        new Random(1).nextBytes(chunk);
        long written = 0;
        IOException last = null;
        for (int piece : new int[] {64 * 1024, 4096, 512}) {
            try (OutputStream out = Files.newOutputStream(file, StandardOpenOption.CREATE, StandardOpenOption.APPEND)) {
                while (true) {
                    out.write(chunk, 0, piece);
                    written += piece;
                    if (written > 1L << 34) throw new AssertionError("16 GiB written and no end: the size is not enforced");
                }
            } catch (IOException e) {
                last = e;
            }
            try {
                written = Files.size(file);
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }
        return new Filled(written, last);
    }

    record Filled(long bytes, IOException failure) {}

    /** Differences between two trees, the root's own metadata aside (a volume's root is always 0755 0:0). */
    static List<String> differences(Tree expected, Tree actual) throws IOException {
        return TreeDiff.compare(expected, actual, TreeDiff.Options.DEFAULT).stream()
                .filter(d -> !d.path().equals(EntryPath.ROOT)).map(TreeDiff.Difference::line).toList();
    }

    /** What an exported image holds at {@code path}, as text. */
    static String text(Path image, String path) throws IOException {
        try (Tree t = Images.read(image)) {
            Node n = t.get(EntryPath.parse(path)).orElseThrow(() -> new AssertionError(path + " is not in " + image));
            return new String(((Node.File) n).content().readAll(), StandardCharsets.UTF_8);
        }
    }

    /** The names left in the volumes directory that are work in progress. */
    static List<String> temporaries(Path volumes) throws IOException {
        try (var s = Files.list(volumes)) {
            return s.map(p -> p.getFileName().toString()).filter(n -> n.startsWith(".")).sorted().toList();
        }
    }

    static void assertNothingLeftOver(Path volumes) throws IOException {
        assertThat(temporaries(volumes)).as("temporaries in " + volumes).isEmpty();
    }
}
