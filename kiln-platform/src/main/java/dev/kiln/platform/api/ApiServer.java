package dev.kiln.platform.api;

import dev.kiln.platform.image.ImageCatalog;
import dev.kiln.platform.instance.Instance;
import dev.kiln.platform.instance.InstanceException;
import dev.kiln.platform.instance.InstanceService;
import dev.kiln.platform.instance.InstanceSpec;
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
    private final byte[] tokenHash;
    private final WebServer server;

    private ApiServer(InstanceService instances, byte[] tokenHash, String host, int port) {
        this.instances = instances;
        this.tokenHash = tokenHash;
        HttpRouting.Builder r = HttpRouting.builder();
        r.post("/v1/instances", wrap(this::create));
        r.get("/v1/instances", wrap(this::list));
        r.get("/v1/instances/{uuid}", wrap(this::getOne));
        r.delete("/v1/instances", wrap(this::delete));
        r.delete("/v1/instances/{uuid}", wrap(this::deleteOne));
        r.patch("/v1/instances", wrap(this::patch));
        r.patch("/v1/instances/{uuid}", wrap(this::patchOne));
        r.get("/v1/images", wrap(this::images));
        r.get("/v1/images/list", wrap(this::images));
        r.any(wrap((req, res, started) -> {
            throw new ApiException(404, null, "no such endpoint: " + req.prologue().method().text() + " " + req.path().path());
        }));
        this.server = WebServer.builder().host(host).port(port)
                // Larger than the API's limit, so that kiln answers an oversized body itself, with its envelope.
                .maxPayloadSize(Requests.MAX_BODY * 2L)
                .routing(r).build().start();
    }

    /** Starts serving on {@code host:port} (0: any free port); {@code token} is what clients send as Bearer. */
    public static ApiServer start(InstanceService instances, String token, String host, int port) {
        return new ApiServer(instances, sha256(token), host, port);
    }

    public int port() {
        return server.port();
    }

    @Override
    public void close() {
        server.stop();
    }

    @FunctionalInterface
    private interface Endpoint {
        void handle(ServerRequest req, ServerResponse res, long started) throws Exception;
    }

    /** Authentication, JSON headers and the mapping of every failure to its status and envelope. */
    private Handler wrap(Endpoint e) {
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

    private void create(ServerRequest req, ServerResponse res, long started) throws IOException {
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
            for (Instance i : instances.list(after, count)) render(env.ok(), i);
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

    private void deleteOne(ServerRequest req, ServerResponse res, long started) {
        Envelope env = new Envelope("instances", started);
        deleteTarget(env, new Requests.Target(req.path().pathParameters().get("uuid"), null, null));
        res.send(env.render());
    }

    private void deleteTarget(Envelope env, Requests.Target t) {
        try {
            Instance i = instances.find(t.uuid(), t.name());
            instances.delete(i);
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
            Instance changed = instances.patch(instances.find(t.uuid(), t.name()), prop, op, value);
            ObjectNode item = env.ok();
            item.put("uuid", changed.uuid().toString());
            item.put("name", changed.name());
        } catch (InstanceException ex) {
            if (ex.status() == 400) throw ex;
            notFound(env, ex, t);
        }
    }

    private static void notFound(Envelope env, InstanceException ex, Requests.Target t) {
        ObjectNode o = env.error(ex.code(), ex.getMessage());
        if (t.uuid() != null) o.put("uuid", t.uuid());
        if (t.name() != null) o.put("name", t.name());
    }

    /** An instance as the API shows it. */
    static void render(ObjectNode o, Instance i) {
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
        ArrayNode f = o.putArray("features");
        i.features().forEach(f::add);
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
        res.send(env.render());
    }

    /** Whether {@code host} is a loopback address (the default and what kiln serve warns about leaving). */
    public static boolean loopback(String host) throws IOException {
        return InetAddress.getByName(host).isLoopbackAddress();
    }
}
