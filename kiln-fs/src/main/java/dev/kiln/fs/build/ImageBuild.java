package dev.kiln.fs.build;

import dev.kiln.fs.Compression;
import dev.kiln.fs.ImageFormat;
import dev.kiln.fs.Progress;
import dev.kiln.fs.Tree;
import dev.kiln.fs.cpio.CpioWriter;
import dev.kiln.fs.erofs.ErofsWriter;
import dev.kiln.fs.io.AtomicFile;
import dev.kiln.fs.io.FileFeed;
import dev.kiln.fs.io.ImageWriter;
import dev.kiln.fs.io.MemoryChannel;
import dev.kiln.fs.io.Output;
import dev.kiln.fs.io.Workers;
import dev.kiln.fs.source.Excludes;
import dev.kiln.fs.source.Sources;
import dev.kiln.fs.tar.TarWriter;
import dev.kiln.fs.target.Finding;
import dev.kiln.fs.target.ImageKind;
import dev.kiln.fs.target.LinuxTarget;
import dev.kiln.fs.target.Target;
import java.io.IOException;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.Executor;

/**
 * One image build, as a value: sources → tree → the target's adaptation → image. It is what
 * {@code kiln build} runs and what a server runs in-process, so every rule and default lives
 * here (owners, times, the EROFS cluster size per target, which options go together); a front
 * end only turns its input into a {@link Builder} and renders the {@link BuildResult}.
 *
 * <pre>{@code
 * ImageBuild rom = ImageBuild.builder()
 *         .source(Source.memory().file("/etc/app/config.json", json).build())
 *         .format(ImageFormat.EROFS)
 *         .build();
 * byte[] image = rom.toBytes();
 * }</pre>
 *
 * <p>An {@code ImageBuild} is immutable and holds no state between calls: the same build may run
 * any number of times, from any number of threads, and gives the same bytes for the same
 * sources. Errors are typed: {@link BuildOptionException} (names the option) from
 * {@link Builder#build()}, {@link TargetException} (nothing written) when the target refuses the
 * tree, {@link dev.kiln.fs.InvalidPathException} and {@link dev.kiln.fs.FormatException} for bad
 * input (name the entry, offset or file), {@link IOException} for the host.
 */
public final class ImageBuild {
    private final List<Source> sources;
    private final Excludes excludes;
    private final Ownership owners;
    private final MtimePolicy mtime;
    private final Target target;
    private final ImageFormat format;
    private final Compression compression;
    private final boolean crc;
    private final ErofsWriter.Options erofs;
    private final Workers workers;
    private final Path temporaryDirectory;

    private ImageBuild(Builder b, ImageFormat format, Compression compression, MtimePolicy mtime, ErofsWriter.Options erofs) {
        this.sources = List.copyOf(b.sources);
        this.excludes = Excludes.of(b.excludes);
        this.owners = b.owners;
        this.mtime = mtime;
        this.target = b.target;
        this.format = format;
        this.compression = compression;
        this.crc = b.crc;
        this.erofs = erofs;
        this.workers = b.executor != null ? Workers.on(b.executor, b.parallelism) : Workers.ownThreads(b.parallelism);
        this.temporaryDirectory = b.temporaryDirectory;
    }

    public static Builder builder() {
        return new Builder();
    }

    public ImageFormat format() {
        return format;
    }

    /** Whole-stream compression of a cpio or tar image; NONE for EROFS, which compresses its data itself. */
    public Compression compression() {
        return compression;
    }

    public Target target() {
        return target;
    }

    /**
     * The sources read into one tree, excludes and the mtime policy applied, without the target's
     * adaptation. The caller closes it (it may hold decompressed images).
     */
    public Tree tree() throws IOException {
        return Sources.build(sources, excludes, mtime, owners, null, temporaryDirectory, workers);
    }

    /** {@link #writeTo(Path, Progress)} without progress reports. */
    public BuildResult writeTo(Path out) throws IOException {
        return writeTo(out, Progress.NONE);
    }

    /**
     * Builds into the file {@code out}, through a temporary sibling renamed into place at the
     * end: a failure (the target's included) leaves nothing under the name, and an older image
     * there untouched.
     */
    public BuildResult writeTo(Path out, Progress progress) throws IOException {
        List<Finding> findings = new ArrayList<>(checkKind());
        Tree[] written = new Tree[1];
        AtomicFile.write(out, (ch, file) -> written[0] = run(ch, file, progress, findings));
        progress.phase("image in place");
        long size = Files.size(out);
        findings.addAll(target.afterBuild(written[0], size));
        return new BuildResult(findings, size, written[0].size());
    }

