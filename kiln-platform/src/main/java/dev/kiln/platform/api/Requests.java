package dev.kiln.platform.api;

import dev.kiln.platform.instance.Instance;
import dev.kiln.platform.instance.InstanceRom;
import dev.kiln.platform.instance.InstanceSpec;
import dev.kiln.platform.instance.RestartPolicy;
import io.helidon.webserver.http.ServerRequest;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.TreeSet;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;

/** Reading requests: the body (bounded), filters from the query or the body, and typed fields that name themselves when wrong. */
final class Requests {
    /** The largest body the API reads (the Unikraft Cloud limit). */
    static final int MAX_BODY = 8 << 20;

    private Requests() {}

    /** The JSON body, or empty when there is none; 413 past {@link #MAX_BODY}, 400 naming the offset when it does not parse. */
    static Optional<JsonNode> body(ServerRequest req) throws IOException {
        long declared = req.headers().contentLength().orElse(-1);
        if (declared > MAX_BODY) throw new ApiException(413, null, "request body of " + declared + " bytes is over the 8 MB limit");
        if (!req.content().hasEntity()) return Optional.empty();
        byte[] bytes;
        try (InputStream in = req.content().inputStream()) {
            bytes = in.readNBytes(MAX_BODY + 1);
        }
        if (bytes.length > MAX_BODY) throw new ApiException(413, null, "request body is over the 8 MB limit");
        if (bytes.length == 0 || new String(bytes, 0, Math.min(bytes.length, 64)).isBlank()) return Optional.empty();
        try {
            return Optional.of(Envelope.JSON.readTree(bytes));
        } catch (JacksonException e) {
            throw ApiException.badRequest(null, "request body is not valid JSON: " + e.getOriginalMessage()
                    + (e.getLocation() != null ? " (line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr() + ")" : ""));
        }
    }

    /** One filter item: a uuid or a name, plus the item's own options. */
    record Target(String uuid, String name, JsonNode options) {}

    /**
     * The instances a bulk or filtered request names: from a JSON body (an array of
     * {@code {uuid|name, ...}}, or one such object) or from repeated query parameters
     * ({@code uuid=…&name=…}); {@code perItem} lists query parameters that pair with the
     * targets in order ({@code state}, {@code timeout_s}, {@code offset}...).
     */
    static List<Target> targets(ServerRequest req, Optional<JsonNode> body, String... perItem) {
        List<Target> out = new ArrayList<>();
        if (body.isPresent()) {
            JsonNode b = body.get();
            if (b.isArray()) {
                for (int i = 0; i < b.size(); i++) out.add(target(b.get(i), "[" + i + "]"));
            } else if (b.isObject()) {
                out.add(target(b, ""));
            } else {
                throw ApiException.badRequest(null, "request body must be an object or an array of objects");
            }
            return out;
        }
        List<String> uuids = req.query().all("uuid", List::of), names = req.query().all("name", List::of);
        int i = 0;
        for (String u : uuids) out.add(new Target(u, null, options(req, perItem, i++)));
        for (String n : names) out.add(new Target(null, n, options(req, perItem, i++)));
        return out;
    }

    private static JsonNode options(ServerRequest req, String[] perItem, int index) {
        var o = Envelope.JSON.createObjectNode();
        for (String p : perItem) {
            List<String> vs = req.query().all(p, List::of);
            if (vs.isEmpty()) continue;
            o.put(p, vs.get(Math.min(index, vs.size() - 1)));
        }
        return o;
    }

    private static Target target(JsonNode n, String where) {
        if (!n.isObject()) throw ApiException.badRequest(where, "item" + where + " must be an object with a uuid or a name");
        String uuid = optString(n, "uuid", where), name = optString(n, "name", where);
        if ((uuid == null) == (name == null)) throw ApiException.badRequest(where + ".uuid", "item" + where + ": give either a uuid or a name");
        return new Target(uuid, name, n);
    }

    /** Fields {@code POST /v1/instances} understands; others are refused by name rather than ignored. */
    private static final Set<String> CREATE_FIELDS = Set.of("name", "image", "memory_mb", "vcpus", "args", "env", "restart_policy",
            "features", "autostart", "timeout_s", "wait_timeout_ms", "service_group", "roms", "volumes");
    /** Fields of the Unikraft Cloud API that kiln does not implement: named in the refusal. */
    private static final Set<String> UNSUPPORTED = Set.of("replicas", "scale_to_zero", "template", "plugins", "schedules", "autokill",
            "dependencies", "branch_from", "checkpoint", "gateway", "nameserver", "network_interfaces", "gpus", "sched_priority",
            "hostname", "type", "tags", "annotations");

    static InstanceSpec instanceSpec(JsonNode n, String where) {
        if (!n.isObject()) throw ApiException.badRequest(where, "an instance must be a JSON object");
        for (Map.Entry<String, JsonNode> e : n.properties()) {
            if (CREATE_FIELDS.contains(e.getKey())) continue;
            if (UNSUPPORTED.contains(e.getKey())) {
                throw ApiException.badRequest(where + e.getKey(), e.getKey() + ": not supported by kiln serve (yet)");
            }
            throw ApiException.badRequest(where + e.getKey(), "unknown field '" + e.getKey() + "'");
        }
        String image = optString(n, "image", where);
        if (image == null) throw ApiException.badRequest(where + "image", "image: required");
        List<String> args = strings(n, "args", where);
        SortedMap<String, String> env = new TreeMap<>();
        JsonNode envNode = n.get("env");
        if (envNode != null && !envNode.isNull()) {
            if (!envNode.isObject()) throw ApiException.badRequest(where + "env", "env must be an object of strings");
            for (Map.Entry<String, JsonNode> e : envNode.properties()) {
                if (!e.getValue().isString()) throw ApiException.badRequest(where + "env." + e.getKey(), "env." + e.getKey() + " must be a string");
                env.put(e.getKey(), e.getValue().asString());
            }
        }
        String rp = optString(n, "restart_policy", where);
        RestartPolicy policy;
        try {
            policy = rp == null ? RestartPolicy.NEVER : RestartPolicy.parse(rp, "restart_policy");
        } catch (RuntimeException e) {
            throw ApiException.badRequest(where + "restart_policy", e.getMessage());
        }
        Set<String> features = new TreeSet<>(strings(n, "features", where));
        Boolean autostart = optBool(n, "autostart", where);
        Double timeout = optNumber(n, "timeout_s", where);
        Double waitMs = optNumber(n, "wait_timeout_ms", where);
        if (timeout == null && waitMs != null) timeout = waitMs / 1000.0;
        List<Instance.Service> services = new ArrayList<>();
        JsonNode sg = n.get("service_group");
        if (sg != null && !sg.isNull()) {
            if (!sg.isObject()) throw ApiException.badRequest(where + "service_group", "service_group must be an object");
            JsonNode svcs = sg.get("services");
            if (svcs != null && !svcs.isNull()) {
                if (!svcs.isArray()) throw ApiException.badRequest(where + "service_group.services", "services must be an array");
                for (int i = 0; i < svcs.size(); i++) {
                    String w = where + "service_group.services[" + i + "]";
                    JsonNode s = svcs.get(i);
                    Integer port = optInt(s, "port", w);
                    if (port == null || port < 1 || port > 65535) throw ApiException.badRequest(w + ".port", "port must be 1..65535");
                    Integer dest = optInt(s, "destination_port", w);
                    if (dest == null) dest = port;
                    if (dest < 1 || dest > 65535) throw ApiException.badRequest(w + ".destination_port", "destination_port must be 1..65535");
                    String proto = optString(s, "protocol", w);
                    if (proto == null) proto = "tcp";
                    if (!proto.equals("tcp") && !proto.equals("udp")) throw ApiException.badRequest(w + ".protocol", "protocol must be tcp or udp");
                    services.add(new Instance.Service(port, dest, proto));
                }
            }
        }
        return new InstanceSpec(optString(n, "name", where), image, optInt(n, "memory_mb", where), optInt(n, "vcpus", where), args, env,
                policy, features, autostart != null && autostart, timeout, services, roms(n.get("roms"), where + "roms"),
                volumes(n.get("volumes"), where + "volumes"));
    }

    private static final Set<String> ROM_FIELDS = Set.of("name", "image", "files", "at");
    private static final Set<String> FILE_FIELDS = Set.of("path", "encoding", "data");

    /** ROM entries, type-checked ({@code field} is e.g. {@code roms}); the rules are the service's. */
    static List<InstanceSpec.RomSpec> roms(JsonNode a, String field) {
        if (a == null || a.isNull()) return List.of();
        if (!a.isArray()) throw ApiException.badRequest(field, field + " must be an array of ROM entries");
        List<InstanceSpec.RomSpec> out = new ArrayList<>();
        for (int i = 0; i < a.size(); i++) {
            String w = field + "[" + i + "]";
            JsonNode r = a.get(i);
            if (!r.isObject()) throw ApiException.badRequest(w, w + " must be an object {name, image | files, at}");
            onlyFields(r, ROM_FIELDS, w + ".");
            JsonNode img = r.get("image");
            if (img != null && !img.isNull() && !img.isString()) {
                throw ApiException.badRequest(w + ".image", w + ".image must be a string (an image reference)");
            }
            List<InstanceRom.InlineFile> files = null;
            JsonNode fs = r.get("files");
            if (fs != null && !fs.isNull()) {
                if (!fs.isArray()) throw ApiException.badRequest(w + ".files", w + ".files must be an array of {path, encoding, data}");
                files = new ArrayList<>();
                for (int j = 0; j < fs.size(); j++) {
                    String fw = w + ".files[" + j + "]";
                    JsonNode f = fs.get(j);
                    if (!f.isObject()) throw ApiException.badRequest(fw, fw + " must be an object {path, encoding, data}");
                    onlyFields(f, FILE_FIELDS, fw + ".");
                    String path = optString(f, "path", fw + "."), enc = optString(f, "encoding", fw + "."), data = optString(f, "data", fw + ".");
                    if (path == null) throw ApiException.badRequest(fw + ".path", fw + ".path: required");
                    if (data == null) throw ApiException.badRequest(fw + ".data", fw + ".data: required");
                    if (enc == null) enc = "text";
                    if (!enc.equals("text") && !enc.equals("base64")) {
                        throw ApiException.badRequest(fw + ".encoding", fw + ".encoding '" + enc + "': text or base64");
                    }
                    files.add(new InstanceRom.InlineFile(path, enc, data));
                }
            }
            out.add(new InstanceSpec.RomSpec(optString(r, "name", w + "."), optString(r, "at", w + "."),
                    img == null || img.isNull() ? null : img.asString(), files));
        }
        return out;
    }

    private static final Set<String> VOLUME_FIELDS = Set.of("uuid", "name", "size_mb", "at", "readonly", "filesystem");
    private static final Set<String> VOLUME_UNSUPPORTED = Set.of("host_path", "quota_policy", "tags", "uid", "gid", "access_mode", "args",
            "template");

    static List<InstanceSpec.VolumeSpec> volumes(JsonNode a, String field) {
        if (a == null || a.isNull()) return List.of();
        if (!a.isArray()) throw ApiException.badRequest(field, field + " must be an array of volume entries");
        List<InstanceSpec.VolumeSpec> out = new ArrayList<>();
        for (int i = 0; i < a.size(); i++) {
            String w = field + "[" + i + "].";
            JsonNode v = a.get(i);
            if (!v.isObject()) throw ApiException.badRequest(field + "[" + i + "]", field + "[" + i + "] must be an object {name | uuid, at, ...}");
            for (Map.Entry<String, JsonNode> e : v.properties()) {
                if (VOLUME_FIELDS.contains(e.getKey())) continue;
                if (VOLUME_UNSUPPORTED.contains(e.getKey())) {
                    throw ApiException.badRequest(w + e.getKey(), w + e.getKey() + ": not supported by kiln serve in an instance's volumes");
                }
                throw ApiException.badRequest(w + e.getKey(), "unknown field '" + w + e.getKey() + "'");
            }
            String uuid = optString(v, "uuid", w), name = optString(v, "name", w);
            if (uuid == null && name == null) throw ApiException.badRequest(w + "name", w + "name or " + w + "uuid: required");
            Boolean ro = optBool(v, "readonly", w);
            out.add(new InstanceSpec.VolumeSpec(uuid, name, optInt(v, "size_mb", w), optString(v, "filesystem", w), optString(v, "at", w),
                    ro != null && ro));
        }
        return out;
    }

    /** Refuses any field not in {@code known}, by name. */
    static void onlyFields(JsonNode o, Set<String> known, String where) {
        for (Map.Entry<String, JsonNode> e : o.properties()) {
            if (!known.contains(e.getKey())) throw ApiException.badRequest(where + e.getKey(), "unknown field '" + where + e.getKey() + "'");
        }
    }

    static String optString(JsonNode n, String f, String where) {
        JsonNode v = n.get(f);
        if (v == null || v.isNull()) return null;
        if (!v.isString()) throw ApiException.badRequest(where + f, f + " must be a string");
        return v.asString();
    }

    static Integer optInt(JsonNode n, String f, String where) {
        JsonNode v = n.get(f);
        if (v == null || v.isNull()) return null;
        if (v.isString() && v.asString().matches("-?\\d{1,9}")) return Integer.parseInt(v.asString()); // query parameters arrive as text
        if (!v.isIntegralNumber() || !v.canConvertToInt()) throw ApiException.badRequest(where + f, f + " must be an integer");
        return v.intValue();
    }

    static Double optNumber(JsonNode n, String f, String where) {
        JsonNode v = n.get(f);
        if (v == null || v.isNull()) return null;
        if (v.isString()) {
            try {
                return Double.parseDouble(v.asString());
            } catch (NumberFormatException e) {
                throw ApiException.badRequest(where + f, f + " must be a number");
            }
        }
        if (!v.isNumber()) throw ApiException.badRequest(where + f, f + " must be a number");
        return v.doubleValue();
    }

    static Boolean optBool(JsonNode n, String f, String where) {
        JsonNode v = n.get(f);
        if (v == null || v.isNull()) return null;
        if (v.isString() && (v.asString().equals("true") || v.asString().equals("false"))) return Boolean.parseBoolean(v.asString());
        if (!v.isBoolean()) throw ApiException.badRequest(where + f, f + " must be true or false");
        return v.booleanValue();
    }

    static List<String> strings(JsonNode n, String f, String where) {
        JsonNode v = n.get(f);
        if (v == null || v.isNull()) return List.of();
        if (!v.isArray()) throw ApiException.badRequest(where + f, f + " must be an array of strings");
        List<String> out = new ArrayList<>();
        for (int i = 0; i < v.size(); i++) {
            if (!v.get(i).isString()) throw ApiException.badRequest(where + f + "[" + i + "]", f + "[" + i + "] must be a string");
            out.add(v.get(i).asString());
        }
        return out;
    }
}
