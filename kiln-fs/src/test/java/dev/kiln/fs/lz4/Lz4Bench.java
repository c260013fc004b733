package dev.kiln.fs.lz4;

import java.util.Arrays;
import java.util.List;
import java.util.function.IntSupplier;

/**
 * Throughput and ratio of kiln's LZ4 compressors next to liblz4 (via FFM), single thread, after
 * warm-up. Not a unit test: run it by hand, e.g.
 * {@code java --enable-native-access=ALL-UNNAMED -cp kiln-fs/target/classes:kiln-fs/target/test-classes
 * dev.kiln.fs.lz4.Lz4Bench [fast|hc|hc9|all] [DIR]}.
 */
public final class Lz4Bench {
    private Lz4Bench() {}

    private record Input(String name, byte[] data) {}

    public static void main(String[] args) {
        String which = args.length > 0 ? args[0] : "all";
        LibLz4 lib = LibLz4.load();
        System.out.println("| input / compressor | output bytes | output/input | MB/s best of 7 x 0.2 s | MB/s median |");
        System.out.println("|---|---|---|---|---|");
        List<Input> inputs = new java.util.ArrayList<>(List.of(
                new Input("text", Corpus.text(1 << 20)),
                new Input("binary", Corpus.binary(1 << 20)),
                new Input("words", Corpus.words(7, 1 << 20, 3000))));
        if (args.length > 1) {
            // A sample of a real tree (e.g. the benchmark's copy of /usr/share): every 12th file.
            inputs.add(new Input("sample of " + args[1], Corpus.sample(java.nio.file.Path.of(args[1]), 12, 32 << 20)));
        }
        for (Input in : inputs) {
            byte[] src = in.data();
            byte[] dst = new byte[Lz4Blocks.bound(src.length)];
            System.out.printf("| **%s** (%d B) | | | |%n", in.name(), src.length);
            if (which.equals("fast") || which.equals("all")) {
                Lz4Compressor fast = Lz4Compressor.fast();
                report("kiln fast", src.length, () -> fast.compress(src, 0, src.length, dst, 0, dst.length));
                report("liblz4 default", src.length, () -> lib.compressDefault(src, src.length, dst));
                report("kiln fast destSize 4K", src.length, () -> pclusters(src, (off, len) -> fast.compressDestSize(
                        src, off, len, dst, 0, 4096)));
                byte[] window = new byte[65536];
                report("liblz4 destSize 4K", src.length, () -> pclusters(src, (off, len) -> {
                    System.arraycopy(src, off, window, 0, len);
                    return lib.compressDestSize(window, len, dst, 4096);
                }));
                // The EROFS writer's default: 64 KiB pclusters filled from the rest of a 4 MiB segment.
                report("kiln fast destSize 64K", src.length, () -> pclusters(src, 65536, (off, len) -> fast.compressDestSize(
                        src, off, segmentRest(src, off), dst, 0, 65536)));
                report("liblz4 destSize 64K", src.length, () -> pclusters(src, 65536, (off, len) ->
                        lib.compressDestSize(src, off, segmentRest(src, off), dst, 65536)));
            }
            if (which.equals("hc") || which.equals("all")) {
                for (int level : new int[] {1, 4, 9, 12}) {
                    Lz4Compressor hc = Lz4Compressor.hc(level);
                    report("kiln hc" + level, src.length, () -> hc.compress(src, 0, src.length, dst, 0, dst.length));
                    report("liblz4 hc" + level, src.length, () -> lib.compressHc(src, src.length, dst, level));
                }
                Lz4Compressor hc9 = Lz4Compressor.hc(9);
                report("kiln hc9 destSize 4K", src.length, () -> pclusters(src, (off, len) -> hc9.compressDestSize(
                        src, off, len, dst, 0, 4096)));
                byte[] window = new byte[65536];
                report("liblz4 hc9 destSize 4K", src.length, () -> pclusters(src, (off, len) -> {
                    System.arraycopy(src, off, window, 0, len);
                    return lib.compressHcDestSize(window, len, dst, 4096, 9);
                }));
            }
            if (which.equals("hc") || which.equals("hc9") || which.equals("all")) {
                // The EROFS writer's lz4hc mode: 64 KiB pclusters filled from the rest of a 4 MiB segment.
                Lz4Compressor hc9 = Lz4Compressor.hc(9);
                report("kiln hc9 destSize 64K", src.length, () -> pclusters(src, 65536, (off, len) -> hc9.compressDestSize(
                        src, off, segmentRest(src, off), dst, 0, 65536)));
                report("liblz4 hc9 destSize 64K", src.length, () -> pclusters(src, 65536, (off, len) ->
                        lib.compressHcDestSize(src, off, segmentRest(src, off), dst, 65536, 9)));
            }
        }
    }

    /** What is left of the writer's 4 MiB segment at {@code off}: a pcluster never spans two. */
    private static int segmentRest(byte[] src, int off) {
        int segmentEnd = Math.min(src.length, (off / SEGMENT + 1) * SEGMENT);
        return segmentEnd - off;
    }

    private static final int SEGMENT = 4 << 20;

    private interface Window {
        long run(int off, int len);
    }

    /** Fills consecutive 4 KiB outputs from 64 KiB input windows, as an EROFS writer does; returns bytes written. */
    private static int pclusters(byte[] src, Window w) {
        return pclusters(src, 4096, w);
    }

    private static int pclusters(byte[] src, int pcluster, Window w) {
        int pos = 0;
        int total = 0;
        while (pos < src.length) {
            long r = w.run(pos, Math.min(65536, src.length - pos));
            pos += Lz4Compressor.consumed(r);
            total += pcluster;
        }
        return total;
    }

    private static void report(String label, int inputLen, IntSupplier run) {
        int size = 0;
        long deadline = System.nanoTime() + 1_000_000_000L;
        while (System.nanoTime() < deadline) {
            size = run.getAsInt();
        }
        long[] times = new long[7];
        for (int round = 0; round < times.length; round++) {
            long bytes = 0;
            long t0 = System.nanoTime();
            while (System.nanoTime() - t0 < 200_000_000L) {
                size = run.getAsInt();
                bytes += inputLen;
            }
            times[round] = (long) (bytes / ((System.nanoTime() - t0) / 1e9));
        }
        Arrays.sort(times);
        // Best round, not median: on a shared machine slower rounds measure the neighbours.
        System.out.printf("| %s | %d | %.4f | %.1f | %.1f |%n", label, size, (double) size / inputLen,
                times[times.length - 1] / 1e6, times[times.length / 2] / 1e6);
    }
}
