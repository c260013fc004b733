package dev.kiln.fs.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;

/**
 * Builds host directories with every kind of entry the formats must carry, for cross-checks
 * against real tools. Everything is deterministic (seeded contents, fixed mtimes).
 */
public final class SampleTree {
    private SampleTree() {}

    public static boolean isRoot() {
        return "root".equals(System.getProperty("user.name"));
    }

    /**
     * Creates the sample under {@code dir} (which must exist and be empty): nested directories,
     * files of sizes 0, 1, 4095, 4096, 4097 and 3 MiB, non-ASCII and long names, names that sort
     * trickily, symlinks (relative, absolute, dangling, 1 and 4000 bytes), a hard-link pair, a
     * fifo, special permission bits and distinct mtimes. When running as root it adds a char
     * and a block device and several owners.
     */
    public static void create(Path dir) throws IOException {
        Path etc = Files.createDirectories(dir.resolve("etc"));
        write(etc.resolve("hostname"), "kiln\n");
        write(etc.resolve("passwd"), "root:x:0:0:root:/root:/bin/sh\n");
        Path data = Files.createDirectories(dir.resolve("data/deep/er/still"));
        int[] sizes = {0, 1, 4095, 4096, 4097, 3 * 1024 * 1024 + 17};
        for (int s : sizes) Files.write(dir.resolve("data/size-" + s), bytes(s, s));
        write(data.resolve("leaf.txt"), "deep leaf\n");
        // Names that sort differently by bytes, by String.compareTo and by locale.
        for (String n : new String[] {"a", "a-b", "a.b", "!bang", "+plus", "Zeta", "é-accent", "héllo wörld ✓.txt", "日本語"}) {
            write(dir.resolve("names").resolve(n), n + "\n");
        }
        Files.createDirectories(dir.resolve("names/a.d/sub"));
        write(dir.resolve("names/a.d/sub/x"), "x\n");
        write(dir.resolve("names/" + "l".repeat(255)), "longest name\n");
        Path links = Files.createDirectories(dir.resolve("links"));
        Files.createSymbolicLink(links.resolve("rel"), Path.of("../etc/hostname"));
        Files.createSymbolicLink(links.resolve("abs"), Path.of("/etc/passwd"));
        Files.createSymbolicLink(links.resolve("dangling"), Path.of("does/not/exist"));
        Files.createSymbolicLink(links.resolve("one"), Path.of("x"));
        Files.createSymbolicLink(links.resolve("long"), Path.of("t/".repeat(1999) + "xx"));
        Files.createSymbolicLink(links.resolve("dir"), Path.of("../data"));
        write(links.resolve("hard1"), "shared by two names\n");
        Files.createLink(links.resolve("hard2"), links.resolve("hard1"));
        run("mkfifo", dir.resolve("fifo").toString());
        Path bin = Files.createDirectories(dir.resolve("bin"));
        write(bin.resolve("suid"), "#!/bin/sh\n");
        write(bin.resolve("sgid"), "#!/bin/sh\n");
        write(bin.resolve("plain"), "#!/bin/sh\necho hi\n");
        Files.createDirectories(dir.resolve("tmp"));
        Files.createDirectories(dir.resolve("empty"));
        chmod(bin.resolve("suid"), 04755);
        chmod(bin.resolve("sgid"), 02755);
        chmod(bin.resolve("plain"), 0700);
        chmod(dir.resolve("tmp"), 01777);
        chmod(etc.resolve("passwd"), 0644);
        chmod(dir.resolve("empty"), 0500);
        if (isRoot()) {
            Files.createDirectories(dir.resolve("dev"));
            run("mknod", "-m", "0600", dir.resolve("dev/console").toString(), "c", "5", "1");
            run("mknod", "-m", "0660", dir.resolve("dev/vda").toString(), "b", "254", "0");
            run("chown", "1000:1000", dir.resolve("data/size-1").toString());
            run("chown", "-h", "123:456", links.resolve("rel").toString());
            run("chown", "65534:65534", dir.resolve("tmp").toString());
        }
        setTimes(dir);
    }

    /** Gives every path a distinct, fixed mtime (seconds plus nanoseconds), deepest first. */
    public static void setTimes(Path dir) throws IOException {
        List<Path> all = new ArrayList<>();
        try (Stream<Path> s = Files.walk(dir)) {
            s.forEach(all::add);
        }
        all.sort(Comparator.comparing(Path::toString));
        long base = 1_600_000_000L;
        int i = 0;
        for (Path p : all.reversed()) {
            i++;
            String stamp = "@" + (base + i * 3600L) + "." + String.format("%09d", (i * 123_456_789L) % 1_000_000_000L);
            run("touch", "-h", "-d", stamp, p.toString());
        }
    }

    /** A tree of {@code count} small files spread over directories of 100, like a /usr copy at scale. */
    public static void createMany(Path dir, int count, int seed) throws IOException {
        SplittableRandom r = new SplittableRandom(seed);
        for (int i = 0; i < count; i++) {
            Path d = dir.resolve("d" + (i / 100));
            if (i % 100 == 0) Files.createDirectories(d);
            Files.write(d.resolve("f" + i), bytes(r.nextInt(2048), i));
        }
    }

    public static byte[] bytes(int size, long seed) {
        byte[] b = new byte[size];
        SplittableRandom r = new SplittableRandom(seed);
        // Half text-like, half random, so compressors see both.
        for (int i = 0; i < size; i++) b[i] = (i / 512) % 2 == 0 ? (byte) ('a' + r.nextInt(8)) : (byte) r.nextInt(256);
        return b;
    }

    private static void write(Path p, String s) throws IOException {
        Files.createDirectories(p.getParent());
        Files.writeString(p, s, StandardCharsets.UTF_8);
    }

    public static void chmod(Path p, int mode) throws IOException {
        // NIO cannot set setuid/setgid/sticky; chmod(1) can.
        run("chmod", String.format("%04o", mode), p.toString());
    }

    /** Runs a command, failing the test with its output if it fails. */
    public static String run(String... cmd) throws IOException {
        return run(null, cmd);
    }

    public static String run(Path cwd, String... cmd) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        if (cwd != null) pb.directory(cwd.toFile());
        Process p;
        try {
            p = pb.start();
        } catch (IOException e) {
            throw new IOException("cannot run " + cmd[0] + " (install it: see ./test for the Debian packages): " + e.getMessage(), e);
        }
        byte[] out = p.getInputStream().readAllBytes();
        try {
            int rc = p.waitFor();
            if (rc != 0) {
                throw new IOException(String.join(" ", cmd) + " exited " + rc + ": " + new String(out, StandardCharsets.UTF_8));
            }
        } catch (InterruptedException e) {
            throw new IOException(e);
        }
        return new String(out, StandardCharsets.UTF_8);
    }

    /** Deletes a directory tree (test clean-up; does not follow symlinks). */
    public static void delete(Path dir) throws IOException {
        if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) return;
        run("rm", "-rf", dir.toString());
    }
}
