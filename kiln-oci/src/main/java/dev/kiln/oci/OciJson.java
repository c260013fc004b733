package dev.kiln.oci;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * Manifests, indexes and configs to and from JSON. Encoding writes fields in one fixed order,
 * without whitespace, and leaves out what is empty, so the same value always gives the same
 * bytes (and the same digest). Decoding reads what registries and other tools write, checks
 * every field it uses, and names the field and the document in its messages; unknown fields
 * are ignored, as the OCI spec asks. A document that was read is never re-encoded by kiln: its
 * bytes are kept and copied as they are, so digests survive.
 */
public final class OciJson {
    private static final JsonMapper MAPPER = JsonMapper.builder().build();
    /** A manifest or index larger than this is refused before it is parsed (registries cap them at 4 MiB). */
    public static final int MAX_DOCUMENT = 4 << 20;

    private OciJson() {}

    // ---- encoding ----

    public static byte[] encode(Manifest m) {
        ObjectNode o = MAPPER.createObjectNode();
        o.put("schemaVersion", 2);
        o.put("mediaType", m.mediaType());
        if (m.artifactType() != null) o.put("artifactType", m.artifactType());
        o.set("config", descriptor(m.config()));
        ArrayNode layers = o.putArray("layers");
        for (Descriptor d : m.layers()) layers.add(descriptor(d));
        if (!m.annotations().isEmpty()) o.set("annotations", map(m.annotations()));
        return bytes(o);
    }

    public static byte[] encode(Index i) {
        ObjectNode o = MAPPER.createObjectNode();
        o.put("schemaVersion", 2);
        o.put("mediaType", i.mediaType());
        if (i.artifactType() != null) o.put("artifactType", i.artifactType());
        ArrayNode ms = o.putArray("manifests");
        for (Descriptor d : i.manifests()) ms.add(descriptor(d));
        if (!i.annotations().isEmpty()) o.set("annotations", map(i.annotations()));
        return bytes(o);
    }

    public static byte[] encode(ImageConfig c) {
        ObjectNode o = MAPPER.createObjectNode();
        if (c.created() != null) o.put("created", c.created());
        o.put("architecture", c.architecture());
        o.put("os", c.os());
        if (c.osVersion() != null) o.put("os.version", c.osVersion());
        if (!c.osFeatures().isEmpty()) o.set("os.features", strings(c.osFeatures()));
        if (c.variant() != null) o.put("variant", c.variant());
        ObjectNode config = o.putObject("config");
        if (c.user() != null) config.put("User", c.user());
        if (!c.env().isEmpty()) config.set("Env", strings(c.env()));
        if (c.entrypoint() != null) config.set("Entrypoint", strings(c.entrypoint()));
        if (c.cmd() != null) config.set("Cmd", strings(c.cmd()));
        if (c.workingDir() != null) config.put("WorkingDir", c.workingDir());
        if (!c.labels().isEmpty()) config.set("Labels", map(c.labels()));
        ObjectNode rootfs = o.putObject("rootfs");
        rootfs.put("type", "layers");
        ArrayNode ids = rootfs.putArray("diff_ids");
        for (Digest d : c.diffIds()) ids.add(d.toString());
        return bytes(o);
    }

    private static ObjectNode descriptor(Descriptor d) {
        ObjectNode o = MAPPER.createObjectNode();
        o.put("mediaType", d.mediaType());
        o.put("digest", d.digest().toString());
        o.put("size", d.size());
        if (d.artifactType() != null) o.put("artifactType", d.artifactType());
        if (!d.annotations().isEmpty()) o.set("annotations", map(d.annotations()));
        if (d.platform() != null) {
            Platform p = d.platform();
            ObjectNode po = o.putObject("platform");
            po.put("architecture", p.architecture());
            po.put("os", p.os());
            if (p.osVersion() != null) po.put("os.version", p.osVersion());
            if (!p.osFeatures().isEmpty()) po.set("os.features", strings(p.osFeatures()));
            if (p.variant() != null) po.put("variant", p.variant());
        }
        return o;
    }

