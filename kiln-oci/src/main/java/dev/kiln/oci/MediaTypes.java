package dev.kiln.oci;

import java.util.Set;

/** The media types kiln reads and writes. */
public final class MediaTypes {
    private MediaTypes() {}

    public static final String OCI_INDEX = "application/vnd.oci.image.index.v1+json";
    public static final String OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
    public static final String OCI_CONFIG = "application/vnd.oci.image.config.v1+json";
    public static final String OCI_LAYER = "application/vnd.oci.image.layer.v1.tar";
    public static final String OCI_LAYER_GZIP = "application/vnd.oci.image.layer.v1.tar+gzip";
    public static final String OCI_LAYER_ZSTD = "application/vnd.oci.image.layer.v1.tar+zstd";
    public static final String OCI_EMPTY = "application/vnd.oci.empty.v1+json";

    public static final String DOCKER_MANIFEST_LIST = "application/vnd.docker.distribution.manifest.list.v2+json";
    public static final String DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json";
    public static final String DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json";
    public static final String DOCKER_LAYER = "application/vnd.docker.image.rootfs.diff.tar";
    public static final String DOCKER_LAYER_GZIP = "application/vnd.docker.image.rootfs.diff.tar.gzip";

    /** A ROM: a raw filesystem image (EROFS, cpio) or a plain file, not a tar (kraftkit). */
    public static final String UNIKRAFT_ROM = "application/vnd.unikraft.rom.v1";
    public static final String UNIKRAFT_KERNEL = "application/vnd.unikraft.kernel.v1";
    public static final String UNIKRAFT_INITRD = "application/vnd.unikraft.initrd.v1";

    private static final Set<String> INDEXES = Set.of(OCI_INDEX, DOCKER_MANIFEST_LIST);
    private static final Set<String> MANIFESTS = Set.of(OCI_MANIFEST, DOCKER_MANIFEST);
    private static final Set<String> TAR_LAYERS = Set.of(OCI_LAYER, OCI_LAYER_GZIP, OCI_LAYER_ZSTD, DOCKER_LAYER, DOCKER_LAYER_GZIP,
            "application/vnd.oci.image.layer.nondistributable.v1.tar", "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
            "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd", "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip");

    public static boolean isIndex(String mediaType) {
        return INDEXES.contains(mediaType);
    }

    public static boolean isManifest(String mediaType) {
        return MANIFESTS.contains(mediaType);
    }

    /** A filesystem layer (a tar, plain, gzip or zstd), as opposed to a raw blob. */
    public static boolean isTarLayer(String mediaType) {
        return TAR_LAYERS.contains(mediaType);
    }
}
