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
        Path src = Path.of(args[0]);
        Path out = Path.of(args[1]);
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

    private static void run(List<String> args, PrintStream quiet) {
        int exit = KilnCommand.run(args.toArray(String[]::new), quiet, quiet);
        if (exit != 0) throw new IllegalStateException("training step failed (exit " + exit + "): " + args);
    }
}