    /**
     * Builds into {@code out}, a caller's channel, empty and positioned at 0 (an EROFS image
     * needs one that can seek). No temporary file; on failure the channel holds a partial image,
     * which the caller discards.
     */
    public BuildResult writeTo(SeekableByteChannel out, Progress progress) throws IOException {
        List<Finding> findings = new ArrayList<>(checkKind());
        Tree written = run(out, null, progress, findings);
        long size = out.size();
        findings.addAll(target.afterBuild(written, size));
        return new BuildResult(findings, size, written.size());
    }

    /** The image in memory, with the build's findings; no file is written anywhere. */
    public InMemory toMemory() throws IOException {
        MemoryChannel ch = new MemoryChannel();
        BuildResult r = writeTo(ch, Progress.NONE);
        return new InMemory(ch.toByteArray(), r);
    }

    /** The image's bytes (see {@link #toMemory()} for the findings too). */
    public byte[] toBytes() throws IOException {
        return toMemory().bytes();
    }

    /** An image built in memory and what the build found. */
    public record InMemory(byte[] bytes, BuildResult result) {}

    private List<Finding> checkKind() {
        return target.checkKind(ImageKind.of(format, compression, crc));
    }

    /**
     * Sources → tree → target → writer; returns the tree written, closed (its entries and metadata
     * stay readable for the target's notes; its contents do not).
     */
    private Tree run(SeekableByteChannel ch, Path file, Progress progress, List<Finding> findings) throws IOException {
        progress.phase("start");
        ImageWriter writer = switch (format) {
            case CPIO -> new CpioWriter(new CpioWriter.Options(crc, target.copyHardLinks(), compression));
            case TAR -> new TarWriter(compression);
            case EROFS -> new ErofsWriter(erofs);
        };
        // The writer may start on file data while the sources are read (EROFS compresses, or
        // copies uncompressed data to its place); it checks that work against the finished tree.
        // Only a walk can feed it, so other sources (in-memory files above all) start nothing.
        try (FileFeed feed = Sources.feeds(sources) ? writer.feed(new Output(ch, file, progress, workers)) : null;
             Tree tree = Sources.build(sources, excludes, mtime, owners, feed, temporaryDirectory, workers)) {
            progress.phase("sources read");
            findings.addAll(target.prepare(tree));
            if (findings.stream().anyMatch(Finding::isError)) throw new TargetException(target, findings);
            progress.treeRead(tree);
            writer.write(tree, new Output(ch, file, progress, workers), feed);
            return tree;
        }
    }

    /**
     * Collects a build request. {@link #build()} applies the defaults and checks that the options
     * go together, so a wrong request fails before any source is read.
     */
    public static final class Builder {
        private final List<Source> sources = new ArrayList<>();
        private final List<String> excludes = new ArrayList<>();
        private Ownership owners;
        private MtimePolicy mtime;
        private Long sourceDateEpoch;
        private Target target = Target.GENERIC;
        private ImageFormat format;
        private String fileName;
        private String compression;
        private boolean crc;
        private String pclusterSize;
        private String compatibility;
        private UUID uuid;
        private Executor executor;
        private int parallelism = Math.max(1, Runtime.getRuntime().availableProcessors());
        private Path temporaryDirectory;

        private Builder() {}

        /** Adds a source; sources apply in order, later ones win. */
        public Builder source(Source source) {
            sources.add(Objects.requireNonNull(source, "source"));
            return this;
        }

        public Builder sources(Collection<? extends Source> more) {
            for (Source s : more) source(s);
            return this;
        }

        /**
         * Leaves out matching paths: a glob without '/' matches names at any depth ({@code *.pyc},
         * {@code .git}), one with '/' matches from the root ({@code usr/share/doc/**}).
         */
        public Builder exclude(String glob) {
            excludes.add(Objects.requireNonNull(glob, "glob"));
            return this;
        }

        public Builder excludes(Collection<String> globs) {
            for (String g : globs) exclude(g);
            return this;
        }

