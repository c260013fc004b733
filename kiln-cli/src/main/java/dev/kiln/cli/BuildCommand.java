package dev.kiln.cli;

import dev.kiln.fs.Compression;
import dev.kiln.fs.ImageFormat;
import dev.kiln.fs.KilnException;
import dev.kiln.fs.Progress;
import dev.kiln.fs.build.Build;
import dev.kiln.fs.erofs.ErofsWriter;
import dev.kiln.fs.source.Excludes;
import dev.kiln.fs.source.MtimePolicy;
import dev.kiln.fs.source.Ownership;
import dev.kiln.fs.source.Source;
import dev.kiln.fs.source.Sources;
import dev.kiln.fs.target.Finding;
import dev.kiln.fs.target.Target;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "build", mixinStandardHelpOptions = true, version = KilnCommand.VERSION, sortOptions = false,
        description = {"Builds an image from sources, applied in order (later ones win).",
                "SOURCE is a directory, a cpio/tar/EROFS image (tar whiteouts apply), or SRC:DST to place a host file or directory at DST."})
final class BuildCommand implements Callable<Integer> {
    @Parameters(arity = "1..*", paramLabel = "SOURCE", description = "Directories, images, or SRC:DST mappings.")
    List<String> sources;

    @Option(names = {"-o", "--output"}, required = true, paramLabel = "OUT", description = "The image to write (replaced atomically).")
    Path output;

    @Option(names = "--format", paramLabel = "FORMAT", description = "cpio, tar or erofs (default: from the OUT extension).")
    String format;

    @Option(names = "--target", paramLabel = "TARGET", defaultValue = "generic",
            description = "The consumer: generic, linux or unikraft (default: ${DEFAULT-VALUE}).")
    String target;

    @Option(names = "--owner", paramLabel = "keep|root|UID:GID",
            description = "Owners: keep, root or UID:GID (default: root for host files, keep for images).")
    String owner;

    @Option(names = "--mtime", paramLabel = "keep|EPOCH",
            description = "Modification times: keep, or EPOCH seconds for all (default: keep, clamped to $SOURCE_DATE_EPOCH when set).")
    String mtime;

    @Option(names = "--exclude", paramLabel = "GLOB",
            description = "Leave out matching paths; a GLOB without '/' matches names at any depth (repeatable).")
    List<String> excludes = new ArrayList<>();

    @Option(names = "--compress", paramLabel = "ALG",
            description = "cpio/tar: none, gzip, zstd, xz (default: from the OUT extension). erofs: none, lz4, lz4hc[:LEVEL].")
    String compress;

    @Option(names = "--crc", description = "cpio: write 070702 (crc) headers with data checksums.")
    boolean crc;

    @Option(names = "--pcluster", paramLabel = "SIZE", description = "erofs: largest physical cluster, e.g. 4096, 64K (default: 64K, or 4K with --target linux; > 4K needs Linux 5.13+).")
    String pcluster;

    @Option(names = "--compat", paramLabel = "KERNEL", description = "erofs: stay readable by an older kernel: linux-5.4 (one-block pclusters).")
    String compat;

    @Option(names = "--uuid", paramLabel = "UUID", description = "erofs: filesystem UUID (default: derived from the content).")
    UUID uuid;

    @Option(names = {"-q", "--quiet"}, description = "No progress bar and no notes; warnings and errors still print.")
    boolean quiet;

