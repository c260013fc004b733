package dev.kiln.oci.archive;

import dev.kiln.oci.Descriptor;
import dev.kiln.oci.Manifest;
import dev.kiln.oci.MediaTypes;
import dev.kiln.oci.OciJson;
import dev.kiln.oci.Platform;
import dev.kiln.oci.ResolvedImage;
import java.util.ArrayList;
import java.util.List;

/**
 * An image's manifest as an OCI layout holds it. An OCI manifest is kept byte for byte (its
 * digest survives the copy); a Docker schema 2 manifest is rewritten with OCI media types, the
 * blobs unchanged, as skopeo converts one.
 */
record OciForm(Descriptor descriptor, byte[] bytes, Manifest manifest) {
    static OciForm of(ResolvedImage image) {
        if (!image.isDocker()) {
            return new OciForm(image.manifestDescriptor(), image.manifestBytes(), image.manifest());
        }
        Manifest m = image.manifest();
        List<Descriptor> layers = new ArrayList<>();
        for (Descriptor d : m.layers()) layers.add(retype(d, ociLayerType(d.mediaType())));
        Manifest oci = new Manifest(MediaTypes.OCI_MANIFEST, null, retype(m.config(), MediaTypes.OCI_CONFIG), layers, m.annotations());
        byte[] bytes = OciJson.encode(oci);
        return new OciForm(Descriptor.of(MediaTypes.OCI_MANIFEST, bytes), bytes, oci);
    }

    /** The descriptor for {@code index.json}: the platform from the config, the tag as the ref name. */
    Descriptor indexEntry(ResolvedImage image, String tag) {
        Platform p = image.config().platform();
        Descriptor d = descriptor.withPlatform(new Platform(p.architecture(), p.os(), p.osVersion(), p.osFeatures(), p.variant()));
        return tag == null ? d : d.withAnnotations(java.util.Map.of(dev.kiln.oci.OciLayout.REF_NAME, tag));
    }

    private static Descriptor retype(Descriptor d, String mediaType) {
        return new Descriptor(mediaType, d.digest(), d.size(), d.annotations(), d.platform(), d.artifactType());
    }

    private static String ociLayerType(String docker) {
        return switch (docker) {
            case MediaTypes.DOCKER_LAYER -> MediaTypes.OCI_LAYER;
            case MediaTypes.DOCKER_LAYER_GZIP -> MediaTypes.OCI_LAYER_GZIP;
            case "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip" -> "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip";
            default -> docker;
        };
    }
}
