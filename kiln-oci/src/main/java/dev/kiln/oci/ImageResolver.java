package dev.kiln.oci;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * Turns a descriptor (from {@code index.json}, a tag, a registry) into one image: an index is
 * followed to the manifest for the wanted platform (linux/amd64 unless told; an index with a
 * single manifest gives that one), a manifest is used as it is, and its config is read, all
 * verified against their descriptors.
 */
public final class ImageResolver {
    /** What kiln picks from a multi-platform index when nobody says. */
    public static final Platform DEFAULT_PLATFORM = Platform.of("linux", "amd64");
    /** Indexes of indexes deeper than this are refused (real ones nest once). */
    private static final int MAX_NESTING = 4;

    private ImageResolver() {}

    /**
     * Resolves {@code root} in {@code blobs}; {@code platform} null means the default, which an
     * index with a single manifest satisfies whatever its platform. {@code name} names the image
     * in messages. The returned image holds {@code blobs}.
     */
    public static ResolvedImage resolve(BlobSource blobs, Descriptor root, Platform platform, String name) throws IOException {
        Descriptor d = root;
        for (int depth = 0; ; depth++) {
            if (depth > MAX_NESTING) throw new OciException(name + ": indexes nested more than " + MAX_NESTING + " deep");
            byte[] json = blobs.read(d);
            OciJson.Document doc = OciJson.decodeManifestOrIndex(json, d.mediaType(), name + " " + d.digest().brief());
            switch (doc) {
                case OciJson.IndexDocument(Index index) -> d = choose(index.manifests(), platform, name);
                case OciJson.ManifestDocument(Manifest m) -> {
                    Descriptor own = new Descriptor(m.mediaType(), d.digest(), d.size(), d.annotations(), d.platform(), d.artifactType());
                    byte[] config = blobs.read(m.config());
                    ImageConfig c = OciJson.decodeConfig(config, name + " config " + m.config().digest().brief());
                    return new ResolvedImage(name, own, json, m, config, c, blobs);
                }
            }
        }
    }

    /**
     * The entry of {@code candidates} for {@code platform}: the first whose platform matches (os,
     * architecture, and the variant when one is wanted); failing that, the only entry when there is
     * just one and no platform was asked for. Fails listing what there is.
     */
    public static Descriptor choose(List<Descriptor> candidates, Platform platform, String name) {
        if (candidates.isEmpty()) throw new OciException(name + ": the index lists no manifest");
        Platform want = platform != null ? platform : DEFAULT_PLATFORM;
        for (Descriptor d : candidates) if (matches(d.platform(), want)) return d;
        if (candidates.size() == 1 && platform == null) return candidates.getFirst();
        List<String> have = new ArrayList<>();
        for (Descriptor d : candidates) have.add(d.platform() != null ? d.platform().toString() : "(no platform) " + d.digest().brief());
        throw new OciException(name + ": no manifest for " + want + "; the index has " + String.join(", ", have));
    }

    static boolean matches(Platform have, Platform want) {
        if (have == null) return false;
        return have.os().equals(want.os()) && have.architecture().equals(want.architecture())
                && (want.variant() == null || want.variant().equals(have.variant()));
    }
}
