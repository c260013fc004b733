package dev.kiln.oci.archive;

import dev.kiln.fs.Content;
import dev.kiln.oci.Descriptor;
import dev.kiln.oci.Digest;
import dev.kiln.oci.LayerStreams;
import dev.kiln.oci.MediaTypes;
import dev.kiln.oci.OciException;
import dev.kiln.oci.ResolvedImage;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * Writes an image as {@code docker save} does: {@code manifest.json}, the config as
 * {@code HEX.json} and each layer as an uncompressed tar named by its diff_id,
 * {@code DIFFID.tar}, which {@code docker load} and {@code skopeo copy docker-archive:} read.
 * Compressed layers are decompressed on the way (into the temporary directory, deleted after)
 * and their uncompressed digest must be the config's diff_id. The same image gives the same bytes.
 */
public final class DockerArchiveWriter {
    private static final JsonMapper MAPPER = JsonMapper.builder().build();
    private static final Set<String> PLAIN = Set.of(MediaTypes.OCI_LAYER, MediaTypes.DOCKER_LAYER,
            "application/vnd.oci.image.layer.nondistributable.v1.tar");

    private DockerArchiveWriter() {}

    /**
     * Writes {@code image} to {@code out} (atomically; nothing is left there on failure) with
     * {@code repoTags} (e.g. {@code app:1}; may be empty) in {@code manifest.json}.
     */
    public static void write(ResolvedImage image, List<String> repoTags, Path out, Path temporaryDirectory) throws IOException {
        List<Descriptor> layers = image.manifest().layers();
        List<Digest> diffIds = image.config().diffIds();
        if (layers.size() != diffIds.size()) {
            throw new OciException(image.name() + ": " + layers.size() + " layers but the config's rootfs.diff_ids has " + diffIds.size());
        }
        Digest configDigest = Digest.of(image.configBytes());
        String configName = configDigest.encoded() + ".json";
        ArchiveFiles files = new ArchiveFiles("docker-archive:" + out).add(configName, Content.of(image.configBytes()));
        List<Path> spools = new ArrayList<>();
        try {
            ArrayNode layerNames = MAPPER.createArrayNode();
            for (int i = 0; i < layers.size(); i++) {
                Descriptor d = layers.get(i);
                String what = LayerStreams.describe(image.name(), i, layers.size(), d);
                LayerStreams.checkTarLayer(d, what);
                String member = diffIds.get(i).encoded() + ".tar";
                layerNames.add(member);
                if (PLAIN.contains(d.mediaType()) && d.digest().equals(diffIds.get(i))) {
                    files.add(member, new BlobContent(image.blobs(), d));
                } else if (!files.has(member)) {
                    files.add(member, decompress(image, d, diffIds.get(i), what, temporaryDirectory, spools));
                }
            }
            ObjectNode item = MAPPER.createObjectNode();
            item.put("Config", configName);
            ArrayNode tags = item.putArray("RepoTags");
            for (String t : repoTags) tags.add(t);
            item.set("Layers", layerNames);
            ArrayNode manifest = MAPPER.createArrayNode().add(item);
            files.add("manifest.json", Content.of(MAPPER.writeValueAsBytes(manifest)));
            files.writeTo(out, temporaryDirectory);
        } finally {
            for (Path p : spools) Files.deleteIfExists(p);
        }
    }

    /** The layer's tar in a temporary file, its digest checked against the diff_id. */
    private static Content decompress(ResolvedImage image, Descriptor d, Digest diffId, String what, Path tmpDir,
                                      List<Path> spools) throws IOException {
        Path spool = tmpDir != null ? Files.createTempFile(tmpDir, "kiln-layer-", ".tar") : Files.createTempFile("kiln-layer-", ".tar");
        spools.add(spool);
        MessageDigest h = diffId.newHasher();
        long size;
        try (InputStream in = LayerStreams.openTar(image.blobs(), d, what);
             OutputStream out = new DigestOutputStream(Files.newOutputStream(spool), h)) {
            size = in.transferTo(out);
        }
        String actual = HexFormat.of().formatHex(h.digest());
        if (!actual.equals(diffId.encoded())) {
            throw new OciException(what + ": its uncompressed tar is " + diffId.algorithm() + ":" + actual
                    + ", the config's diff_id says " + diffId);
        }
        return Content.ofFile(spool, size);
    }
}
