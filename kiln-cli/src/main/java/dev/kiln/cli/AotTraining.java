package dev.kiln.cli;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The workload the launcher records kiln's ahead-of-time cache with (JDK 25 AOT cache: classes
 * loaded and linked, plus method profiles). It runs, in one JVM, the commands people run most,
 * on a small tree: builds in every format and compression, then reading them back. Profiles from
 * the compressors let the JIT compile them fully as soon as a real build starts, instead of after
 * a second of interpreted and first-tier code. Not part of the CLI.
 */
public final class AotTraining {
    private AotTraining() {}

    /** args: a source directory, an empty scratch directory. */
    public static void main(String[] args) throws Exception {
        Path out = Path.of(args[1]);
        // Besides the given (text) tree, data of every kind a compressor meets, so that its
        // recorded profile has seen every branch: without that, the first incompressible or
        // all-zero stretch of a real build sends the compiled code back to the interpreter.
        Path src = Files.createDirectories(out.resolve("src"));
        copy(Path.of(args[0]), src.resolve("text"));
        java.util.Random random = new java.util.Random(42);
        byte[] noise = new byte[1 << 20];
        random.nextBytes(noise);
        Files.write(src.resolve("random.bin"), noise);
        Files.write(src.resolve("zeros.bin"), new byte[3 << 20]);
        byte[] mixed = new byte[2 << 20];
        for (int i = 0; i < mixed.length; i += 8192) {
            if ((i / 8192) % 3 == 0) System.arraycopy(noise, i % noise.length, mixed, i, 8192);
            else for (int j = 0; j < 8192; j++) mixed[i + j] = (byte) ("kiln builds images " + (i + j) / 64).charAt(j % 19);
        }
        Files.write(src.resolve("mixed.bin"), mixed);
        // Real binary code and one long text: long runs of both keep the compressors' rarer
        // branches (a candidate that agrees at both probes but is no longer, a match running into
        // the block's end) in the profile, which short source files alone never reach.
        Path jvm = Path.of(System.getProperty("java.home"), "lib", "server", "libjvm.so");
        if (Files.isRegularFile(jvm)) {
            try (var in = Files.newInputStream(jvm)) {
                Files.write(src.resolve("code.bin"), in.readNBytes(4 << 20));
            }
        }
        try (var walk = Files.walk(src.resolve("text")); var all = Files.newOutputStream(src.resolve("all.txt"))) {
            for (Path p : (Iterable<Path>) walk.filter(Files::isRegularFile).sorted()::iterator) all.write(Files.readAllBytes(p));
        }
        Files.createLink(src.resolve("mixed.link"), src.resolve("mixed.bin"));
        Files.createSymbolicLink(src.resolve("sym"), Path.of("mixed.bin"));
        PrintStream quiet = new PrintStream(new ByteArrayOutputStream());
        List<List<String>> builds = List.of(
                List.of("t.cpio"), List.of("t.cpio.gz"), List.of("t.tar"), List.of("t.erofs"),
                List.of("lz4.erofs", "--compress", "lz4"), List.of("lz4-4k.erofs", "--compress", "lz4", "--pcluster", "4K"),
                List.of("hc.erofs", "--compress", "lz4hc"));
        for (List<String> b : builds) {
            String image = out.resolve(b.getFirst()).toString();
            List<String> cmd = new java.util.ArrayList<>(List.of("build", src.toString(), "-o", image, "-q"));
            cmd.addAll(b.subList(1, b.size()));
            run(cmd, quiet);
            run(List.of("ls", "-lR", image), quiet);
            run(List.of("check", image), quiet);
        }
        run(List.of("diff", out.resolve("t.cpio").toString(), out.resolve("lz4.erofs").toString()), quiet);
        run(List.of("extract", out.resolve("hc.erofs").toString(), out.resolve("x").toString()), quiet);
        Files.deleteIfExists(out.resolve("t.cpio"));
    }

    private static void copy(Path from, Path to) throws java.io.IOException {
        try (var walk = Files.walk(from)) {
            for (Path p : (Iterable<Path>) walk::iterator) {
                Path t = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)) Files.createDirectories(t);
                else if (Files.isRegularFile(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)) Files.copy(p, t);
            }
        }
    }

    private static void run(List<String> args, PrintStream quiet) {
        int exit = KilnCommand.run(args.toArray(String[]::new), quiet, quiet);
        if (exit != 0) throw new IllegalStateException("training step failed (exit " + exit + "): " + args);
    }
}
