package dev.kiln.platform.api;

import dev.kiln.platform.image.ImageCatalog;
import dev.kiln.platform.instance.Instance;
import dev.kiln.platform.instance.InstanceException;
import dev.kiln.platform.instance.InstanceService;
import dev.kiln.platform.instance.InstanceSpec;
import dev.kiln.platform.instance.InstanceRuntime;
import dev.kiln.platform.instance.InstanceState;
import dev.kiln.platform.instance.InstanceRom;
import dev.kiln.platform.volume.Volume;
import io.helidon.http.HeaderNames;
import io.helidon.http.Status;
import io.helidon.webserver.WebServer;
import io.helidon.webserver.http.Handler;
import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * The HTTP side of kiln serve: the Unikraft Cloud API v1 routes, the bearer token, the envelope
 * and the API's error conventions (an unknown instance is an item error in an HTTP 200; a
 * malformed request a 400 naming the field; a missing or wrong token 401; a body over 8 MB 413).
 * Thin over {@link InstanceService}: parse, call, render.
 */
public final class ApiServer implements AutoCloseable {
    private final InstanceService instances;
    private final InstanceRuntime runtime;
    private final byte[] tokenHash;
    private final WebServer server;

    private ApiServer(InstanceService instances, InstanceRuntime runtime, byte[] tokenHash, String host, int port) {
        this.instances = instances;
        this.runtime = runtime;
        this.tokenHash = tokenHash;
        HttpRouting.Builder r = HttpRouting.builder();
        r.post("/v1/instances", wrap(this::create));
        r.get("/v1/instances", wrap(this::list));
        for (String op : List.of("start", "stop", "suspend")) {
            r.put("/v1/instances/" + op, wrap((q, a, t) -> lifecycle(q, a, t, null, op)));
            r.put("/v1/instances/{uuid}/" + op, wrap((q, a, t) -> lifecycle(q, a, t, q.path().pathParameters().get("uuid"), op)));
        }
        r.get("/v1/instances/wait", wrap((q, a, t) -> await(q, a, t, null)));
        r.get("/v1/instances/log", wrap((q, a, t) -> log(q, a, t, null)));
        r.get("/v1/instances/{uuid}/wait", wrap((q, a, t) -> await(q, a, t, q.path().pathParameters().get("uuid"))));
        r.get("/v1/instances/{uuid}/log", wrap((q, a, t) -> log(q, a, t, q.path().pathParameters().get("uuid"))));
        r.get("/v1/instances/{uuid}", wrap(this::getOne));
        r.delete("/v1/instances", wrap(this::delete));
        r.delete("/v1/instances/{uuid}", wrap(this::deleteOne));
        r.patch("/v1/instances", wrap(this::patch));
        r.patch("/v1/instances/{uuid}", wrap(this::patchOne));
        new VolumesApi(instances, this::render).routes(r, this::wrap);
        r.get("/v1/images", wrap(this::images));
        r.get("/v1/images/list", wrap(this::images));
        r.get("/v1/images/digest/{digest}", wrap(this::images));
        r.get("/v1/images/tag/{tag}", wrap(this::images));
        r.any(wrap((req, res, started) -> {
            throw new ApiException(404, null, "no such endpoint: " + req.prologue().method().text() + " " + req.path().path());
        }));
        this.server = WebServer.builder().host(host).port(port)
                // Larger than the API's limit, so that kiln answers an oversized body itself, with its envelope.
                .maxPayloadSize(Requests.MAX_BODY * 2L)
                .routing(r).build().start();
    }

    /** Starts serving on {@code host:port} (0: any free port); {@code token} is what clients send as Bearer. */
    public static ApiServer start(InstanceService instances, InstanceRuntime runtime, String token, String host, int port) {
        return new ApiServer(instances, runtime, sha256(token), host, port);
    }

    public int port() {
        return server.port();
    }

    @Override
    public void close() {
        server.stop();
    }

    @FunctionalInterface
    interface Endpoint {
        void handle(ServerRequest req, ServerResponse res, long started) throws Exception;
    }

    /** Authentication, JSON headers and the mapping of every failure to its status and envelope. */
    Handler wrap(Endpoint e) {
        return (req, res) -> {
            long started = System.nanoTime();
            res.header(HeaderNames.CONTENT_TYPE, "application/json");
            try {
                authenticate(req);
                e.handle(req, res, started);
            } catch (ApiException ex) {
                res.status(Status.create(ex.status));
                if (ex.status == 401) res.header(HeaderNames.WWW_AUTHENTICATE, "Bearer realm=\"kiln\"");
                res.send(Envelope.failure(ex.status, ex.getMessage(), ex.field, started));
            } catch (InstanceException ex) {
                res.status(Status.create(ex.status()));
                res.send(Envelope.failure(ex.status(), ex.getMessage(), ex.field(), started));
            } catch (Exception ex) {
                // Whatever else failed (the host, a bug) is still the API's envelope, with what happened.
                res.status(Status.INTERNAL_SERVER_ERROR_500);
                res.send(Envelope.failure(500, "internal error: " + (ex.getMessage() == null ? ex.getClass().getSimpleName() : ex.getMessage()), null, started));
            }
        };
    }

