package dev.kiln.oci.registry;

import dev.kiln.oci.Descriptor;
import dev.kiln.oci.Digest;
import dev.kiln.oci.ImageConfig;
import dev.kiln.oci.Index;
import dev.kiln.oci.Manifest;
import dev.kiln.oci.MediaTypes;
import dev.kiln.oci.OciJson;
import dev.kiln.oci.OciLayout;
import dev.kiln.oci.Platform;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/** Images for the registry tests, built with the model classes: small configs and random layers. */
final class TestImages {
    private TestImages() {}

    /** An image in a layout: its top descriptor and every blob under it, manifests included, with their bytes. */
    record TestImage(Descriptor top, Map<Digest, byte[]> blobs, List<Descriptor> layers) {
        long layerBytes() {
            return layers.stream().mapToLong(Descriptor::size).sum();
        }
    }

    static byte[] random(long seed, int size) {
        byte[] b = new byte[size];
        new Random(seed).nextBytes(b);
        return b;
    }

    /**
     * {@code size} random bytes as a gzip stream of stored (uncompressed) deflate blocks: skopeo
     * gzips a layer it finds uncompressed on its way to a registry or a layout (new digests), and
     * leaves gzip alone; stored blocks make such a layer as cheap to build as a plain one.
     */
    static byte[] gzipped(long seed, int size) {
        var out = new java.io.ByteArrayOutputStream(size + size / 1000 + 64);
        try (var gz = new java.util.zip.GZIPOutputStream(out, 1 << 16) {
            {
                def.setLevel(java.util.zip.Deflater.NO_COMPRESSION);
            }
        }) {
            gz.write(random(seed, size));
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    /** One manifest for linux/amd64 with layers of the given sizes. */
    static TestImage single(OciLayout layout, long seed, int... layerSizes) throws IOException {
        return single(layout, false, seed, layerSizes);
    }

    /** As {@link #single(OciLayout, long, int...)}, with gzip layers when {@code gzip}. */
    static TestImage single(OciLayout layout, boolean gzip, long seed, int... layerSizes) throws IOException {
        Map<Digest, byte[]> blobs = new LinkedHashMap<>();
        List<Descriptor> layers = new ArrayList<>();
        for (int i = 0; i < layerSizes.length; i++) layers.add(layer(layout, blobs, gzip, seed * 1000 + i, layerSizes[i]));
        Descriptor m = manifest(layout, blobs, Platform.of("linux", "amd64"), layers, "single " + seed);
        return new TestImage(m, blobs, layers);
    }

    /**
     * An index of two manifests, linux/amd64 and linux/arm64, each with a config and a layer of
     * its own and a layer they share.
     */
    static TestImage index(OciLayout layout, long seed, int layerSize) throws IOException {
        return index(layout, false, seed, layerSize);
    }

    static TestImage index(OciLayout layout, boolean gzip, long seed, int layerSize) throws IOException {
        Map<Digest, byte[]> blobs = new LinkedHashMap<>();
        Descriptor shared = layer(layout, blobs, gzip, seed * 1000, layerSize);
        Descriptor amd = layer(layout, blobs, gzip, seed * 1000 + 1, layerSize + 1);
        Descriptor arm = layer(layout, blobs, gzip, seed * 1000 + 2, layerSize + 2);
        Descriptor m1 = manifest(layout, blobs, Platform.of("linux", "amd64"), List.of(shared, amd), "index " + seed);
        Descriptor m2 = manifest(layout, blobs, Platform.of("linux", "arm64"), List.of(shared, arm), "index " + seed);
        byte[] index = OciJson.encode(Index.of(List.of(m1, m2)));
        Descriptor top = layout.putBlob(MediaTypes.OCI_INDEX, index);
        blobs.put(top.digest(), index);
        return new TestImage(top, blobs, List.of(shared, amd, arm));
    }

    private static Descriptor manifest(OciLayout layout, Map<Digest, byte[]> blobs, Platform p, List<Descriptor> layers, String label)
            throws IOException {
        ImageConfig config = new ImageConfig(p.architecture(), p.os(), null, null, null, null, List.of("/app"), null,
                List.of("KILN_TEST=" + label), null, null, null, layers.stream().map(Descriptor::digest).toList());
        Descriptor c = blob(layout, blobs, MediaTypes.OCI_CONFIG, OciJson.encode(config));
        byte[] manifest = OciJson.encode(new Manifest(MediaTypes.OCI_MANIFEST, null, c, layers, null));
        Descriptor m = layout.putBlob(MediaTypes.OCI_MANIFEST, manifest);
        blobs.put(m.digest(), manifest);
        return m.withPlatform(p);
    }

    private static Descriptor layer(OciLayout layout, Map<Digest, byte[]> blobs, boolean gzip, long seed, int size) throws IOException {
        return gzip ? blob(layout, blobs, MediaTypes.OCI_LAYER_GZIP, gzipped(seed, size)) : blob(layout, blobs, MediaTypes.OCI_LAYER, random(seed, size));
    }

    private static Descriptor blob(OciLayout layout, Map<Digest, byte[]> blobs, String mediaType, byte[] bytes) throws IOException {
        Descriptor d = layout.putBlob(mediaType, bytes);
        blobs.put(d.digest(), bytes);
        return d;
    }
}
