package dev.kiln.fs.erofs;

import dev.kiln.fs.Tree;
import dev.kiln.fs.testing.SampleTree;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;

/**
 * Test helpers for the EROFS writer: image writing and the external oracles
 * (fsck.erofs, the kernel via loop mount, mkfs.erofs). A missing tool fails with the Debian
 * package to install.
 */
final class ErofsWriterFixtures {
    private ErofsWriterFixtures() {}

    static void write(Tree tree, Path image, ErofsWriter.Options options) throws IOException {
        try (FileChannel ch = FileChannel.open(image, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.READ)) {
            new ErofsWriter(options).write(tree, ch, dev.kiln.fs.Progress.NONE);
        }
    }

    static ErofsWriter.Options options(ErofsWriter.Algorithm alg, int pcluster) {
        return new ErofsWriter.Options(alg, 9, pcluster, null, 0);
    }

    /** fsck.erofs 1.5 full check with data decompression, extracting into {@code into} (must not exist). */
    static String fsckExtract(Path image, Path into) throws IOException {
        return run("fsck.erofs (Debian package erofs-utils)", "fsck.erofs", "--extract=" + into, image.toString());
    }

    /** Mounts read-only through a loop device; the caller must {@link #unmount}. */
    static void mount(Path image, Path dir) throws IOException {
        Files.createDirectories(dir);
        run("mount (Debian package mount)", "mount", "-t", "erofs", "-o", "loop,ro", image.toString(), dir.toString());
    }

    static void unmount(Path dir) throws IOException {
        run("umount (Debian package mount)", "umount", dir.toString());
    }

    static String run(String tool, String... cmd) throws IOException {
        Process p;
        try {
            p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        } catch (IOException e) {
            throw new IOException("cannot run " + cmd[0] + ": install " + tool, e);
        }
        byte[] out = p.getInputStream().readAllBytes();
        try {
            int rc = p.waitFor();
            String s = new String(out, StandardCharsets.UTF_8);
            if (rc != 0) throw new IOException(String.join(" ", cmd) + " exited " + rc + ":\n" + s);
            return s;
        } catch (InterruptedException e) {
            throw new IOException(e);
        }
    }

    /** Compares two listings and fails showing only the lines that differ (listings can be long). */
    static void assertSameListing(String actual, String expected) {
        java.util.List<String> a = java.util.Arrays.asList(actual.split("\n"));
        java.util.List<String> e = java.util.Arrays.asList(expected.split("\n"));
        java.util.List<String> onlyActual = a.stream().filter(l -> !e.contains(l)).map(l -> l.length() > 300 ? l.substring(0, 300) + "..." : l).toList();
        java.util.List<String> onlyExpected = e.stream().filter(l -> !a.contains(l)).map(l -> l.length() > 300 ? l.substring(0, 300) + "..." : l).toList();
        if (!onlyActual.isEmpty() || !onlyExpected.isEmpty()) {
            throw new AssertionError("listings differ\n  image has:\n    " + String.join("\n    ", onlyActual)
                    + "\n  source has:\n    " + String.join("\n    ", onlyExpected));
        }
        org.assertj.core.api.Assertions.assertThat(actual).isEqualTo(expected);
    }

    static void delete(Path dir) throws IOException {
        SampleTree.delete(dir);
    }
}