    private static ObjectNode map(Map<String, String> m) {
        ObjectNode o = MAPPER.createObjectNode();
        for (Map.Entry<String, String> e : new TreeMap<>(m).entrySet()) o.put(e.getKey(), e.getValue());
        return o;
    }

    private static ArrayNode strings(List<String> l) {
        ArrayNode a = MAPPER.createArrayNode();
        for (String s : l) a.add(s);
        return a;
    }

    private static byte[] bytes(JsonNode n) {
        return MAPPER.writeValueAsBytes(n);
    }

    // ---- decoding ----

    /** What a manifest-or-index document turned out to be. */
    public sealed interface Document permits ManifestDocument, IndexDocument {}

    public record ManifestDocument(Manifest manifest) implements Document {}

    public record IndexDocument(Index index) implements Document {}

    /**
     * Decodes a manifest or an index; {@code mediaType} is what the registry or the parent
     * descriptor said it is (null when unknown: then the document's own {@code mediaType}, or its
     * shape, decides). {@code what} names the document in messages (a digest, a reference).
     */
    public static Document decodeManifestOrIndex(byte[] json, String mediaType, String what) {
        JsonNode root = tree(json, what);
        String own = optString(root, "mediaType", what);
        String type = own != null ? own : mediaType;
        if (type == null) type = root.has("manifests") ? MediaTypes.OCI_INDEX : root.has("config") ? MediaTypes.OCI_MANIFEST : null;
        if (mediaType != null && own != null && !mediaType.equals(own)) {
            throw new OciException(what + ": mediaType is " + own + " but it was served as " + mediaType);
        }
        if (type == null) throw new OciException(what + ": neither a manifest nor an index (no mediaType, config or manifests)");
        int schema = root.path("schemaVersion").asInt(-1);
        if (schema != 2) throw new OciException(what + ": schemaVersion must be 2, not " + root.path("schemaVersion"));
        if (MediaTypes.isIndex(type)) {
            List<Descriptor> ms = new ArrayList<>();
            JsonNode arr = root.get("manifests");
            if (arr == null || !arr.isArray()) throw new OciException(what + ": manifests must be an array");
            for (int i = 0; i < arr.size(); i++) ms.add(descriptor(arr.get(i), what + " manifests[" + i + "]"));
            return new IndexDocument(new Index(type, optString(root, "artifactType", what), ms, annotations(root, what)));
        }
        if (MediaTypes.isManifest(type)) {
            JsonNode cfg = root.get("config");
            if (cfg == null) throw new OciException(what + ": config is missing");
            Descriptor config = descriptor(cfg, what + " config");
            JsonNode arr = root.get("layers");
            if (arr == null || !arr.isArray()) throw new OciException(what + ": layers must be an array");
            List<Descriptor> layers = new ArrayList<>();
            for (int i = 0; i < arr.size(); i++) layers.add(descriptor(arr.get(i), what + " layers[" + i + "]"));
            return new ManifestDocument(new Manifest(type, optString(root, "artifactType", what), config, layers, annotations(root, what)));
        }
        throw new OciException(what + ": unknown media type " + type + " (expected an OCI or Docker manifest or index)");
    }

