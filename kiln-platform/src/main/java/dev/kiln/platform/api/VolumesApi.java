package dev.kiln.platform.api;

import dev.kiln.platform.image.ImageCatalog;
import dev.kiln.platform.instance.Instance;
import dev.kiln.platform.instance.InstanceException;
import dev.kiln.platform.instance.InstanceService;
import dev.kiln.platform.volume.Volume;
import dev.kiln.platform.volume.VolumeService;
import dev.kiln.platform.volume.VolumeState;
import io.helidon.webserver.http.Handler;
import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.BiConsumer;
import java.util.function.Function;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * The {@code /v1/volumes} routes: create, list and get, delete, attach and detach (bulk and by
 * uuid), PATCH, and kiln's own {@code import} and {@code export} (the Unikraft Cloud API has
 * none: its CLI boots a helper instance instead). Same conventions as the instance routes.
 */
final class VolumesApi {
    private final InstanceService instances;
    private final VolumeService volumes;
    private final BiConsumer<ObjectNode, Instance> renderInstance;

    VolumesApi(InstanceService instances, BiConsumer<ObjectNode, Instance> renderInstance) {
        this.instances = instances;
        this.volumes = instances.volumes();
        this.renderInstance = renderInstance;
    }

    void routes(HttpRouting.Builder r, Function<ApiServer.Endpoint, Handler> wrap) {
        r.post("/v1/volumes", wrap.apply(this::create));
        r.get("/v1/volumes", wrap.apply(this::list));
        r.get("/v1/volumes/list", wrap.apply(this::list));
        r.put("/v1/volumes/attach", wrap.apply((q, a, t) -> attach(q, a, t, null)));
        r.put("/v1/volumes/detach", wrap.apply((q, a, t) -> detach(q, a, t, null)));
        r.put("/v1/volumes/{uuid}/attach", wrap.apply((q, a, t) -> attach(q, a, t, uuid(q))));
        r.put("/v1/volumes/{uuid}/detach", wrap.apply((q, a, t) -> detach(q, a, t, uuid(q))));
        r.put("/v1/volumes/{uuid}/import", wrap.apply(this::importInto));
        r.put("/v1/volumes/{uuid}/export", wrap.apply(this::export));
        r.get("/v1/volumes/{uuid}", wrap.apply(this::getOne));
        r.delete("/v1/volumes", wrap.apply((q, a, t) -> delete(q, a, t, null)));
        r.delete("/v1/volumes/{uuid}", wrap.apply((q, a, t) -> delete(q, a, t, uuid(q))));
        r.patch("/v1/volumes", wrap.apply((q, a, t) -> patch(q, a, t, null)));
        r.patch("/v1/volumes/{uuid}", wrap.apply((q, a, t) -> patch(q, a, t, uuid(q))));
    }

    private static String uuid(ServerRequest q) {
        return q.path().pathParameters().get("uuid");
    }

    private static final Set<String> CREATE_FIELDS = Set.of("name", "size_mb", "filesystem", "host_path");
    private static final Set<String> CREATE_UNSUPPORTED = Set.of("template", "quota_policy", "tags", "uid", "gid", "access_mode", "args");

    private void create(ServerRequest req, ServerResponse res, long started) throws IOException {
        JsonNode body = Requests.body(req).orElseThrow(() -> ApiException.badRequest(null, "request body: a volume {name, size_mb} (or an array of them)"));
        List<JsonNode> items = new ArrayList<>();
        if (body.isArray()) body.forEach(items::add);
        else items.add(body);
        if (items.isEmpty()) throw ApiException.badRequest(null, "request body: no volumes given");
        List<VolumeService.Spec> specs = new ArrayList<>();
        for (int i = 0; i < items.size(); i++) {
            String w = body.isArray() ? "[" + i + "]." : "";
            JsonNode n = items.get(i);
            if (!n.isObject()) throw ApiException.badRequest(w, "a volume must be a JSON object");
            for (Map.Entry<String, JsonNode> e : n.properties()) {
                if (CREATE_FIELDS.contains(e.getKey())) continue;
                if (CREATE_UNSUPPORTED.contains(e.getKey())) throw ApiException.badRequest(w + e.getKey(), e.getKey() + ": not supported by kiln serve");
                throw ApiException.badRequest(w + e.getKey(), "unknown field '" + e.getKey() + "'");
            }
            specs.add(new VolumeService.Spec(Requests.optString(n, "name", w), Requests.optInt(n, "size_mb", w),
                    Requests.optString(n, "filesystem", w), Requests.optString(n, "host_path", w)));
        }
        Envelope env = new Envelope("volumes", started);
        for (VolumeService.Spec s : specs) {
            try {
                Volume v = volumes.create(s);
                ObjectNode o = env.ok();
                o.put("uuid", v.uuid().toString());
                o.put("name", v.name());
                o.put("state", volumes.seen(v).wire());
            } catch (InstanceException ex) {
                if (!body.isArray()) throw ex;
                ObjectNode o = env.error(ex.code(), ex.getMessage());
                if (s.name() != null) o.put("name", s.name());
            }
        }
        res.send(env.render());
    }

