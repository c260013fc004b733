package dev.kiln.oci.testing;

import dev.kiln.fs.Compression;
import dev.kiln.oci.Descriptor;
import dev.kiln.oci.Digest;
import dev.kiln.oci.ImageConfig;
import dev.kiln.oci.Index;
import dev.kiln.oci.Manifest;
import dev.kiln.oci.MediaTypes;
import dev.kiln.oci.OciJson;
import dev.kiln.oci.OciLayout;
import dev.kiln.oci.Platform;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** OCI layouts built with kiln's own OciLayout from layer tars, for tests. */
public final class TestImages {
    private TestImages() {}

    /** A layer: its uncompressed tar and how to store it. */
    public record Layer(byte[] tar, Compression compression) {
        public static Layer of(byte[] tar, Compression c) {
            return new Layer(tar, c);
        }
    }

    /** Stores the layers, a config with their diff_ids and a manifest; tags it; returns the manifest's descriptor. */
    public static Descriptor image(OciLayout layout, String tag, Platform platform, List<Layer> layers) throws IOException {
        Descriptor m = storeManifest(layout, platform, layers, null);
        if (tag != null) layout.tag(tag, m);
        return m;
    }

    /** Like {@link #image} with {@code layerType} forced on every layer descriptor (for refusals). */
    public static Descriptor storeManifest(OciLayout layout, Platform platform, List<Layer> layers, String layerType) throws IOException {
        List<Descriptor> ds = new ArrayList<>();
        List<Digest> diffIds = new ArrayList<>();
        for (Layer l : layers) {
            byte[] blob = compress(l.tar(), l.compression());
            String type = layerType != null ? layerType : switch (l.compression()) {
                case NONE -> MediaTypes.OCI_LAYER;
                case GZIP -> MediaTypes.OCI_LAYER_GZIP;
                case ZSTD -> MediaTypes.OCI_LAYER_ZSTD;
                case XZ -> throw new IllegalArgumentException("xz");
            };
            ds.add(layout.putBlob(type, blob));
            diffIds.add(Digest.of(l.tar()));
        }
        ImageConfig config = new ImageConfig(platform.architecture(), platform.os(), null, null, platform.variant(), null,
                null, List.of("/bin/sh"), List.of("PATH=/usr/bin:/bin"), null, null, null, diffIds);
        Descriptor c = layout.putBlob(MediaTypes.OCI_CONFIG, OciJson.encode(config));
        Manifest manifest = new Manifest(MediaTypes.OCI_MANIFEST, null, c, ds, null);
        return layout.putBlob(MediaTypes.OCI_MANIFEST, OciJson.encode(manifest)).withPlatform(platform);
    }

    /** An index of {@code manifests} stored and tagged. */
    public static Descriptor index(OciLayout layout, String tag, List<Descriptor> manifests) throws IOException {
        Descriptor d = layout.putBlob(MediaTypes.OCI_INDEX, OciJson.encode(Index.of(manifests)));
        layout.tag(tag, d);
        return d;
    }

    public static byte[] compress(byte[] data, Compression c) throws IOException {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        try (OutputStream out = c.compress(buf)) {
            out.write(data);
        }
        return buf.toByteArray();
    }

    /** Three layers: a base, one with whiteouts, an opaque directory and a link to a lower file, one more on top. */
    public static List<byte[]> sampleLayers() {
        byte[] base = new RawTar()
                .dir("etc").file("etc/a", "alpha\n".getBytes(), 0640, 1000, 1001).file("etc/gone", "bye\n")
                .dir("bin").file("bin/tool", "#!/bin/sh\necho tool\n".getBytes(), 04755, 0, 0).symlink("bin/sh", "tool")
                .dir("opq", 0750, 5, 6).file("opq/old1", "1").file("opq/old2", "2")
                .dir("keep").file("keep/k", "kept\n")
                .bytes();
        byte[] middle = new RawTar()
                .dir("etc").whiteout("etc/gone")
                .dir("opq", 0700, 7, 8).opaque("opq").file("opq/new", "new\n")
                .dir("keep").hardLink("keep/k2", "keep/k")
                .bytes();
        byte[] top = new RawTar()
                .dir("etc").file("etc/c", "charlie\n")
                .dir("var").dir("var/empty", 01777, 0, 0)
                .bytes();
        return List.of(base, middle, top);
    }
}
