package dev.kiln.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.fs.ImageFormat;
import dev.kiln.fs.build.ImageBuild;
import dev.kiln.fs.build.MemorySource;
import dev.kiln.fs.build.MtimePolicy;
import dev.kiln.fs.build.Source;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a server does with the library: a thousand inline-ROM-sized EROFS builds (16 files, up
 * to 1 MiB in all) from bytes, on 8 threads sharing one executor, in one JVM. Every image must
 * be byte-identical to what {@code kiln build} writes for the same files on disk and pass
 * fsck.erofs, no file may be left in the temporary directory, and threads and heap must stay
 * flat from the 100th build to the 1000th.
 */
class InlineRomBuildsTest {
    private static final int SETS = 100, BUILDS = 1000, THREADS = 8, FILES = 16;

    @TempDir Path tmp;

    /** One set of files: paths and bytes, some in nested directories. */
    private record FileSet(List<String> paths, List<byte[]> data) {
        MemorySource source() {
            MemorySource.Builder b = Source.memory();
            for (int i = 0; i < paths.size(); i++) b.file(paths.get(i), data.get(i));
            return b.build();
        }
    }

    private static FileSet fileSet(int seed) {
        SplittableRandom r = new SplittableRandom(seed);
        List<String> paths = new ArrayList<>();
        List<byte[]> data = new ArrayList<>();
        for (int i = 0; i < FILES; i++) {
            String dir = switch (r.nextInt(4)) {
                case 0 -> "";
                case 1 -> "etc/app/";
                case 2 -> "srv/data/d" + r.nextInt(3) + "/";
                default -> "a/b/c/d/";
            };
            paths.add(dir + "f" + i + (r.nextBoolean() ? ".conf" : ".bin"));
            // Up to 64 KiB each, so at most 1 MiB in all; text-like and random bytes, some empty.
            byte[] b = new byte[r.nextInt(4) == 0 ? r.nextInt(100) : r.nextInt(65_537)];
            if (r.nextBoolean()) r.nextBytes(b);
            else for (int k = 0; k < b.length; k++) b[k] = (byte) ('a' + (k * 7 + seed) % 26);
            data.add(b);
        }
        return new FileSet(paths, data);
    }

    /** The files on disk as a user would have them (0644 files, 0755 directories). */
    private static void writeTree(FileSet set, Path dir) throws IOException {
        Files.createDirectories(dir);
        for (int i = 0; i < set.paths().size(); i++) {
            Path f = dir.resolve(set.paths().get(i));
            Files.createDirectories(f.getParent());
            Files.write(f, set.data().get(i));
            Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-r--r--"));
        }
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.filter(Files::isDirectory).toList()) {
                Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxr-xr-x"));
            }
        }
    }

    private static long heapAfterCollection() throws InterruptedException {
        Runtime rt = Runtime.getRuntime();
        long best = Long.MAX_VALUE;
        for (int i = 0; i < 3; i++) { // the lowest of three: a collection may run while another ends
            System.gc();
            Thread.sleep(50);
            best = Math.min(best, rt.totalMemory() - rt.freeMemory());
        }
        return best;
    }

    private static int threads() {
        return ManagementFactory.getThreadMXBean().getThreadCount();
    }

    private static List<Path> temporaries(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.getFileName().toString().startsWith("kiln") || p.getFileName().toString().endsWith(".spool")).toList();
        }
    }

    @Test
    void aThousandConcurrentInMemoryBuildsAreWhatKilnBuildWritesAndLeaveNothingBehind() throws Exception {
        Path systemTmp = Path.of(System.getProperty("java.io.tmpdir"));
        List<Path> tempBefore = temporaries(systemTmp);
        Path buildTmp = Files.createDirectories(tmp.resolve("build-tmp"));

        // What `kiln build DIR -o X.erofs --mtime 0` writes for each set, each checked by fsck.erofs.
        FileSet[] sets = new FileSet[SETS];
        byte[][] expected = new byte[SETS][];
        for (int k = 0; k < SETS; k++) {
            sets[k] = fileSet(k);
            Path dir = tmp.resolve("set" + k);
            writeTree(sets[k], dir);
            Path image = tmp.resolve("set" + k + ".erofs");
            Cli c = Cli.run("build", dir.toString(), "-o", image.toString(), "--mtime", "0", "-q");
            assertThat(c.exit()).as(c.err()).isZero();
            expected[k] = Files.readAllBytes(image);
            Fsck.check(image);
        }
        MemorySource[] sources = Arrays.stream(sets).map(FileSet::source).toArray(MemorySource[]::new);

        ExecutorService shared = Executors.newCachedThreadPool();
        ExecutorService clients = Executors.newFixedThreadPool(THREADS);
        AtomicInteger next = new AtomicInteger();
        ConcurrentLinkedQueue<String> wrong = new ConcurrentLinkedQueue<>();
        try {
            int[] threadsAt = new int[2];
            long[] heapAt = new long[2];
            for (int phase = 0; phase < 2; phase++) {
                int until = phase == 0 ? 100 : BUILDS;
                List<Future<?>> running = new ArrayList<>();
                for (int t = 0; t < THREADS; t++) {
                    running.add(clients.submit(() -> {
                        for (int i; (i = next.getAndIncrement()) < until; ) {
                            int k = i % SETS;
                            byte[] image = ImageBuild.builder().source(sources[k]).format(ImageFormat.EROFS)
                                    .mtime(MtimePolicy.fixed(0)).executor(shared).temporaryDirectory(buildTmp)
                                    .build().toBytes();
                            if (!Arrays.equals(image, expected[k])) wrong.add("build " + i + " (set " + k + ")");
                        }
                        return null;
                    }));
                }
                for (Future<?> f : running) f.get(5, TimeUnit.MINUTES);
                next.set(until);
                threadsAt[phase] = threads();
                heapAt[phase] = heapAfterCollection();
            }
            assertThat(wrong).as("images that differ from kiln build's").isEmpty();
            // The shared pool keeps its threads for a minute, so the count after 100 builds and
            // after 1000 must be the same; a leak of one thread per build would show as hundreds.
            assertThat(threadsAt[1]).as("threads after 1000 builds vs after 100").isLessThanOrEqualTo(threadsAt[0] + 2);
            assertThat(heapAt[1]).as("heap after 1000 builds vs after 100").isLessThanOrEqualTo(heapAt[0] + (8L << 20));
        } finally {
            clients.shutdownNow();
            shared.shutdownNow();
        }
        try (Stream<Path> s = Files.list(buildTmp)) {
            assertThat(s).as("files left in the build's temporary directory").isEmpty();
        }
        assertThat(temporaries(systemTmp)).as("kiln files left in " + systemTmp).isSubsetOf(tempBefore);
    }

    /** fsck.erofs from Debian's erofs-utils: a full check with data decompression. */
    static final class Fsck {
        static void check(Path image) throws IOException, InterruptedException {
            Process p;
            try {
                p = new ProcessBuilder("fsck.erofs", "--extract", image.toString()).redirectErrorStream(true).start();
            } catch (IOException e) {
                throw new AssertionError("fsck.erofs is missing: apt-get install erofs-utils", e);
            }
            String out = new String(p.getInputStream().readAllBytes());
            assertThat(p.waitFor()).as("fsck.erofs " + image + ":\n" + out).isZero();
        }
    }
}