    @Override
    public Integer call() throws Exception {
        ImageFormat fmt = format != null ? ImageFormat.parse(format)
                : ImageFormat.fromFileName(output.getFileName().toString()).orElseThrow(() -> new UsageException(
                        "cannot tell the format from \"" + output.getFileName() + "\"; use --format cpio|tar|erofs or an extension (.cpio, .tar, .erofs)"));
        Target tgt = Target.parse(target);
        Ownership hostOwners = owner == null ? Ownership.ROOT : Ownership.parse(owner);
        Ownership imageOwners = owner == null ? Ownership.KEEP : Ownership.parse(owner);
        MtimePolicy mtimes = MtimePolicy.parse(mtime, System.getenv("SOURCE_DATE_EPOCH"));

        Compression streamCompression = Compression.NONE;
        ErofsWriter.Options erofs = ErofsWriter.Options.defaults();
        long buildTime = mtimes instanceof MtimePolicy.Keep ? 0 : mtimes.impliedTime();
        if (fmt == ImageFormat.EROFS) {
            erofs = erofsOptions(buildTime, tgt);
        } else {
            if (pcluster != null || compat != null || uuid != null) throw new UsageException("--pcluster, --compat and --uuid apply to erofs only");
            streamCompression = compress != null ? Compression.parse(compress) : ImageFormat.compressionFromFileName(output.getFileName().toString());
        }
        if (crc && fmt != ImageFormat.CPIO) throw new UsageException("--crc applies to cpio only");

        List<Source> srcs = new ArrayList<>();
        for (String s : sources) srcs.add(Sources.parse(s, hostOwners, imageOwners));
        Build build = new Build(srcs, Excludes.of(excludes), mtimes, tgt, fmt, streamCompression, crc, erofs);

        ProgressHolder holder = new ProgressHolder();
        Build.Result r;
        try {
            r = build.writeTo(output, tree -> holder.set(ProgressBar.start(tree, System.err, quiet)));
        } finally {
            holder.close();
        }
        for (Finding f : r.findings()) {
            if (f.severity() == Finding.Severity.INFO && quiet) continue;
            System.err.println("kiln: " + f);
        }
        if (!quiet) {
            System.err.printf("kiln: wrote %s (%s, %,d bytes, %,d entries)%n", output, fmt.id(), r.imageSize(), r.entries());
        }
        return KilnCommand.OK;
    }

    private ErofsWriter.Options erofsOptions(long buildTime, Target tgt) {
        ErofsWriter.Algorithm alg = ErofsWriter.Algorithm.NONE;
        int level = 9;
        if (compress != null) {
            String c = compress.toLowerCase(Locale.ROOT);
            String name = c.contains(":") ? c.substring(0, c.indexOf(':')) : c;
            switch (name) {
                case "none" -> alg = ErofsWriter.Algorithm.NONE;
                case "lz4" -> alg = ErofsWriter.Algorithm.LZ4;
                case "lz4hc" -> alg = ErofsWriter.Algorithm.LZ4HC;
                default -> throw new UsageException("--compress for erofs: none, lz4 or lz4hc[:LEVEL], not \"" + compress + "\"");
            }
            if (c.contains(":")) {
                if (alg != ErofsWriter.Algorithm.LZ4HC) throw new UsageException("--compress: only lz4hc takes a level");
                try {
                    level = Integer.parseInt(c.substring(c.indexOf(':') + 1));
                } catch (NumberFormatException e) {
                    throw new UsageException("--compress lz4hc:LEVEL needs a number 1..12");
                }
                if (level < 1 || level > 12) throw new UsageException("--compress lz4hc:LEVEL needs a number 1..12, not " + level);
            }
        }
        // --target linux means "mounts on as many kernels as possible": one-block pclusters read from 5.4 on.
        int pc = tgt instanceof dev.kiln.fs.target.LinuxTarget ? 4096 : 65536;
        if (pcluster != null) pc = parseSize(pcluster);
        if (compat != null) {
            if (!compat.equals("linux-5.4")) throw new UsageException("--compat: only linux-5.4 is known");
            if (pcluster != null && pc != 4096) throw new UsageException("--compat linux-5.4 needs one-block pclusters (--pcluster 4096)");
            pc = 4096;
        }
        if (pc < 4096 || pc > 1 << 20 || pc % 4096 != 0) throw new UsageException("--pcluster: a multiple of 4096 between 4K and 1M, not " + pcluster);
        return new ErofsWriter.Options(alg, level, pc, uuid, buildTime);
    }

    static int parseSize(String s) {
        String t = s.trim().toUpperCase(Locale.ROOT);
        long mul = 1;
        if (t.endsWith("K") || t.endsWith("KIB")) { mul = 1024; t = t.replaceAll("KIB$|K$", ""); }
        else if (t.endsWith("M") || t.endsWith("MIB")) { mul = 1 << 20; t = t.replaceAll("MIB$|M$", ""); }
        try {
            long v = Long.parseLong(t) * mul;
            if (v > Integer.MAX_VALUE) throw new NumberFormatException();
            return (int) v;
        } catch (NumberFormatException e) {
            throw new UsageException("not a size: \"" + s + "\" (examples: 4096, 64K, 1M)");
        }
    }

    /** Keeps the bar so it can be closed whatever happens. */
    private static final class ProgressHolder implements AutoCloseable {
        private Progress progress = Progress.NONE;

        Progress set(Progress p) {
            progress = p;
            return p;
        }

        @Override
        public void close() {
            if (progress instanceof ProgressBar b) b.close();
        }
    }

    /** A wrong combination of options: exit code 2 like any usage error. */
    static final class UsageException extends KilnException {
        UsageException(String message) {
            super(message);
        }
    }
}
