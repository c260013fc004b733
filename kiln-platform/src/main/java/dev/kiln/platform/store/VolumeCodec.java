package dev.kiln.platform.store;

import dev.kiln.platform.volume.Volume;
import dev.kiln.platform.volume.VolumeState;
import java.time.Instant;
import java.util.UUID;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/** A volume as the store's {@code body} column holds it. */
final class VolumeCodec {
    private static final JsonMapper JSON = JsonMapper.builder().build();

    private VolumeCodec() {}

    static String encode(Volume v) {
        ObjectNode o = JSON.createObjectNode();
        o.put("uuid", v.uuid().toString());
        o.put("name", v.name());
        o.put("created_at", v.createdAt().toString());
        o.put("created_seq", v.createdSeq());
        o.put("size_mb", v.sizeMb());
        o.put("filesystem", v.filesystem());
        o.put("state", v.state().wire());
        o.put("persistent", v.persistent());
        if (v.hostPath() != null) o.put("host_path", v.hostPath());
        if (v.attachedTo() != null) {
            o.put("attached_to", v.attachedTo().toString());
            o.put("at", v.at());
            o.put("readonly", v.readonly());
            o.put("detach_pending", v.detachPending());
        }
        o.put("version", v.version());
        return JSON.writeValueAsString(o);
    }

    static Volume decode(String body) {
        JsonNode o = JSON.readTree(body);
        JsonNode att = o.get("attached_to");
        return new Volume(UUID.fromString(o.get("uuid").asString()), o.get("name").asString(), Instant.parse(o.get("created_at").asString()),
                o.get("created_seq").asLong(), o.get("size_mb").asInt(), o.get("filesystem").asString(),
                VolumeState.parse(o.get("state").asString()), o.get("persistent").asBoolean(),
                o.has("host_path") ? o.get("host_path").asString() : null,
                att == null ? null : UUID.fromString(att.asString()), att == null ? null : o.get("at").asString(),
                att != null && o.get("readonly").asBoolean(), att != null && o.path("detach_pending").asBoolean(),
                o.get("version").asLong());
    }
}
