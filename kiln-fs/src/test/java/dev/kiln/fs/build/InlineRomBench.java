package dev.kiln.fs.build;

import dev.kiln.fs.ImageFormat;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * bench/inline-rom.sh: inline-ROM EROFS builds (16 files of 4 KiB from bytes) in-process, as a
 * server makes them, on {@code threads} client threads sharing one executor, after warm-up;
 * and mkfs.erofs building the same 16 files from a directory, one process per build, for
 * comparison. Prints a Markdown table row per run.
 *
 * <p>Arguments: {@code WORKDIR [SECONDS] [THREADS]}.
 */
public final class InlineRomBench {
    public static void main(String[] args) throws Exception {
        Path work = Path.of(args[0]);
        double seconds = args.length > 1 ? Double.parseDouble(args[1]) : 10;
        int threads = args.length > 2 ? Integer.parseInt(args[2]) : Runtime.getRuntime().availableProcessors();
        // 64 distinct ROMs, so nothing is cached between builds by accident.
        MemorySource[] roms = new MemorySource[64];
        for (int k = 0; k < roms.length; k++) {
            SplittableRandom r = new SplittableRandom(k);
            MemorySource.Builder b = Source.memory();
            for (int i = 0; i < 16; i++) {
                byte[] data = new byte[4096];
                for (int j = 0; j < data.length; j++) data[j] = (byte) ('a' + r.nextInt(26));
                b.file("/etc/app/" + (i < 8 ? "" : "conf.d/") + "file" + i, data);
            }
            roms[k] = b.build();
        }
        ExecutorService shared = Executors.newCachedThreadPool();
        try {
            run("warm-up", roms, shared, threads, Math.max(2, seconds / 2), false);
            run("kiln, in-process, from bytes", roms, shared, threads, seconds, true);
        } finally {
            shared.shutdownNow();
        }
        // The reference: mkfs.erofs from a directory holding the same 16 files, a process per build.
        Path dir = work.resolve("inline-rom-files");
        Files.createDirectories(dir);
        try (var t = ImageBuild.builder().source(roms[0]).format(ImageFormat.TAR).mtime(MtimePolicy.fixed(0)).build().tree()) {
            new dev.kiln.fs.Extractor(false).extract(t, dir);
        }
        mkfs(dir, work.resolve("inline-rom-mkfs"), threads, seconds);
    }

    private static void run(String label, MemorySource[] roms, ExecutorService shared, int threads, double seconds,
                            boolean print) throws Exception {
        AtomicInteger next = new AtomicInteger();
        Load l = closedLoop(threads, seconds, 1 << 20, client -> {
            MemorySource rom = roms[next.getAndIncrement() & (roms.length - 1)];
            byte[] image = ImageBuild.builder().source(rom).format(ImageFormat.EROFS).mtime(MtimePolicy.fixed(0))
                    .executor(shared).build().toBytes();
            if (image.length < 4096) throw new IllegalStateException("short image");
        });
        if (print) row(label, threads, l.latencies(), l.elapsed());
    }

    private static void mkfs(Path dir, Path outDir, int threads, double seconds) throws Exception {
        Files.createDirectories(outDir);
        Load l = closedLoop(threads, seconds, 1 << 16, client -> {
            Path out = outDir.resolve("rom" + client + ".erofs");
            Process p = new ProcessBuilder("mkfs.erofs", "-T0", "--all-root", "-U", "00000000-0000-0000-0000-000000000001",
                    out.toString(), dir.toString()).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            if (p.waitFor() != 0) throw new IllegalStateException("mkfs.erofs failed with exit code " + p.exitValue());
        });
        row("mkfs.erofs 1.5, a process per build, from a directory", threads, l.latencies(), l.elapsed());
    }

    /** One build, timed; {@code client} numbers the thread that runs it. */
    private interface Build {
        void run(int client) throws Exception;
    }

    private record Load(long[] latencies, double elapsed) {}

    /**
     * A closed loop: {@code threads} clients each run {@code build} back to back until
     * {@code seconds} have passed (or {@code cap} builds), every build's latency kept.
     */
    private static Load closedLoop(int threads, double seconds, int cap, Build build) throws Exception {
        long end = System.nanoTime() + (long) (seconds * 1e9);
        ExecutorService clients = Executors.newFixedThreadPool(threads, r -> Thread.ofPlatform().daemon().unstarted(r));
        List<Future<long[]>> fs = new ArrayList<>();
        long start = System.nanoTime();
        for (int t = 0; t < threads; t++) {
            int client = t;
            fs.add(clients.submit(() -> {
                long[] lat = new long[cap];
                int n = 0;
                while (System.nanoTime() < end && n < lat.length) {
                    long t0 = System.nanoTime();
                    build.run(client);
                    lat[n++] = System.nanoTime() - t0;
                }
                return Arrays.copyOf(lat, n);
            }));
        }
        long[] all = new long[0];
        for (Future<long[]> f : fs) {
            long[] l = f.get();
            long[] m = Arrays.copyOf(all, all.length + l.length);
            System.arraycopy(l, 0, m, all.length, l.length);
            all = m;
        }
        double elapsed = (System.nanoTime() - start) / 1e9;
        clients.shutdown();
        clients.awaitTermination(1, TimeUnit.MINUTES);
        return new Load(all, elapsed);
    }

    private static void row(String label, int threads, long[] lat, double elapsed) {
        Arrays.sort(lat);
        double p50 = lat[lat.length / 2] / 1e6, p99 = lat[(int) Math.min(lat.length - 1, Math.ceil(lat.length * 0.99) - 1)] / 1e6;
        System.out.printf("| %s | %d | %,d | %.2f s | %,.0f | %.3f ms | %.3f ms |%n", label, threads, lat.length, elapsed,
                lat.length / elapsed, p50, p99);
    }
}