    private void authenticate(ServerRequest req) {
        Optional<String> h = req.headers().first(HeaderNames.AUTHORIZATION);
        if (h.isEmpty() || !h.get().regionMatches(true, 0, "Bearer ", 0, 7)) {
            throw new ApiException(401, null, "missing Authorization: Bearer <token>");
        }
        if (!MessageDigest.isEqual(sha256(h.get().substring(7).trim()), tokenHash)) throw new ApiException(401, null, "invalid token");
    }

    static byte[] sha256(String s) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Hex of the token's hash, as the store keeps it. */
    public static String tokenHash(String token) {
        return HexFormat.of().formatHex(sha256(token));
    }

    // ---- instances ----

    private void create(ServerRequest req, ServerResponse res, long started) throws IOException, InterruptedException {
        JsonNode body = Requests.body(req).orElseThrow(() -> ApiException.badRequest(null, "request body: an instance object (or an array of them)"));
        List<JsonNode> items = new java.util.ArrayList<>();
        if (body.isArray()) body.forEach(items::add);
        else items.add(body);
        if (items.isEmpty()) throw ApiException.badRequest(null, "request body: no instances given");
        if (items.size() > 1000) throw ApiException.badRequest(null, "request body: at most 1000 instances at once");
        // Every item is checked before any is created: a malformed request creates nothing.
        List<InstanceSpec> specs = new java.util.ArrayList<>();
        for (int i = 0; i < items.size(); i++) specs.add(Requests.instanceSpec(items.get(i), body.isArray() ? "[" + i + "]." : ""));
        Envelope env = new Envelope("instances", started);
        for (InstanceSpec s : specs) {
            try {
                Instance created = instances.create(s);
                if (s.autostart()) {
                    // start returns once QEMU runs the guest, so a create that waits for running
                    // (timeout_s) has nothing more to wait for; a guest that fails to start is a 500.
                    created = runtime.start(created, false);
                }
                render(env.ok(), created);
            } catch (InstanceException ex) {
                // One instance asked for: its failure is the request's (400, 409). Several: per item.
                if (!body.isArray()) throw ex;
                ObjectNode o = env.error(ex.code(), ex.getMessage());
                if (s.name() != null) o.put("name", s.name());
            }
        }
        res.send(env.render());
    }

    private void list(ServerRequest req, ServerResponse res, long started) throws IOException {
        Optional<JsonNode> body = Requests.body(req);
        List<Requests.Target> targets = Requests.targets(req, body);
        Envelope env = new Envelope("instances", started);
        if (targets.isEmpty()) {
            long after = 0;
            Optional<String> from = req.query().first("from").asOptional();
            if (from.isPresent()) {
                // Documented as inclusive: the page starts at that instance.
                Instance f = instances.find(from.get(), null);
                after = f.createdSeq() - 1;
            }
            int count = req.query().first("count").asOptional().map(Integer::parseInt).orElse(0);
            // One query for every attachment rather than one per instance.
            java.util.Map<java.util.UUID, List<Volume>> byInstance = new java.util.HashMap<>();
            for (Volume v : instances.volumes().list(0, 0)) {
                if (v.attachedTo() != null) byInstance.computeIfAbsent(v.attachedTo(), k -> new java.util.ArrayList<>()).add(v);
            }
            for (Instance i : instances.list(after, count)) render(env.ok(), i, byInstance.getOrDefault(i.uuid(), List.of()));
        } else {
            for (Requests.Target t : targets) {
                try {
                    Instance found = instances.find(t.uuid(), t.name());
                    render(env.ok(), found);
                } catch (InstanceException ex) {
                    if (ex.status() == 400) throw ex;
                    notFound(env, ex, t);
                }
            }
        }
        res.send(env.render());
    }

    private void getOne(ServerRequest req, ServerResponse res, long started) {
        Envelope env = new Envelope("instances", started);
        String uuid = req.path().pathParameters().get("uuid");
        try {
            Instance found = instances.find(uuid, null);
            render(env.ok(), found);
        } catch (InstanceException ex) {
            if (ex.status() == 400) throw ex;
            notFound(env, ex, new Requests.Target(uuid, null, null));
        }
        res.send(env.render());
    }

