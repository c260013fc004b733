package dev.kiln.platform.api;

import java.util.ArrayList;
import java.util.List;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * The API's response envelope: {@code {status, message?, data: {<plural>: [...]}, errors?,
 * op_time_us}}. Items carry their own {@code status}; the envelope's is {@code success} when
 * every item succeeded, {@code error} when none did (with "Failed to perform all operations"),
 * and {@code partial_success} in between, as Unikraft Cloud answers.
 */
final class Envelope {
    static final JsonMapper JSON = JsonMapper.builder().build();

    private final String plural;
    private final List<ObjectNode> items = new ArrayList<>();
    private final long started;

    Envelope(String plural, long startedNanos) {
        this.plural = plural;
        this.started = startedNanos;
    }

    /** A successful item. */
    ObjectNode ok() {
        ObjectNode o = JSON.createObjectNode();
        o.put("status", "success");
        items.add(o);
        return o;
    }

    /** A failed item: {@code code} is the API's error number (8: not found). */
    ObjectNode error(int code, String message) {
        ObjectNode o = JSON.createObjectNode();
        o.put("status", "error");
        o.put("message", message);
        o.put("error", code);
        items.add(o);
        return o;
    }

    boolean anyItem() {
        return !items.isEmpty();
    }


    byte[] render() {
        return render(null);
    }

    /** The envelope; {@code message} (if not null) overrides the one the items imply. */
    byte[] render(String message) {
        ObjectNode root = JSON.createObjectNode();
        long failed = items.stream().filter(i -> "error".equals(i.path("status").asString())).count();
        String status = failed == 0 ? "success" : failed == items.size() ? "error" : "partial_success";
        root.put("status", status);
        if (message != null) root.put("message", message);
        else if (failed > 0) root.put("message", "Failed to perform all operations");
        ObjectNode data = root.putObject("data");
        ArrayNode arr = data.putArray(plural);
        items.forEach(arr::add);
        if (failed > 0) {
            ArrayNode errors = root.putArray("errors");
            for (ObjectNode i : items) {
                if (!"error".equals(i.path("status").asString())) continue;
                ObjectNode e = errors.addObject();
                e.put("status", i.path("error").asInt() == 8 ? 404 : i.path("error").asInt());
                e.put("message", i.path("message").asString());
            }
        }
        root.put("op_time_us", (System.nanoTime() - started) / 1000);
        return JSON.writeValueAsBytes(root);
    }

    /** A whole-request failure (400, 401, 413...): an error envelope without items. */
    static byte[] failure(int status, String message, String field, long startedNanos) {
        ObjectNode root = JSON.createObjectNode();
        root.put("status", "error");
        root.put("message", message);
        ArrayNode errors = root.putArray("errors");
        ObjectNode e = errors.addObject();
        e.put("status", status);
        e.put("message", message);
        if (field != null) e.put("field", field);
        root.putObject("data");
        root.put("op_time_us", (System.nanoTime() - startedNanos) / 1000);
        return JSON.writeValueAsBytes(root);
    }
}
