package dev.kiln.platform.store;

import dev.kiln.platform.instance.Instance;
import dev.kiln.platform.instance.InstanceRom;
import dev.kiln.platform.instance.InstanceState;
import dev.kiln.platform.instance.RestartPolicy;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/** An instance as the store's {@code body} column holds it: JSON with one field per property. */
final class InstanceCodec {
    private static final JsonMapper JSON = JsonMapper.builder().build();

    private InstanceCodec() {}

    static String encode(Instance i) {
        ObjectNode o = JSON.createObjectNode();
        o.put("uuid", i.uuid().toString());
        o.put("name", i.name());
        o.put("image", i.image());
        o.put("state", i.state().wire());
        o.put("created_at", i.createdAt().toString());
        o.put("created_seq", i.createdSeq());
        o.put("memory_mb", i.memoryMb());
        o.put("vcpus", i.vcpus());
        ArrayNode args = o.putArray("args");
        i.args().forEach(args::add);
        ObjectNode env = o.putObject("env");
        i.env().forEach(env::put);
        o.put("restart_policy", i.restartPolicy().wire());
        ArrayNode f = o.putArray("features");
        i.features().forEach(f::add);
        o.put("start_count", i.startCount());
        o.put("restart_count", i.restartCount());
        if (i.startedAt() != null) o.put("started_at", i.startedAt().toString());
        if (i.stoppedAt() != null) o.put("stopped_at", i.stoppedAt().toString());
        if (i.bootTimeUs() != null) o.put("boot_time_us", i.bootTimeUs());
        if (i.stopReason() != null) o.put("stop_reason", i.stopReason());
        if (i.exitCode() != null) o.put("exit_code", i.exitCode());
        if (i.stopMessage() != null) o.put("stop_message", i.stopMessage());
        ArrayNode sv = o.putArray("services");
        for (Instance.Service s : i.services()) {
            ObjectNode n = sv.addObject();
            n.put("port", s.port());
            n.put("destination_port", s.destinationPort());
            n.put("protocol", s.protocol());
        }
        if (!i.roms().isEmpty()) {
            ArrayNode roms = o.putArray("roms");
            for (InstanceRom r : i.roms()) {
                ObjectNode n = roms.addObject();
                n.put("name", r.name());
                if (r.at() != null) n.put("at", r.at());
                if (r.image() != null) n.put("image", r.image());
                n.put("digest", r.digest());
                if (r.files() != null) {
                    ArrayNode files = n.putArray("files");
                    for (InstanceRom.InlineFile file : r.files()) {
                        files.addObject().put("path", file.path()).put("encoding", file.encoding()).put("data", file.data());
                    }
                }
            }
        }
        o.put("version", i.version());
        return JSON.writeValueAsString(o);
    }

    static Instance decode(String body) {
        JsonNode o = JSON.readTree(body);
        List<String> args = new ArrayList<>();
        o.path("args").forEach(a -> args.add(a.asString()));
        SortedMap<String, String> env = new TreeMap<>();
        for (Map.Entry<String, JsonNode> e : o.path("env").properties()) env.put(e.getKey(), e.getValue().asString());
        TreeSet<String> features = new TreeSet<>();
        o.path("features").forEach(a -> features.add(a.asString()));
        List<Instance.Service> services = new ArrayList<>();
        o.path("services").forEach(n -> services.add(new Instance.Service(n.path("port").asInt(), n.path("destination_port").asInt(),
                n.path("protocol").asString("tcp"))));
        return new Instance(UUID.fromString(o.get("uuid").asString()), o.get("name").asString(), o.get("image").asString(),
                InstanceState.parse(o.get("state").asString(), "state"), Instant.parse(o.get("created_at").asString()),
                o.get("created_seq").asLong(), o.get("memory_mb").asInt(), o.get("vcpus").asInt(), args, env,
                RestartPolicy.parse(o.get("restart_policy").asString(), "restart_policy"), features, o.path("start_count").asInt(),
                o.path("restart_count").asInt(), instant(o, "started_at"), instant(o, "stopped_at"),
                o.has("boot_time_us") ? o.get("boot_time_us").asLong() : null, o.has("stop_reason") ? o.get("stop_reason").asInt() : null,
                o.has("exit_code") ? o.get("exit_code").asInt() : null, o.has("stop_message") ? o.get("stop_message").asString() : null,
                services, roms(o.path("roms")), o.get("version").asLong());
    }

    private static List<InstanceRom> roms(JsonNode a) {
        List<InstanceRom> out = new ArrayList<>();
        for (JsonNode n : a) {
            List<InstanceRom.InlineFile> files = null;
            if (n.has("files")) {
                files = new ArrayList<>();
                for (JsonNode f : n.get("files")) {
                    files.add(new InstanceRom.InlineFile(f.get("path").asString(), f.get("encoding").asString(), f.get("data").asString()));
                }
            }
            out.add(new InstanceRom(n.get("name").asString(), n.has("at") ? n.get("at").asString() : null,
                    n.has("image") ? n.get("image").asString() : null, files, n.get("digest").asString()));
        }
        return out;
    }

    private static Instant instant(JsonNode o, String f) {
        return o.has(f) ? Instant.parse(o.get(f).asString()) : null;
    }
}