    private void delete(ServerRequest req, ServerResponse res, long started) throws IOException {
        List<Requests.Target> targets = Requests.targets(req, Requests.body(req));
        if (targets.isEmpty()) throw ApiException.badRequest(null, "name the instances to delete (a body [{uuid|name}], or uuid=/name= parameters)");
        Envelope env = new Envelope("instances", started);
        for (Requests.Target t : targets) deleteTarget(env, t);
        res.send(env.render());
    }

    private void deleteOne(ServerRequest req, ServerResponse res, long started) throws IOException {
        Envelope env = new Envelope("instances", started);
        deleteTarget(env, new Requests.Target(req.path().pathParameters().get("uuid"), null, null));
        res.send(env.render());
    }

    private void deleteTarget(Envelope env, Requests.Target t) throws IOException {
        try {
            Instance i = instances.find(t.uuid(), t.name());
            runtime.delete(i);
            ObjectNode o = env.ok();
            o.put("uuid", i.uuid().toString());
            o.put("name", i.name());
            o.put("previous_state", i.state().wire());
        } catch (InstanceException ex) {
            if (ex.status() == 400) throw ex;
            notFound(env, ex, t);
        }
    }

    private void patch(ServerRequest req, ServerResponse res, long started) throws IOException {
        JsonNode body = Requests.body(req).orElseThrow(() -> ApiException.badRequest(null, "request body: [{uuid|name, prop, op, value}]"));
        if (!body.isArray()) throw ApiException.badRequest(null, "request body must be an array of {uuid|name, prop, op, value}");
        List<Requests.Target> targets = Requests.targets(req, Optional.of(body));
        Envelope env = new Envelope("instances", started);
        for (Requests.Target t : targets) patchTarget(env, t, t.options());
        res.send(env.render());
    }

    private void patchOne(ServerRequest req, ServerResponse res, long started) throws IOException {
        JsonNode body = Requests.body(req).orElseThrow(() -> ApiException.badRequest(null, "request body: {prop, op, value}"));
        Envelope env = new Envelope("instances", started);
        patchTarget(env, new Requests.Target(req.path().pathParameters().get("uuid"), null, body), body);
        res.send(env.render());
    }

    private void patchTarget(Envelope env, Requests.Target t, JsonNode o) throws IOException {
        String prop = Requests.optString(o, "prop", ""), op = Requests.optString(o, "op", "");
        if (prop == null) throw ApiException.badRequest("prop", "prop: required");
        if (op == null) throw ApiException.badRequest("op", "op: required (set, add or del)");
        Object value = Envelope.JSON.treeToValue(o.get("value") == null ? Envelope.JSON.nullNode() : o.get("value"), Object.class);
        try {
            Instance target = instances.find(t.uuid(), t.name());
            Instance changed;
            if (prop.equals("roms")) {
                JsonNode v = o.get("value");
                changed = op.equals("del") ? instances.patchRoms(target, op, List.of(), Requests.strings(o, "value", ""))
                        : instances.patchRoms(target, op, Requests.roms(v == null || v.isNull() ? Envelope.JSON.createArrayNode() : v, "value"), List.of());
            } else {
                changed = instances.patch(target, prop, op, value);
            }
            ObjectNode item = env.ok();
            item.put("uuid", changed.uuid().toString());
            item.put("name", changed.name());
        } catch (InstanceException ex) {
            if (ex.status() == 400) throw ex;
            notFound(env, ex, t);
        }
    }

    /** start, stop and suspend, bulk (a body [{uuid|name, ...}] or uuid=/name=) or by uuid. */
    private void lifecycle(ServerRequest req, ServerResponse res, long started, String uuid, String op) throws IOException {
        Optional<JsonNode> body = Requests.body(req);
        List<Requests.Target> targets = uuid != null ? List.of(new Requests.Target(uuid, null, body.orElse(Envelope.JSON.createObjectNode())))
                : Requests.targets(req, body);
        if (targets.isEmpty()) throw ApiException.badRequest(null, "name the instances (a body [{uuid|name}], or uuid=/name= parameters)");
        Envelope env = new Envelope("instances", started);
        for (Requests.Target t : targets) {
            try {
                Instance i = instances.find(t.uuid(), t.name());
                Instance after = switch (op) {
                    case "start" -> runtime.start(i, false);
                    case "suspend" -> runtime.suspend(i);
                    default -> {
                        Boolean force = t.options() == null ? null : Requests.optBool(t.options(), "force", "");
                        yield runtime.stop(i, force != null && force);
                    }
                };
                ObjectNode o = env.ok();
                o.put("uuid", after.uuid().toString());
                o.put("name", after.name());
                o.put("state", after.state().wire());
                o.put("previous_state", i.state().wire());
            } catch (InstanceException ex) {
                if (ex.status() == 400 && targets.size() == 1) throw ex;
                notFound(env, ex, t);
            }
        }
        res.send(env.render());
    }

