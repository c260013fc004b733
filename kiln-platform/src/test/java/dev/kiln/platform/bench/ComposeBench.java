package dev.kiln.platform.bench;

import dev.kiln.fs.ImageFormat;
import dev.kiln.fs.build.ImageBuild;
import dev.kiln.fs.build.MemorySource;
import dev.kiln.fs.build.MtimePolicy;
import dev.kiln.fs.build.Ownership;
import dev.kiln.fs.build.Source;
import dev.kiln.fs.target.Target;
import dev.kiln.oci.Directories;
import dev.kiln.platform.rom.InitrdComposer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * bench/compose.sh's kiln side. {@code inputs WORK}: writes the inputs both sides use (once):
 * {@code base.cpio}, a 64 MiB newc initrd (1,024 files of 64 KiB in 32 directories, plus
 * {@code /etc/app/config.json}); the same 1 MiB ROM (16 files of 64 KiB at its root and in
 * {@code conf.d}) as {@code rom.erofs} and {@code rom.cpio}; and its files in {@code rom/}.
 * {@code once WORK ROM OUT}: composes ROM at /etc/app into a fresh cache in OUT, one
 * process per compose (what a cold start costs). {@code loop WORK ROM RUNS}: in one JVM, RUNS
 * first-time composes (each into an empty cache) and RUNS cache hits, after a warm-up; prints a
 * Markdown row per kind.
 */
public final class ComposeBench {
    public static void main(String[] a) throws Exception {
        Path work = Path.of(a[1]);
        switch (a[0]) {
            case "inputs" -> inputs(work);
            case "once" -> {
                Path out = Path.of(a[3]);
                Directories.deleteTree(out);
                InitrdComposer c = InitrdComposer.open(out);
                c.compose(work.resolve("base.cpio"), "base", List.of(new InitrdComposer.Placement(work.resolve(a[2]), a[2], "/etc/app")),
                        Target.UNIKRAFT);
            }
            case "loop" -> loop(work, a[2], Integer.parseInt(a[3]));
            default -> throw new IllegalArgumentException(a[0]);
        }
    }

    static void inputs(Path work) throws Exception {
        if (Files.exists(work.resolve("base.cpio"))) return;
        Files.createDirectories(work);
        Random r = new Random(42);
        MemorySource.Builder base = Source.memory();
        for (int i = 0; i < 1024; i++) base.file(String.format("usr/lib/d%02d/f%04d.so", i % 32, i), bytes(r, 64 << 10));
        base.file("etc/app/config.json", "{\"name\":\"base\"}\n".getBytes());
        build(base, ImageFormat.CPIO, work.resolve("base.cpio"));
        MemorySource.Builder rom = Source.memory();
        Path romDir = Files.createDirectories(work.resolve("rom/conf.d"));
        for (int i = 0; i < 16; i++) {
            String p = (i < 8 ? "" : "conf.d/") + "part" + i + ".bin";
            byte[] b = bytes(r, 64 << 10);
            rom.file(p, b);
            Files.write(work.resolve("rom").resolve(p), b);
        }
        build(rom, ImageFormat.EROFS, work.resolve("rom.erofs"));
        build(rom, ImageFormat.CPIO, work.resolve("rom.cpio"));
    }

    private static void build(MemorySource.Builder s, ImageFormat f, Path out) throws Exception {
        ImageBuild.builder().source(s.build()).format(f).mtime(MtimePolicy.fixed(0)).owners(Ownership.ROOT).build().writeTo(out);
    }

    private static byte[] bytes(Random r, int n) {
        byte[] b = new byte[n];
        r.nextBytes(b);
        return b;
    }

    static void loop(Path work, String rom, int runs) throws Exception {
        Path base = work.resolve("base.cpio");
        List<InitrdComposer.Placement> at = List.of(new InitrdComposer.Placement(work.resolve(rom), rom, "/etc/app"));
        Path cache = work.resolve("compose-cache");
        long[] first = new long[runs], hit = new long[runs * 100];
        for (int i = -3; i < runs; i++) { // three warm-up rounds
            Directories.deleteTree(cache);
            InitrdComposer c = InitrdComposer.open(cache);
            long t0 = System.nanoTime();
            InitrdComposer.Composition made = c.compose(base, "base", at, Target.UNIKRAFT);
            long t1 = System.nanoTime();
            if (made.cached()) throw new IllegalStateException("a fresh cache hit");
            if (i >= 0) first[i] = t1 - t0;
            for (int k = 0; k < 100; k++) {
                long t2 = System.nanoTime();
                InitrdComposer.Composition again = c.compose(base, "base", at, Target.UNIKRAFT);
                long t3 = System.nanoTime();
                if (!again.cached()) throw new IllegalStateException("no cache hit");
                if (i >= 0) hit[i * 100 + k] = t3 - t2;
            }
        }
        Directories.deleteTree(cache);
        row("kiln, in-process (warm JVM), first compose, ROM " + rom, first);
        row("kiln, in-process (warm JVM), cache hit, ROM " + rom, hit);
    }

    private static void row(String what, long[] ns) {
        long[] s = ns.clone();
        Arrays.sort(s);
        System.out.printf("| %s | %d | %.3f ms | %.3f ms | %.3f ms |%n", what, s.length, s[s.length / 2] / 1e6,
                s[(int) Math.min(s.length - 1, Math.ceil(s.length * 0.99) - 1)] / 1e6, s[s.length - 1] / 1e6);
    }
}
