package dev.kiln.fs.tar;

import dev.kiln.fs.Compression;
import dev.kiln.fs.Progress;
import dev.kiln.fs.Tree;
import dev.kiln.fs.testing.SampleTree;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/** Shared test fixtures for the tar package: sample directories and writing trees to files. */
final class TarTesting {
    private TarTesting() {}

    /** The sample's 3 MiB file, left out where compressing it would only cost time. */
    static final dev.kiln.fs.EntryPath BIG_FILE = dev.kiln.fs.EntryPath.parse("data/size-" + (3 * 1024 * 1024 + 17));

    static String withoutBigFile(String listing) {
        return listing.lines().filter(l -> !l.startsWith(BIG_FILE.display() + " ")).map(l -> l + "\n")
                .collect(java.util.stream.Collectors.joining());
    }

    /**
     * The shared sample plus what only tar's extensions can carry: xattrs (text and binary),
     * a path longer than ustar's 255 bytes, a long non-ASCII name, and a hard link whose
     * target path is longer than the 100-byte linkname field.
     */
    static void createRichSample(Path dir) throws IOException {
        SampleTree.create(dir);
        Path deep = dir.resolve("long/" + "component-of-forty-characters-123456789/".repeat(7));
        Files.createDirectories(deep);
        Files.writeString(deep.resolve("file-at-the-bottom.txt"), "deep\n");
        Files.writeString(dir.resolve("long/" + "ünïcødé-".repeat(12) + ".txt"), "unicode\n");
        Files.createLink(dir.resolve("long/hardlink-to-deep"), deep.resolve("file-at-the-bottom.txt"));
        SampleTree.run("setfattr", "-n", "user.kiln", "-v", "value", dir.resolve("etc/hostname").toString());
        SampleTree.run("setfattr", "-n", "user.binary", "-v", "0x00ff0a3d", dir.resolve("etc/hostname").toString());
        SampleTree.run("setfattr", "-n", "user.dir", "-v", "on a directory", dir.resolve("data").toString());
        SampleTree.run("setfattr", "-n", "user.empty", dir.resolve("bin/plain").toString());
        SampleTree.setTimes(dir);
    }

    /** The shared sample without what plain ustar cannot hold (255-byte names, a 4000-byte symlink). */
    static void createUstarSample(Path dir) throws IOException {
        SampleTree.create(dir);
        Files.delete(dir.resolve("names/" + "l".repeat(255)));
        Files.delete(dir.resolve("links/long"));
        SampleTree.setTimes(dir);
    }

    static Path write(Tree tree, Path out, Compression c) throws IOException {
        try (FileChannel ch = FileChannel.open(out, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            new TarWriter(c).write(tree, ch, Progress.NONE);
        }
        return out;
    }

    /** Runs a tool the tests need; a missing one fails naming its Debian package. */
    static String tool(String debianPackage, Path cwd, String... cmd) throws IOException {
        try {
            return SampleTree.run(cwd, cmd);
        } catch (IOException e) {
            if (e.getMessage() != null && e.getMessage().startsWith("cannot run")) {
                throw new IOException(cmd[0] + " is missing: install the Debian package " + debianPackage, e);
            }
            throw e;
        }
    }

    static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
