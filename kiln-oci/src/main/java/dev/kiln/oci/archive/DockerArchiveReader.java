package dev.kiln.oci.archive;

import dev.kiln.fs.Compression;
import dev.kiln.fs.Content;
import dev.kiln.oci.Descriptor;
import dev.kiln.oci.Digest;
import dev.kiln.oci.ImageConfig;
import dev.kiln.oci.Manifest;
import dev.kiln.oci.MediaTypes;
import dev.kiln.oci.OciException;
import dev.kiln.oci.OciJson;
import dev.kiln.oci.ResolvedImage;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Reads a {@code docker save} archive: {@code manifest.json} lists images, each a config file
 * and layer tars. Docker archives are content-addressed by the config's name (its sha256, as
 * {@code HEX.json} or {@code blobs/sha256/HEX}) and by the config's {@code rootfs.diff_ids},
 * which give each uncompressed layer's digest; both are checked. The image is presented with a
 * Docker schema 2 manifest built from what the archive holds.
 */
final class DockerArchiveReader {
    private static final JsonMapper MAPPER = JsonMapper.builder().build();
    private static final Pattern HEX_NAME = Pattern.compile("(?:^|/)([0-9a-f]{64})(?:\\.json)?$");

    private DockerArchiveReader() {}

    /** The image {@code selector} picks (a RepoTag, {@code @N}, or null for the only one). */
    static ResolvedImage read(ArchiveIndex archive, String selector) throws IOException {
        String name = archive.name();
        byte[] json = ArchiveIndex.readAll(archive.require("manifest.json", "a Docker archive"), OciJson.MAX_DOCUMENT, name + ": manifest.json");
        JsonNode root;
        try {
            root = MAPPER.readTree(json);
        } catch (JacksonException e) {
            throw new OciException(name + ": manifest.json is not valid JSON: " + e.getOriginalMessage(), e);
        }
        if (root == null || !root.isArray() || root.isEmpty()) throw new OciException(name + ": manifest.json must be a non-empty array");
        int i = select(root, selector, name);
        String at = "manifest.json[" + i + "]";
        JsonNode item = root.get(i);
        String configPath = string(item.get("Config"), name + ": " + at + ".Config");
        byte[] config = ArchiveIndex.readAll(archive.require(configPath, at + ".Config"), OciJson.MAX_DOCUMENT, name + ": " + configPath);
        Digest configDigest = Digest.of(config);
        Matcher m = HEX_NAME.matcher(configPath);
        if (m.find() && !m.group(1).equals(configDigest.encoded())) {
            throw new OciException(name + ": " + at + ".Config " + configPath + " does not match its name: its content is " + configDigest);
        }
        ImageConfig c = OciJson.decodeConfig(config, name + ": " + configPath);
        JsonNode layers = item.get("Layers");
        if (layers == null || !layers.isArray()) throw new OciException(name + ": " + at + ".Layers must be an array");
        if (layers.size() != c.diffIds().size()) {
            throw new OciException(name + ": " + at + " has " + layers.size() + " layers, its config's rootfs.diff_ids " + c.diffIds().size());
        }
        Map<Digest, Content> members = new HashMap<>();
        members.put(configDigest, archive.require(configPath, at + ".Config"));
        List<Descriptor> descriptors = new ArrayList<>();
        for (int j = 0; j < layers.size(); j++) {
            String what = at + ".Layers[" + j + "]";
            String path = string(layers.get(j), name + ": " + what);
            Content layer = archive.require(path, what);
            Compression compression = sniff(layer);
            Descriptor d;
            if (compression == Compression.NONE) {
                // The uncompressed tar's digest is the diff_id: reading it checks it.
                d = Descriptor.of(MediaTypes.DOCKER_LAYER, c.diffIds().get(j), layer.size());
            } else {
                // docker load takes compressed layers too; their digest is only known by hashing them.
                String type = compression == Compression.GZIP ? MediaTypes.DOCKER_LAYER_GZIP
                        : compression == Compression.ZSTD ? MediaTypes.OCI_LAYER_ZSTD : null;
                if (type == null) throw new OciException(name + ": " + what + " " + path + " is " + compression + "-compressed, which no image layer is");
                d = Descriptor.of(type, hash(layer), layer.size());
            }
            members.put(d.digest(), layer);
            descriptors.add(d);
        }
        Manifest manifest = new Manifest(MediaTypes.DOCKER_MANIFEST, null,
                Descriptor.of(MediaTypes.DOCKER_CONFIG, configDigest, config.length), descriptors, null);
        byte[] manifestBytes = OciJson.encode(manifest);
        return new ResolvedImage(name, Descriptor.of(MediaTypes.DOCKER_MANIFEST, manifestBytes), manifestBytes, manifest,
                config, c, ArchiveBlobs.named(archive, members));
    }

    private static int select(JsonNode root, String selector, String name) {
        if (selector == null) {
            if (root.size() == 1) return 0;
            throw new OciException(name + ": the archive holds " + root.size() + " images (" + String.join(", ", allTags(root))
                    + "); name one with docker-archive:FILE:NAME:TAG or :@N");
        }
        if (selector.startsWith("@")) {
            int n;
            try {
                n = Integer.parseInt(selector.substring(1));
            } catch (NumberFormatException e) {
                throw new OciException(name + ": \"" + selector + "\" is not an image number (@0, @1, …)");
            }
            if (n < 0 || n >= root.size()) throw new OciException(name + ": no image " + selector + "; the archive holds " + root.size());
            return n;
        }
        String wanted = normalize(selector);
        for (int i = 0; i < root.size(); i++) {
            for (String t : tags(root.get(i))) if (normalize(t).equals(wanted)) return i;
        }
        throw new OciException(name + ": no image tagged " + selector + " (the archive has " + String.join(", ", allTags(root)) + ")");
    }

    /**
     * A name as Docker resolves it, so {@code app}, {@code app:latest} and
     * {@code docker.io/library/app:latest} (skopeo writes the last, docker save the first) are one.
     */
    static String normalize(String name) {
        String n = name.lastIndexOf(':') > name.lastIndexOf('/') ? name : name + ":latest";
        int slash = n.indexOf('/');
        String first = slash < 0 ? null : n.substring(0, slash);
        if (first != null && (first.contains(".") || first.contains(":") || first.equals("localhost"))) return n;
        return "docker.io/" + (slash < 0 ? "library/" : "") + n;
    }

    private static List<String> allTags(JsonNode root) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < root.size(); i++) {
            List<String> t = tags(root.get(i));
            out.add(t.isEmpty() ? "@" + i + " (untagged)" : String.join(" ", t));
        }
        return out;
    }

    private static List<String> tags(JsonNode item) {
        List<String> out = new ArrayList<>();
        JsonNode t = item.get("RepoTags");
        if (t != null && t.isArray()) for (JsonNode s : t) if (s.isString()) out.add(s.asString());
        return out;
    }

    private static String string(JsonNode n, String what) {
        if (n == null || !n.isString() || n.asString().isEmpty()) throw new OciException(what + " must be a file name");
        return n.asString();
    }

    private static Compression sniff(Content c) throws IOException {
        try (InputStream in = c.open()) {
            byte[] head = in.readNBytes(6);
            return Compression.detect(head, head.length);
        }
    }

    private static Digest hash(Content c) throws IOException {
        MessageDigest h = Digest.sha256();
        try (InputStream in = c.open(); OutputStream out = new DigestOutputStream(OutputStream.nullOutputStream(), h)) {
            in.transferTo(out);
        }
        return new Digest("sha256", HexFormat.of().formatHex(h.digest()));
    }
}
