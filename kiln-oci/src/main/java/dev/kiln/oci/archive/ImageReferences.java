package dev.kiln.oci.archive;

import dev.kiln.oci.BlobSource;
import dev.kiln.oci.Descriptor;
import dev.kiln.oci.ImageReference;
import dev.kiln.oci.ImageResolver;
import dev.kiln.oci.Index;
import dev.kiln.oci.MediaTypes;
import dev.kiln.oci.OciException;
import dev.kiln.oci.OciJson;
import dev.kiln.oci.OciLayout;
import dev.kiln.oci.Platform;
import dev.kiln.oci.ResolvedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Opens an image given as {@code oci:DIR[:TAG]}, {@code oci-archive:FILE[:TAG]} or
 * {@code docker-archive:FILE[:NAME]}, resolved to one manifest: a layout's or archive's
 * {@code index.json} entry is picked by tag (or is the only one), an index is followed to the
 * platform's manifest. Archives are indexed in place, not unpacked.
 */
public final class ImageReferences {
    private ImageReferences() {}

    /**
     * The image at {@code reference}, for {@code platform} (null: linux/amd64, or an index's only
     * manifest). {@code temporaryDirectory} (null: the JVM's) receives the decompressed copy of a
     * compressed archive, which closing the image deletes. The caller closes the image.
     */
    public static ResolvedImage open(ImageReference reference, Platform platform, Path temporaryDirectory) throws IOException {
        String name = reference.toString();
        return switch (reference) {
            case ImageReference.OciDirectory(Path dir, String tag) -> {
                OciLayout layout = OciLayout.open(dir);
                yield fromIndex(new LayoutBlobs(layout, name), layout.index(), tag, platform, name);
            }
            case ImageReference.OciArchive(Path file, String tag) -> {
                ArchiveIndex archive = ArchiveIndex.open(file, name, temporaryDirectory);
                try {
                    archive.require("oci-layout", "an OCI archive");
                    byte[] json = ArchiveIndex.readAll(archive.require("index.json", "an OCI archive"), OciJson.MAX_DOCUMENT, name + ": index.json");
                    if (!(OciJson.decodeManifestOrIndex(json, MediaTypes.OCI_INDEX, name + ": index.json") instanceof OciJson.IndexDocument(Index index))) {
                        throw new OciException(name + ": index.json is not an index");
                    }
                    yield fromIndex(ArchiveBlobs.layout(archive), index, tag, platform, name);
                } catch (IOException | RuntimeException e) {
                    archive.close();
                    throw e;
                }
            }
            case ImageReference.DockerArchive(Path file, String selector) -> {
                ArchiveIndex archive = ArchiveIndex.open(file, name, temporaryDirectory);
                try {
                    yield DockerArchiveReader.read(archive, selector);
                } catch (IOException | RuntimeException e) {
                    archive.close();
                    throw e;
                }
            }
            case ImageReference.Registry r -> throw new OciException(name + ": registry images are read by the registry client, not from local storage");
        };
    }

    /**
     * The image of a layout's {@code index.json} tagged {@code tag}, or its only entry, or the
     * entry for the platform; {@code blobs} is closed if this fails.
     */
    static ResolvedImage fromIndex(BlobSource blobs, Index index, String tag, Platform platform, String name) throws IOException {
        try {
            List<Descriptor> entries = new ArrayList<>();
            for (Descriptor d : index.manifests()) {
                if (tag == null || tag.equals(d.annotations().get(OciLayout.REF_NAME))) entries.add(d);
            }
            if (entries.isEmpty()) {
                List<String> tags = new ArrayList<>();
                for (Descriptor d : index.manifests()) {
                    String t = d.annotations().get(OciLayout.REF_NAME);
                    if (t != null) tags.add(t);
                }
                throw new OciException(name + ": " + (tag == null ? "index.json lists no image"
                        : "no image tagged " + tag + (tags.isEmpty() ? " (no tags)" : " (tags: " + String.join(", ", tags) + ")")));
            }
            Descriptor root = entries.size() == 1 ? entries.getFirst() : ImageResolver.choose(entries, platform, name);
            return ImageResolver.resolve(blobs, root, platform, name);
        } catch (IOException | RuntimeException e) {
            blobs.close();
            throw e;
        }
    }
}
