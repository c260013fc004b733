package dev.kiln.cli;

import dev.kiln.fs.ImageFormat;
import dev.kiln.fs.build.BuildResult;
import dev.kiln.fs.build.ImageBuild;
import dev.kiln.fs.build.MtimePolicy;
import dev.kiln.fs.build.Ownership;
import dev.kiln.fs.build.Source;
import dev.kiln.fs.target.Finding;
import dev.kiln.fs.target.Target;
import dev.kiln.oci.source.ContainerImageSource;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
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

    @Option(names = "--platform", paramLabel = "OS/ARCH", description = "Container images: which manifest of an index (default linux/amd64).")
    String platform;

    @picocli.CommandLine.Mixin
    RegistryFlags registry;

    @Option(names = {"-q", "--quiet"}, description = "No progress bar and no notes; warnings and errors still print.")
    boolean quiet;

    @Override
    public Integer call() throws Exception {
        ImageBuild.Builder request = ImageBuild.builder()
                .fileName(output.getFileName().toString())
                .target(Target.parse(target))
                .excludes(excludes)
                .crc(crc)
                .compression(compress)
                .pclusterSize(pcluster)
                .compatibility(compat)
                .uuid(uuid);
        if (format != null) request.format(ImageFormat.parse(format));
        if (owner != null) request.owners(Ownership.parse(owner));
        if (mtime != null) request.mtime(MtimePolicy.parse(mtime));
        String epoch = System.getenv("SOURCE_DATE_EPOCH");
        if (epoch != null && !epoch.isBlank()) request.sourceDateEpoch(MtimePolicy.epoch(epoch, "SOURCE_DATE_EPOCH"));
        dev.kiln.oci.Platform plat = null;
        if (platform != null) {
            plat = dev.kiln.oci.Platform.parse(platform, "--platform");
        }
        // Registry images are pulled (compressed blobs, verified) into a temporary layout first,
        // which goes when the build is over.
        java.util.List<java.nio.file.Path> pulled = new java.util.ArrayList<>();
        BuildResult r;
        ImageBuild build;
        try {
            for (String s : sources) {
                if (s.startsWith("docker://")) {
                    var ref = (dev.kiln.oci.ImageReference.Registry) dev.kiln.oci.ImageReference.parse(s);
                    java.nio.file.Path tmp = java.nio.file.Files.createTempDirectory("kiln-pull-");
                    pulled.add(tmp);
                    try (var client = registry.client(ref.registry())) {
                        client.pull(ref, dev.kiln.oci.OciLayout.create(tmp), "image");
                    }
                    request.source(ContainerImageSource.parse("oci:" + tmp + ":image", plat));
                } else if (ContainerImageSource.isImageArgument(s)) {
                    request.source(ContainerImageSource.parse(s, plat));
                } else {
                    request.source(Source.parse(s));
                }
            }
            build = request.build();
            try (BuildProgress progress = new BuildProgress(System.err, quiet, System.getenv("KILN_TRACE") != null)) {
                r = build.writeTo(output, progress);
            }
        } finally {
            for (java.nio.file.Path p : pulled) dev.kiln.oci.Directories.deleteTree(p);
        }
        for (Finding f : r.findings()) {
            if (f.severity() == Finding.Severity.INFO && quiet) continue;
            System.err.println("kiln: " + f);
        }
        if (!quiet) {
            System.err.printf("kiln: wrote %s (%s, %,d bytes, %,d entries)%n", output, build.format().id(), r.imageSize(), r.entries());
        }
        return KilnCommand.OK;
    }


    /** The flag behind each option the library names in its messages. */
    static String flagFor(String option) {
        return switch (option) {
            case "format" -> "--format";
            case "compression" -> "--compress";
            case "crc" -> "--crc";
            case "pcluster size" -> "--pcluster";
            case "compatibility" -> "--compat";
            case "uuid" -> "--uuid";
            case "owner" -> "--owner";
            case "mtime" -> "--mtime";
            case "sources" -> "SOURCE";
            default -> option;
        };
    }
}