    public static ImageConfig decodeConfig(byte[] json, String what) {
        JsonNode root = tree(json, what);
        String arch = optString(root, "architecture", what);
        String os = optString(root, "os", what);
        if (arch == null) throw new OciException(what + ": architecture is missing");
        if (os == null) throw new OciException(what + ": os is missing");
        JsonNode c = root.path("config");
        List<Digest> diffIds = new ArrayList<>();
        JsonNode ids = root.path("rootfs").path("diff_ids");
        if (ids.isArray()) {
            for (int i = 0; i < ids.size(); i++) diffIds.add(Digest.parse(ids.get(i).asString(), what + " rootfs.diff_ids[" + i + "]"));
        }
        SortedMap<String, String> labels = new TreeMap<>();
        JsonNode l = c.path("Labels");
        if (l.isObject()) for (Map.Entry<String, JsonNode> e : l.properties()) labels.put(e.getKey(), e.getValue().asString());
        return new ImageConfig(arch, os, optString(root, "os.version", what), optStrings(root, "os.features", what),
                optString(root, "variant", what), optString(root, "created", what), optStrings(c, "Entrypoint", what + " config"),
                optStrings(c, "Cmd", what + " config"), optStrings(c, "Env", what + " config"), optString(c, "WorkingDir", what + " config"),
                optString(c, "User", what + " config"), labels, diffIds);
    }

    private static JsonNode tree(byte[] json, String what) {
        if (json.length > MAX_DOCUMENT) throw new OciException(what + ": " + json.length + " bytes, more than the " + MAX_DOCUMENT + " a manifest may have");
        JsonNode root;
        try {
            root = MAPPER.readTree(json);
        } catch (JacksonException e) {
            throw new OciException(what + ": not valid JSON: " + e.getOriginalMessage(), e);
        }
        if (root == null || !root.isObject()) throw new OciException(what + ": not a JSON object");
        return root;
    }

    private static Descriptor descriptor(JsonNode n, String what) {
        if (n == null || !n.isObject()) throw new OciException(what + ": not an object");
        String mt = optString(n, "mediaType", what);
        if (mt == null) throw new OciException(what + ": mediaType is missing");
        JsonNode dg = n.get("digest");
        if (dg == null || !dg.isString()) throw new OciException(what + ": digest is missing");
        Digest digest = Digest.parse(dg.asString(), what + " digest");
        JsonNode size = n.get("size");
        if (size == null || !size.isIntegralNumber() || !size.canConvertToLong() || size.longValue() < 0) {
            throw new OciException(what + ": size must be a non-negative integer, not " + size);
        }
        Platform p = null;
        JsonNode pn = n.get("platform");
        if (pn != null && pn.isObject()) {
            String arch = optString(pn, "architecture", what + " platform"), os = optString(pn, "os", what + " platform");
            if (arch == null || os == null) throw new OciException(what + ": platform needs architecture and os");
            p = new Platform(arch, os, optString(pn, "os.version", what + " platform"), optStrings(pn, "os.features", what + " platform"),
                    optString(pn, "variant", what + " platform"));
        }
        return new Descriptor(mt, digest, size.longValue(), annotations(n, what), p, optString(n, "artifactType", what));
    }

    private static SortedMap<String, String> annotations(JsonNode n, String what) {
        SortedMap<String, String> out = new TreeMap<>();
        JsonNode a = n.get("annotations");
        if (a == null || a.isNull()) return out;
        if (!a.isObject()) throw new OciException(what + ": annotations must be an object");
        for (Map.Entry<String, JsonNode> e : a.properties()) {
            if (!e.getValue().isString()) throw new OciException(what + ": annotation " + e.getKey() + " must be a string");
            out.put(e.getKey(), e.getValue().asString());
        }
        return out;
    }

    private static String optString(JsonNode n, String field, String what) {
        JsonNode v = n.get(field);
        if (v == null || v.isNull()) return null;
        if (!v.isString()) throw new OciException(what + ": " + field + " must be a string");
        return v.asString();
    }

    private static List<String> optStrings(JsonNode n, String field, String what) {
        JsonNode v = n.get(field);
        if (v == null || v.isNull()) return null;
        if (!v.isArray()) throw new OciException(what + ": " + field + " must be an array of strings");
        List<String> out = new ArrayList<>();
        for (int i = 0; i < v.size(); i++) {
            if (!v.get(i).isString()) throw new OciException(what + ": " + field + "[" + i + "] must be a string");
            out.add(v.get(i).asString());
        }
        return out;
    }
}