        /** Owners for every source; unset, host files are root's and images keep theirs. */
        public Builder owners(Ownership owners) {
            this.owners = owners;
            return this;
        }

        /** Modification times; unset, times are kept, clamped to {@link #sourceDateEpoch} when set. */
        public Builder mtime(MtimePolicy mtime) {
            this.mtime = mtime;
            return this;
        }

        /**
         * The reproducible-builds SOURCE_DATE_EPOCH, or null: with no {@link #mtime} policy, later
         * times are clamped to it, and implied directories get it. The library never reads the
         * environment; a front end passes the variable here.
         */
        public Builder sourceDateEpoch(Long epoch) {
            this.sourceDateEpoch = epoch;
            return this;
        }

        /** The consumer the image is for (default {@link Target#GENERIC}). */
        public Builder target(Target target) {
            this.target = Objects.requireNonNull(target, "target");
            return this;
        }

        public Builder format(ImageFormat format) {
            this.format = format;
            return this;
        }

        /**
         * The output's file name, from whose extension the format and a cpio or tar image's
         * compression default (.cpio, .initrd, .tar, .tgz, .erofs, with .gz, .zst or .xz).
         */
        public Builder fileName(String fileName) {
            this.fileName = fileName;
            return this;
        }

        /**
         * Compression by name: for cpio and tar the whole stream ({@code none}, {@code gzip},
         * {@code zstd}, {@code xz}); for EROFS the data ({@code none}, {@code lz4},
         * {@code lz4hc[:LEVEL]}, LEVEL 1..12, default 9).
         */
        public Builder compression(String compression) {
            this.compression = compression;
            return this;
        }

        /** cpio: write 070702 headers with data checksums. */
        public Builder crc(boolean crc) {
            this.crc = crc;
            return this;
        }

        /**
         * EROFS: the largest physical cluster, as bytes or with K/M ({@code 4096}, {@code 64K});
         * a multiple of 4096 up to 1M. Default 64K, and 4K for {@link Target#LINUX} (4K mounts on
         * Linux 5.4, larger ones need 5.13).
         */
        public Builder pclusterSize(String size) {
            this.pclusterSize = size;
            return this;
        }

        /** EROFS: stay readable by an older kernel; {@code linux-5.4} (one-block clusters). */
        public Builder compatibility(String kernel) {
            this.compatibility = kernel;
            return this;
        }

        /** EROFS: the filesystem UUID; unset, one is derived from the content. */
        public Builder uuid(UUID uuid) {
            this.uuid = uuid;
            return this;
        }

        /**
         * Runs the build's background work (listing, compressing, copying) on {@code executor},
         * which a server shares across builds; unset, each build starts threads of its own. The
         * executor must start tasks without waiting for others to finish (a cached thread pool,
         * a thread-per-task executor), since some of them wait for each other.
         */
        public Builder executor(Executor executor) {
            this.executor = executor;
            return this;
        }

        /** How many CPU-bound tasks one build runs at once (default: one per core). */
        public Builder parallelism(int parallelism) {
            if (parallelism < 1) throw new BuildOptionException("parallelism", "must be at least 1, not " + parallelism);
            this.parallelism = parallelism;
            return this;
        }

        /** Where decompressed source images go while a build reads them (default: the JVM's). */
        public Builder temporaryDirectory(Path dir) {
            this.temporaryDirectory = dir;
            return this;
        }

