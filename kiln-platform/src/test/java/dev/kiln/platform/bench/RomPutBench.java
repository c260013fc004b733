package dev.kiln.platform.bench;

import dev.kiln.oci.Directories;
import dev.kiln.platform.rom.InlineFile;
import dev.kiln.platform.rom.RomStore;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * RomStore.putInline as kiln serve calls it on a create: a distinct 4 KiB inline ROM each time
 * (one file, /config.json), validated, built as EROFS and stored. Arguments: {@code DIR SECONDS
 * THREADS}. Prints a Markdown row: puts, puts/s, p50, p99 per put.
 */
public final class RomPutBench {
    public static void main(String[] a) throws Exception {
        Path dir = Path.of(a[0]);
        double seconds = Double.parseDouble(a[1]);
        int threads = Integer.parseInt(a[2]);
        Directories.deleteTree(dir);
        RomStore store = RomStore.open(dir);
        AtomicInteger next = new AtomicInteger();
        run(store, next, threads, 2); // warm-up
        Directories.deleteTree(dir);
        store = RomStore.open(dir);
        long t0 = System.nanoTime();
        long[] lat = run(store, next, threads, seconds);
        double wall = (System.nanoTime() - t0) / 1e9;
        Arrays.sort(lat);
        System.out.printf("| RomStore.putInline, distinct 4 KiB ROMs | %d | %,d | %.2f s | %,.0f | %.3f ms | %.3f ms |%n", threads, lat.length, wall,
                lat.length / wall, lat[lat.length / 2] / 1e6, lat[(int) Math.ceil(lat.length * 0.99) - 1] / 1e6);
        Directories.deleteTree(dir);
        // The same builds without the store (no validation, hash or file): where the time goes.
        t0 = System.nanoTime();
        lat = run(null, next, threads, seconds);
        wall = (System.nanoTime() - t0) / 1e9;
        Arrays.sort(lat);
        System.out.printf("| the EROFS build alone (ImageBuild.toBytes) | %d | %,d | %.2f s | %,.0f | %.3f ms | %.3f ms |%n", threads, lat.length, wall,
                lat.length / wall, lat[lat.length / 2] / 1e6, lat[(int) Math.ceil(lat.length * 0.99) - 1] / 1e6);
    }

    private static long[] run(RomStore store, AtomicInteger next, int threads, double seconds) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        long end = System.nanoTime() + (long) (seconds * 1e9);
        List<Future<long[]>> fs = new java.util.ArrayList<>();
        for (int t = 0; t < threads; t++) {
            fs.add(pool.submit(() -> {
                long[] lat = new long[1 << 16];
                int n = 0;
                while (System.nanoTime() < end) {
                    byte[] data = new byte[4096];
                    ByteBuffer.wrap(data).putLong(next.incrementAndGet());
                    long s = System.nanoTime();
                    if (store == null) {
                        dev.kiln.fs.build.ImageBuild.builder().source(dev.kiln.fs.build.Source.memory().file("config.json", data).build())
                                .format(dev.kiln.fs.ImageFormat.EROFS).mtime(dev.kiln.fs.build.MtimePolicy.fixed(0)).build().toBytes();
                    } else {
                        store.putInline("roms[0]", List.of(new InlineFile("/config.json", data)));
                    }
                    if (n == lat.length) lat = Arrays.copyOf(lat, n * 2);
                    lat[n++] = System.nanoTime() - s;
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
        pool.shutdown();
        return all;
    }
}
