package dev.kiln.oci.archive;

import dev.kiln.oci.ImageReference;
import dev.kiln.oci.OciException;
import dev.kiln.oci.Platform;
import dev.kiln.oci.ResolvedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * Copies an image between the local forms, as {@code skopeo copy} does: an OCI layout, an OCI
 * archive and a Docker archive, in any direction. The source is resolved to one manifest (by
 * platform), every blob is verified on the way, and nothing is left at the destination when the
 * copy fails.
 */
public final class ImageCopy {
    private ImageCopy() {}

    public static void copy(ImageReference from, ImageReference to, Platform platform, Path temporaryDirectory) throws IOException {
        try (ResolvedImage image = ImageReferences.open(from, platform, temporaryDirectory)) {
            write(image, to, temporaryDirectory);
        }
    }

    /** Writes an image already open (from a registry, say) to a local destination. */
    public static void write(ResolvedImage image, ImageReference to, Path temporaryDirectory) throws IOException {
        switch (to) {
            case ImageReference.OciDirectory(Path dir, String tag) -> OciLayoutWriter.write(image, tag, dir);
            case ImageReference.OciArchive(Path file, String tag) -> OciArchiveWriter.write(image, tag, file, temporaryDirectory);
            case ImageReference.DockerArchive(Path file, String name) ->
                    DockerArchiveWriter.write(image, name == null ? List.of() : List.of(repoTag(name)), file, temporaryDirectory);
            case ImageReference.Registry r -> throw new OciException(to + ": pushing to a registry is the registry client's");
        }
    }

    /** {@code NAME[:TAG]} as docker save records it: with {@code :latest} when no tag is given. */
    static String repoTag(String name) {
        if (name.startsWith("@")) throw new OciException("docker-archive destination \"" + name + "\": name it NAME[:TAG], not by number");
        return name.lastIndexOf(':') > name.lastIndexOf('/') ? name : name + ":latest";
    }
}
