package dev.kiln.platform.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.platform.Platform;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * The official Unikraft Cloud JS SDK ({@code @unikraft/cloud} 0.2.0 from npm, installed by
 * {@code ./test} from the committed lockfile) drives kiln serve: create, get, list, a missing
 * instance as the SDK reports it, a running guest waited for, its console read, stopped, and
 * deleted.
 */
class InstancesSdkTest {
    @org.junit.jupiter.api.io.TempDir Path tmp;

    @Test
    void theOfficialJsSdkCreatesGetsListsWaitsReadsLogsStopsAndDeletes() throws Exception {
        try (Platform p = InstancesApiTest.platform(tmp, null)) {
            Map<String, JsonNode> steps = SdkScript.run("sdk-cycle.mjs", p, Map.of("KILN_IMAGE", "probe:latest"));
            assertThat(steps).as(steps.toString()).containsKeys("create", "get", "list", "missing", "autostart", "wait-running", "logs", "stop", "stopped", "delete");
            assertThat(steps.get("wait-running").get("state").asString()).isEqualTo("running");
            assertThat(steps.get("logs").get("hasEnv").asBoolean()).as(steps.toString()).isTrue();
            assertThat(steps.get("stop").get("state").asString()).isEqualTo("stopped");
            assertThat(steps.get("stopped").get("stop_reason").asInt()).isEqualTo(15);
            assertThat(steps.get("create").get("state").asString()).isEqualTo("stopped");
            assertThat(steps.get("create").get("image").asString()).startsWith("probe:latest@sha256:");
            assertThat(steps.get("get").get("uuid")).isEqualTo(steps.get("create").get("uuid"));
            assertThat(steps.get("get").get("env").get("A").asString()).isEqualTo("1");
            assertThat(steps.get("list").valueStream().map(JsonNode::asString).toList()).isEqualTo(List.of("sdk-web"));
            assertThat(steps.get("missing").get("status").asInt()).isEqualTo(404);
            // The SDK reports the envelope's message, as it would from Unikraft Cloud.
            assertThat(steps.get("missing").get("message").asString()).isEqualTo("Failed to perform all operations");
            assertThat(steps.get("delete")).isEmpty();
        }
    }
}
