package dev.kiln.fs.erofs;

import dev.kiln.fs.EntryPath;
import dev.kiln.fs.Tree;
import dev.kiln.fs.source.Excludes;
import dev.kiln.fs.source.HostSource;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Manual benchmark (not a test): {@code ErofsWriterBenchMain DIR IMAGE none|lz4|lz4hc [pcluster [level]]}
 * builds IMAGE from DIR with owners root and mtimes 0, the tree {@code mkfs.erofs -T0 --all-root}
 * makes, and prints where the time went (tree loading vs writing). bench/erofs.sh measures the
 * whole CLI instead.
 */
public final class ErofsWriterBenchMain {
    public static void main(String[] args) throws Exception {
        long t0 = System.nanoTime();
        Tree tree = dev.kiln.fs.source.Sources.build(java.util.List.of(new HostSource(Path.of(args[0]), EntryPath.ROOT)),
                Excludes.NONE, dev.kiln.fs.build.MtimePolicy.KEEP);
        tree.mapMetadata(n -> n.meta().withMtime(0, 0));
        long t1 = System.nanoTime();
        ErofsWriter.Algorithm alg = ErofsWriter.Algorithm.valueOf(args[2].toUpperCase());
        int pcluster = args.length > 3 ? Integer.parseInt(args[3]) : 4096;
        int level = args.length > 4 ? Integer.parseInt(args[4]) : 9;
        try (FileChannel ch = FileChannel.open(Path.of(args[1]), StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            new ErofsWriter(new ErofsWriter.Options(alg, level, pcluster, null, 0)).write(tree, ch, dev.kiln.fs.Progress.NONE);
        }
        long t2 = System.nanoTime();
        System.err.printf("tree %d ms, write %d ms, %d paths%n", (t1 - t0) / 1_000_000, (t2 - t1) / 1_000_000, tree.size());
    }
}