    private void list(ServerRequest req, ServerResponse res, long started) throws IOException {
        List<Requests.Target> targets = Requests.targets(req, Requests.body(req));
        Envelope env = new Envelope("volumes", started);
        if (targets.isEmpty()) {
            int count = req.query().first("count").asOptional().map(Integer::parseInt).orElse(0);
            long after = 0;
            Optional<String> from = req.query().first("from").asOptional();
            if (from.isPresent()) after = volumes.find(from.get(), null).createdSeq() - 1;
            for (Volume v : volumes.list(after, count)) render(env.ok(), v);
        } else {
            for (Requests.Target t : targets) {
                try {
                    Volume v = volumes.find(t.uuid(), t.name());
                    render(env.ok(), v);
                } catch (InstanceException ex) {
                    if (ex.status() == 400) throw ex;
                    ApiServer.notFound(env, ex, t);
                }
            }
        }
        res.send(env.render());
    }

    private void getOne(ServerRequest req, ServerResponse res, long started) {
        Envelope env = new Envelope("volumes", started);
        try {
            Volume v = volumes.find(uuid(req), null);
            render(env.ok(), v);
        } catch (InstanceException ex) {
            if (ex.status() == 400) throw ex;
            ApiServer.notFound(env, ex, new Requests.Target(uuid(req), null, null));
        }
        res.send(env.render());
    }

    /** A volume as the API shows it. */
    private void render(ObjectNode o, Volume v) {
        o.put("uuid", v.uuid().toString());
        o.put("name", v.name());
        o.put("created_at", v.createdAt().toString());
        o.put("state", volumes.seen(v).wire());
        o.put("size_mb", v.sizeMb());
        o.put("persistent", v.persistent());
        o.put("filesystem", v.filesystem());
        o.put("quota_policy", "static");
        if (v.hostPath() != null) o.put("host_path", v.hostPath());
        Optional<Instance> i = volumes.instanceOf(v);
        ArrayNode att = o.putArray("attached_to");
        ArrayNode mounted = o.putArray("mounted_by");
        if (i.isPresent()) {
            att.addObject().put("uuid", i.get().uuid().toString()).put("name", i.get().name());
            if (i.get().state().live()) {
                mounted.addObject().put("uuid", i.get().uuid().toString()).put("name", i.get().name()).put("readonly", v.readonly());
            }
            o.put("at", v.at());
            o.put("readonly", v.readonly());
            if (v.detachPending()) o.put("detach_pending", true);
        }
    }

    /** A NameOrUUID: {@code {uuid}} or {@code {name}}, or a string that is either. */
    private Instance instance(JsonNode n, String field) {
        if (n == null || n.isNull()) throw ApiException.badRequest(field, field + ": required (an instance {uuid} or {name})");
        if (n.isString()) {
            String s = n.asString();
            boolean isUuid = s.matches("[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}");
            return find(isUuid ? s : null, isUuid ? null : s, field);
        }
        if (!n.isObject()) throw ApiException.badRequest(field, field + " must be {uuid} or {name}");
        return find(Requests.optString(n, "uuid", field + "."), Requests.optString(n, "name", field + "."), field);
    }

    private Instance find(String uuid, String name, String field) {
        try {
            return instances.find(uuid, name);
        } catch (InstanceException e) {
            // The volume exists; an unknown instance is a fault of this field, not a missing item.
            throw new InstanceException(e.status() == 404 ? 400 : e.status(), field, field + ": " + e.getMessage());
        }
    }

    private List<Requests.Target> targets(ServerRequest req, String uuid, String what) throws IOException {
        Optional<JsonNode> body = Requests.body(req);
        if (uuid != null) return List.of(new Requests.Target(uuid, null, body.orElse(Envelope.JSON.createObjectNode())));
        List<Requests.Target> t = Requests.targets(req, body);
        if (t.isEmpty()) throw ApiException.badRequest(null, "name the volumes to " + what + " (a body [{uuid|name, ...}])");
        return t;
    }

    /** One volume operation of a bulk or by-uuid request: fills the item it is given. */
    @FunctionalInterface
    private interface ItemOp {
        void apply(Volume v, JsonNode options, ObjectNode item) throws IOException;
    }

