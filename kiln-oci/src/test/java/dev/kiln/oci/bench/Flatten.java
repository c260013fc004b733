package dev.kiln.oci.bench;

import dev.kiln.fs.ImageFormat;
import dev.kiln.fs.build.BuildResult;
import dev.kiln.fs.build.ImageBuild;
import dev.kiln.fs.build.MtimePolicy;
import dev.kiln.fs.build.Ownership;
import dev.kiln.oci.source.ContainerImageSource;
import java.nio.file.Path;
import java.util.UUID;

/**
 * bench/flatten.sh's kiln side until {@code kiln build} takes container images: flattens
 * {@code args[0]} (oci:DIR[:TAG], oci-archive:FILE, docker-archive:FILE) into the EROFS image
 * {@code args[1]} with LZ4HC and 64 KiB pclusters, every entry root-owned with mtime 0 and a fixed
 * UUID, the settings the script gives mkfs.erofs.
 */
public final class Flatten {
    private Flatten() {}

    public static void main(String[] args) throws Exception {
        BuildResult r = ImageBuild.builder()
                .source(ContainerImageSource.parse(args[0]))
                .format(ImageFormat.EROFS)
                .compression("lz4hc")
                .pclusterSize("64K")
                .owners(new Ownership.Fixed(0, 0))
                .mtime(MtimePolicy.fixed(0))
                .uuid(UUID.fromString(args.length > 2 ? args[2] : "2f3d8e52-5c0b-4b8e-9a59-1c1f3a0b7e11"))
                .build()
                .writeTo(Path.of(args[1]));
        System.err.println(r.imageSize() + " bytes, " + r.entries() + " entries");
    }
}
