package dev.kiln.cli;

import dev.kiln.oci.Descriptor;
import dev.kiln.oci.ImageReference;
import dev.kiln.oci.Inspection;
import dev.kiln.oci.OciException;
import dev.kiln.oci.OciLayout;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/** Opens the image references commands take. */
final class OciRefs {
    private OciRefs() {}

    /**
     * What {@code ref} holds, wherever it lives: an OCI layout is read where it is; a registry
     * image is fetched (verified) into {@code scratch}, an archive copied there (its one manifest
     * for {@code platform}).
     */
    static Inspection inspect(ImageReference ref, Path scratch, RegistryFlags flags, dev.kiln.oci.Platform platform) throws IOException {
        switch (ref) {
            case ImageReference.OciDirectory(Path dir, String tag) -> {
                OciLayout layout = OciLayout.open(dir);
                return Inspection.of(layout, top(layout, tag, ref.toString()));
            }
            case ImageReference.Registry r -> {
                OciLayout layout = OciLayout.create(scratch);
                try (var client = flags.client(r.registry())) {
                    return Inspection.of(layout, client.pull(r, layout, "inspect"));
                }
            }
            default -> {
                dev.kiln.oci.archive.ImageCopy.copy(ref, ImageReference.parse("oci:" + scratch + ":inspect"), platform, scratch.getParent());
                OciLayout layout = OciLayout.open(scratch);
                return Inspection.of(layout, top(layout, "inspect", ref.toString()));
            }
        }
    }

    /** The layout's entry for {@code tag}, or its only entry when no tag is given. */
    static Descriptor top(OciLayout layout, String tag, String given) throws IOException {
        if (tag != null) return layout.resolve(tag).orElseThrow(() -> new OciException(given + ": no tag " + tag + " in " + layout.directory()));
        List<Descriptor> all = layout.index().manifests();
        if (all.size() != 1) throw new OciException(given + ": the layout holds " + all.size() + " images; name one with :TAG");
        return all.getFirst();
    }
}