    /**
     * Runs {@code op} on each volume the request names, one item each: an unknown volume or a
     * refused change is that item's error, and a 400 fails the request when it names one volume.
     */
    private void each(ServerRequest req, ServerResponse res, long started, String uuid, String what, ItemOp op) throws IOException {
        List<Requests.Target> targets = targets(req, uuid, what);
        Envelope env = new Envelope("volumes", started);
        for (Requests.Target t : targets) {
            try {
                Volume v = volumes.find(t.uuid(), t.name());
                ObjectNode item = Envelope.JSON.createObjectNode();
                op.apply(v, t.options() == null ? Envelope.JSON.createObjectNode() : t.options(), item);
                env.ok().setAll(item);
            } catch (InstanceException ex) {
                if (ex.status() == 400 && targets.size() == 1) throw ex;
                ApiServer.notFound(env, ex, t);
            }
        }
        res.send(env.render());
    }

    private static void named(ObjectNode item, Volume v) {
        item.put("uuid", v.uuid().toString());
        item.put("name", v.name());
    }

    private void attach(ServerRequest req, ServerResponse res, long started, String uuid) throws IOException {
        each(req, res, started, uuid, "attach", (v, o, item) -> {
            Instance i = instance(o.get("attach_to"), "attach_to");
            Boolean ro = Requests.optBool(o, "readonly", "");
            String guest = instances.images().resolve(i.image()).guest();
            named(item, volumes.attach(v, i, Requests.optString(o, "at", ""), ro != null && ro, guest));
        });
    }

    private void detach(ServerRequest req, ServerResponse res, long started, String uuid) throws IOException {
        each(req, res, started, uuid, "detach", (v, o, item) -> {
            JsonNode from = o.get("from");
            Volume after = volumes.detach(v, from == null || from.isNull() ? null : instance(from, "from"));
            named(item, after);
            if (after.detachPending()) item.put("message", "detach deferred until instance stops");
        });
    }

    private void delete(ServerRequest req, ServerResponse res, long started, String uuid) throws IOException {
        each(req, res, started, uuid, "delete", (v, o, item) -> {
            volumes.delete(v);
            named(item, v);
        });
    }

    /** {@code [{uuid|name, prop, op, value}]} or, by uuid, {@code {prop, op, value}}: size_mb grows a volume. */
    private void patch(ServerRequest req, ServerResponse res, long started, String uuid) throws IOException {
        each(req, res, started, uuid, "change", (v, o, item) -> {
            String prop = Requests.optString(o, "prop", ""), op = Requests.optString(o, "op", "");
            if (prop == null) throw ApiException.badRequest("prop", "prop: required");
            if (op == null) throw ApiException.badRequest("op", "op: required (set)");
            Object value = Envelope.JSON.treeToValue(o.get("value") == null ? Envelope.JSON.nullNode() : o.get("value"), Object.class);
            Volume after = volumes.patch(v, prop, op, value);
            named(item, after);
            item.put("size_mb", after.sizeMb());
        });
    }

    /** kiln's extension: fills a volume from a host directory or image file ({@code {"source": PATH}}). */
    private void importInto(ServerRequest req, ServerResponse res, long started) throws IOException {
        JsonNode body = Requests.body(req).orElseThrow(() -> ApiException.badRequest("source", "request body: {\"source\": \"/host/dir-or-image\"}"));
        String source = Requests.optString(body, "source", "");
        if (source == null || !Path.of(source).isAbsolute()) throw ApiException.badRequest("source", "source: an absolute path on the host");
        Envelope env = new Envelope("volumes", started);
        Volume v = volumes.find(uuid(req), null);
        Volume after;
        try {
            after = volumes.importFrom(v, Path.of(source));
        } catch (dev.kiln.fs.KilnException e) {
            if (e instanceof InstanceException ie) throw ie;
            throw new InstanceException(400, "source", "importing " + source + " into volume '" + v.name() + "': " + e.getMessage());
        }
        render(env.ok(), after);
        res.send(env.render());
    }

    /** kiln's extension: writes a volume's contents as an image ({@code {"output": PATH}}; the format from its name). */
    private void export(ServerRequest req, ServerResponse res, long started) throws IOException {
        JsonNode body = Requests.body(req).orElseThrow(() -> ApiException.badRequest("output", "request body: {\"output\": \"/host/out.tar\"}"));
        String out = Requests.optString(body, "output", "");
        if (out == null || !Path.of(out).isAbsolute()) throw ApiException.badRequest("output", "output: an absolute path on the host");
        Envelope env = new Envelope("volumes", started);
        Volume v = volumes.find(uuid(req), null);
        try {
            volumes.exportTo(v, Path.of(out));
        } catch (dev.kiln.fs.KilnException e) {
            if (e instanceof InstanceException ie) throw ie;
            throw new InstanceException(400, "output", "exporting volume '" + v.name() + "' to " + out + ": " + e.getMessage());
        }
        render(env.ok(), volumes.find(v.uuid().toString(), null));
        res.send(env.render());
    }
}
