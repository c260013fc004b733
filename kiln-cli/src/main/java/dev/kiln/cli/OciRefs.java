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

    static Inspection inspect(ImageReference ref) throws IOException {
        if (ref instanceof ImageReference.OciDirectory(Path dir, String tag)) {
            OciLayout layout = OciLayout.open(dir);
            return Inspection.of(layout, top(layout, tag, ref.toString()));
        }
        throw new OciException(ref + ": not readable here yet (oci:DIR[:TAG] is)");
    }

    /** The layout's entry for {@code tag}, or its only entry when no tag is given. */
    static Descriptor top(OciLayout layout, String tag, String given) throws IOException {
        if (tag != null) return layout.resolve(tag).orElseThrow(() -> new OciException(given + ": no tag " + tag + " in " + layout.directory()));
        List<Descriptor> all = layout.index().manifests();
        if (all.size() != 1) throw new OciException(given + ": the layout holds " + all.size() + " images; name one with :TAG");
        return all.getFirst();
    }
}