        /** Applies the defaults and checks the options; throws {@link BuildOptionException} naming the first wrong one. */
        public ImageBuild build() {
            if (sources.isEmpty()) throw new BuildOptionException("sources", "at least one source is needed");
            ImageFormat fmt = format;
            if (fmt == null) {
                if (fileName == null) throw new BuildOptionException("format", "not given, and no file name to tell it from");
                fmt = ImageFormat.fromFileName(fileName).orElseThrow(() -> new BuildOptionException("format",
                        "cannot tell the format from \"" + fileName + "\"; give it, or use an extension (.cpio, .tar, .erofs)"));
            }
            MtimePolicy times = mtime != null ? mtime : sourceDateEpoch != null ? MtimePolicy.clamp(sourceDateEpoch) : MtimePolicy.KEEP;
            if (crc && fmt != ImageFormat.CPIO) throw new BuildOptionException("crc", "applies to cpio only");
            Compression stream = Compression.NONE;
            ErofsWriter.Options erofs = ErofsWriter.Options.defaults();
            if (fmt == ImageFormat.EROFS) {
                long buildTime = times instanceof MtimePolicy.Keep ? 0 : times.impliedTime();
                erofs = erofsOptions(buildTime);
            } else {
                if (pclusterSize != null) throw new BuildOptionException("pcluster size", "applies to EROFS only");
                if (compatibility != null) throw new BuildOptionException("compatibility", "applies to EROFS only");
                if (uuid != null) throw new BuildOptionException("uuid", "applies to EROFS only");
                if (compression != null) {
                    stream = switch (compression.toLowerCase(Locale.ROOT)) {
                        case "none", "" -> Compression.NONE;
                        case "gzip", "gz" -> Compression.GZIP;
                        case "zstd", "zst" -> Compression.ZSTD;
                        case "xz" -> Compression.XZ;
                        default -> throw new BuildOptionException("compression", "unknown compression \"" + compression
                                + "\" for " + fmt.id() + " (expected none, gzip, zstd or xz)");
                    };
                } else if (fileName != null) {
                    stream = ImageFormat.compressionFromFileName(fileName);
                }
            }
            return new ImageBuild(this, fmt, stream, times, erofs);
        }

        private ErofsWriter.Options erofsOptions(long buildTime) {
            ErofsWriter.Algorithm alg = ErofsWriter.Algorithm.NONE;
            int level = 9;
            if (compression != null) {
                String c = compression.toLowerCase(Locale.ROOT);
                int colon = c.indexOf(':');
                String name = colon >= 0 ? c.substring(0, colon) : c;
                alg = switch (name) {
                    case "none" -> ErofsWriter.Algorithm.NONE;
                    case "lz4" -> ErofsWriter.Algorithm.LZ4;
                    case "lz4hc" -> ErofsWriter.Algorithm.LZ4HC;
                    default -> throw new BuildOptionException("compression", "for EROFS: none, lz4 or lz4hc[:LEVEL], not \"" + compression + "\"");
                };
                if (colon >= 0) {
                    if (alg != ErofsWriter.Algorithm.LZ4HC) throw new BuildOptionException("compression", "only lz4hc takes a level");
                    try {
                        level = Integer.parseInt(c.substring(colon + 1));
                    } catch (NumberFormatException e) {
                        throw new BuildOptionException("compression", "lz4hc:LEVEL needs a number 1..12");
                    }
                    if (level < 1 || level > 12) throw new BuildOptionException("compression", "lz4hc:LEVEL needs a number 1..12, not " + level);
                }
            }
            // Target linux means "mounts on as many kernels as possible": one-block pclusters read from 5.4 on.
            int pc = target instanceof LinuxTarget ? 4096 : 65536;
            if (pclusterSize != null) pc = parseSize(pclusterSize);
            if (compatibility != null) {
                if (!compatibility.equals("linux-5.4")) throw new BuildOptionException("compatibility", "only linux-5.4 is known, not \"" + compatibility + "\"");
                if (pclusterSize != null && pc != 4096) {
                    throw new BuildOptionException("compatibility", "linux-5.4 needs one-block pclusters (a pcluster size of 4096)");
                }
                pc = 4096;
            }
            if (pc < 4096 || pc > 1 << 20 || pc % 4096 != 0) {
                throw new BuildOptionException("pcluster size", "a multiple of 4096 between 4K and 1M, not " + pclusterSize);
            }
            return new ErofsWriter.Options(alg, level, pc, uuid, buildTime);
        }

        private static int parseSize(String s) {
            String t = s.trim().toUpperCase(Locale.ROOT);
            long mul = 1;
            if (t.endsWith("KIB") || t.endsWith("K")) {
                mul = 1024;
                t = t.replaceAll("KIB$|K$", "");
            } else if (t.endsWith("MIB") || t.endsWith("M")) {
                mul = 1 << 20;
                t = t.replaceAll("MIB$|M$", "");
            }
            try {
                long v = Long.parseLong(t) * mul;
                if (v > Integer.MAX_VALUE || v < 0) throw new NumberFormatException();
                return (int) v;
            } catch (NumberFormatException e) {
                throw new BuildOptionException("pcluster size", "not a size: \"" + s + "\" (examples: 4096, 64K, 1M)");
            }
        }
    }
}
