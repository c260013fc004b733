package dev.kiln.oci;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * What {@code kiln inspect} shows of an image: the index (if any), and per manifest its platform,
 * annotations, config and layers, each blob read through the layout (and so verified).
 *
 * @param top       the descriptor the reference resolved to
 * @param index     the index, or null when the reference names a single manifest
 * @param manifests every manifest, in index order
 */
public record Inspection(Descriptor top, Index index, List<Entry> manifests) {
    /** One manifest, its descriptor (with the index's platform, if any) and its config. */
    public record Entry(Descriptor descriptor, Manifest manifest, ImageConfig config) {}

    /** Reads what {@code top} names from {@code layout}. */
    public static Inspection of(OciLayout layout, Descriptor top) throws IOException {
        String what = layout.directory() + ": " + top.digest();
        OciJson.Document doc = OciJson.decodeManifestOrIndex(layout.readBlob(top), top.mediaType(), what);
        List<Entry> entries = new ArrayList<>();
        Index index = null;
        switch (doc) {
            case OciJson.IndexDocument(Index i) -> {
                index = i;
                for (Descriptor d : i.manifests()) {
                    if (!MediaTypes.isManifest(d.mediaType())) {
                        throw new OciException(what + ": nested index " + d.digest() + " (one level of index is supported)");
                    }
                    entries.add(entry(layout, d));
                }
            }
            case OciJson.ManifestDocument m -> entries.add(entry(layout, top));
        }
        return new Inspection(top, index, entries);
    }

    private static Entry entry(OciLayout layout, Descriptor d) throws IOException {
        String what = layout.directory() + ": manifest " + d.digest();
        if (!(OciJson.decodeManifestOrIndex(layout.readBlob(d), d.mediaType(), what) instanceof OciJson.ManifestDocument(Manifest m))) {
            throw new OciException(what + ": not a manifest");
        }
        ImageConfig config = null;
        if (!m.config().mediaType().equals(MediaTypes.OCI_EMPTY)) {
            config = OciJson.decodeConfig(layout.readBlob(m.config()), what + " config " + m.config().digest());
        }
        return new Entry(d, m, config);
    }

    /** The manifest for {@code os/architecture}, or the only one; fails listing what there is. */
    public Entry forPlatform(String os, String architecture) {
        if (manifests.size() == 1 && (index == null || os == null)) return manifests.getFirst();
        for (Entry e : manifests) {
            Platform p = e.descriptor().platform() != null ? e.descriptor().platform() : e.config() != null ? e.config().platform() : null;
            if (p != null && p.os().equals(os) && (architecture == null || p.architecture().equals(architecture))) return e;
        }
        throw new OciException(top.digest() + ": no manifest for " + os + "/" + architecture + " (it has "
                + String.join(", ", manifests.stream().map(e -> String.valueOf(e.descriptor().platform())).toList()) + ")");
    }
}