    /** Server-side blocking until a state (default running), timeout_s or timeout_ms (-1 forever, 0 at once). */
    private void await(ServerRequest req, ServerResponse res, long started, String uuid) throws IOException, InterruptedException {
        Optional<JsonNode> body = Requests.body(req);
        List<Requests.Target> targets = uuid != null ? List.of(new Requests.Target(uuid, null, body.orElseGet(() -> queryOptions(req))))
                : Requests.targets(req, body, "state", "timeout_s", "timeout_ms");
        if (targets.isEmpty()) throw ApiException.badRequest(null, "name the instances to wait for");
        Envelope env = new Envelope("instances", started);
        boolean timedOut = false;
        for (Requests.Target t : targets) {
            JsonNode o = t.options() == null ? Envelope.JSON.createObjectNode() : t.options();
            String st = Requests.optString(o, "state", "");
            InstanceState state;
            try {
                state = st == null ? InstanceState.RUNNING : InstanceState.parse(st, "state");
            } catch (InstanceException e) {
                throw ApiException.badRequest("state", e.getMessage());
            }
            Double ts = Requests.optNumber(o, "timeout_s", ""), tms = Requests.optNumber(o, "timeout_ms", "");
            long ms = tms != null ? (long) (double) tms : ts != null ? (ts < 0 ? -1 : (long) (ts * 1000)) : -1;
            if (ms < -1) ms = -1;
            try {
                Instance i = instances.find(t.uuid(), t.name());
                InstanceRuntime.Waited w = runtime.await(i.uuid(), state, ms);
                ObjectNode item = w.reached() ? env.ok() : env.error(408, "timed out waiting for state " + state.wire());
                item.put("uuid", w.instance().uuid().toString());
                item.put("name", w.instance().name());
                item.put("state", w.instance().state().wire());
                timedOut |= !w.reached();
            } catch (InstanceException ex) {
                if (ex.status() == 400) throw ex;
                notFound(env, ex, t);
            }
        }
        res.send(timedOut ? env.render("Operation timed out") : env.render());
    }

    private static JsonNode queryOptions(ServerRequest req) {
        ObjectNode o = Envelope.JSON.createObjectNode();
        for (String p : List.of("state", "timeout_s", "timeout_ms", "offset", "limit")) req.query().first(p).asOptional().ifPresent(v -> o.put(p, v));
        return o;
    }

    /** The console: base64 {@code output}, {@code available} and {@code range}; a negative offset counts from the end. */
    private void log(ServerRequest req, ServerResponse res, long started, String uuid) throws IOException {
        Optional<JsonNode> body = Requests.body(req);
        List<Requests.Target> targets = uuid != null ? List.of(new Requests.Target(uuid, null, body.orElseGet(() -> queryOptions(req))))
                : Requests.targets(req, body, "offset", "limit");
        if (targets.isEmpty()) throw ApiException.badRequest(null, "name the instances whose log to read");
        Envelope env = new Envelope("instances", started);
        for (Requests.Target t : targets) {
            JsonNode o = t.options() == null ? Envelope.JSON.createObjectNode() : t.options();
            Double offset = Requests.optNumber(o, "offset", ""), limit = Requests.optNumber(o, "limit", "");
            int lim = limit == null ? 1 << 20 : (int) Math.min(Math.max(0, limit), 4 << 20);
            try {
                Instance i = instances.find(t.uuid(), t.name());
                dev.kiln.platform.vmm.ConsoleLog.Chunk c = runtime.log(i, offset == null ? 0 : (long) (double) offset, lim);
                ObjectNode item = env.ok();
                item.put("uuid", i.uuid().toString());
                item.put("name", i.name());
                item.put("state", i.state().wire());
                item.put("output", java.util.Base64.getEncoder().encodeToString(c.data()));
                ObjectNode av = item.putObject("available");
                av.put("start", c.available().start());
                av.put("end", c.available().end());
                ObjectNode rg = item.putObject("range");
                rg.put("start", c.range().start());
                rg.put("end", c.range().end());
            } catch (InstanceException ex) {
                if (ex.status() == 400) throw ex;
                notFound(env, ex, t);
            }
        }
        res.send(env.render());
    }

    static void notFound(Envelope env, InstanceException ex, Requests.Target t) {
        ObjectNode o = env.error(ex.code(), ex.getMessage());
        if (t.uuid() != null) o.put("uuid", t.uuid());
        if (t.name() != null) o.put("name", t.name());
    }

    private void render(ObjectNode o, Instance i) {
        render(o, i, instances.volumes().attachedTo(i.uuid()));
    }

    /** An instance as the API shows it, with the volumes attached to it. */
    static void render(ObjectNode o, Instance i, List<Volume> volumes) {
        o.put("uuid", i.uuid().toString());
        o.put("name", i.name());
        o.put("created_at", i.createdAt().toString());
        o.put("state", i.state().wire());
        o.put("image", i.image());
        o.put("memory_mb", i.memoryMb());
        o.put("vcpus", i.vcpus());
        ArrayNode args = o.putArray("args");
        i.args().forEach(args::add);
        ObjectNode env = o.putObject("env");
        i.env().forEach(env::put);
        o.put("restart_policy", i.restartPolicy().wire());
        o.put("type", "micro");
        o.put("start_count", i.startCount());
        o.put("restart_count", i.restartCount());
        if (i.startedAt() != null) o.put("started_at", i.startedAt().toString());
        if (i.stoppedAt() != null) o.put("stopped_at", i.stoppedAt().toString());
        if (i.bootTimeUs() != null) o.put("boot_time_us", i.bootTimeUs());
        if (i.stopReason() != null) o.put("stop_reason", i.stopReason());
        if (i.exitCode() != null) o.put("exit_code", i.exitCode());
        if (i.stopMessage() != null) o.put("stop_message", i.stopMessage());
        ArrayNode f = o.putArray("features");
        i.features().forEach(f::add);
        if (!i.roms().isEmpty()) {
            ArrayNode roms = o.putArray("roms");
            for (InstanceRom r : i.roms()) {
                ObjectNode n = roms.addObject();
                n.put("name", r.name());
                if (r.image() != null) n.put("image", r.image());
                if (r.at() != null) n.put("at", r.at());
                if (r.files() != null) {
                    ArrayNode files = n.putArray("files");
                    for (InstanceRom.InlineFile file : r.files()) {
                        files.addObject().put("path", file.path()).put("encoding", file.encoding()).put("data", file.data());
                    }
                }
            }
        }
        if (!volumes.isEmpty()) {
            ArrayNode vs = o.putArray("volumes");
            for (Volume v : volumes) vs.addObject().put("uuid", v.uuid().toString()).put("name", v.name()).put("at", v.at()).put("readonly", v.readonly());
        }
        if (!i.services().isEmpty()) {
            ObjectNode sg = o.putObject("service_group");
            ArrayNode svcs = sg.putArray("services");
            for (Instance.Service s : i.services()) {
                ObjectNode n = svcs.addObject();
                n.put("port", s.port());
                n.put("destination_port", s.destinationPort());
                n.put("protocol", s.protocol());
            }
        }
    }

    // ---- images ----

    private void images(ServerRequest req, ServerResponse res, long started) throws IOException {
        Envelope env = new Envelope("images", started);
        Optional<String> digest = req.query().first("digest").asOptional(), tag = req.query().first("tag").asOptional();
        // The older forms name the image in the path.
        if (req.path().pathParameters().contains("digest")) digest = Optional.of(req.path().pathParameters().get("digest"));
        if (req.path().pathParameters().contains("tag")) tag = Optional.of(req.path().pathParameters().get("tag"));
        for (ImageCatalog.Entry e : instances.images().list()) {
            if (digest.isPresent() && !e.digest().toString().equals(digest.get())) continue;
            if (tag.isPresent() && !e.tags().contains(tag.get())) continue;
            ObjectNode o = env.ok();
            o.put("url", e.url());
            o.put("digest", e.digest().toString());
            o.put("created_at", e.createdAt().toString());
            o.put("initrd_or_rom", e.initrdOrRom());
            o.put("size_in_bytes", e.sizeInBytes());
            ArrayNode args = o.putArray("args");
            e.args().forEach(args::add);
            ArrayNode tags = o.putArray("tags");
            e.tags().forEach(tags::add);
        }
        boolean byPath = req.path().pathParameters().contains("digest") || req.path().pathParameters().contains("tag");
        if (byPath && !env.anyItem()) {
            env.error(8, "No image with name '" + digest.orElseGet(tag::get) + "'");
        }
        res.send(env.render());
    }

    /** Whether {@code host} is a loopback address (the default and what kiln serve warns about leaving). */
    public static boolean loopback(String host) throws IOException {
        return InetAddress.getByName(host).isLoopbackAddress();
    }
}
