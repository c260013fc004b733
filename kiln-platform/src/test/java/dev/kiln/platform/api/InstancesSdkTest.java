package dev.kiln.platform.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.platform.Platform;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The official Unikraft Cloud JS SDK ({@code @unikraft/cloud} 0.2.0 from npm, installed by
 * {@code ./test} from the committed lockfile) drives kiln serve: create, get, list, a missing
 * instance as the SDK reports it, a running guest waited for, its console read, stopped, and
 * deleted.
 */
class InstancesSdkTest {
    static final Path JS = Path.of("src/test/js");

    @org.junit.jupiter.api.io.TempDir Path tmp;

    @Test
    void theOfficialJsSdkCreatesGetsListsWaitsReadsLogsStopsAndDeletes() throws Exception {
        if (!Files.isDirectory(JS.resolve("node_modules/@unikraft/cloud"))) {
            throw new AssertionError("the JS SDK is not installed: run ./test, or (cd kiln-platform/src/test/js && npm ci --legacy-peer-deps)");
        }
        try (Platform p = InstancesApiTest.platform(tmp, null)) {
            ProcessBuilder pb = new ProcessBuilder("node", "sdk-cycle.mjs").directory(JS.toFile()).redirectErrorStream(true);
            pb.environment().put("UKC_METRO", "http://127.0.0.1:" + p.port());
            pb.environment().put("UKC_TOKEN", p.token());
            pb.environment().put("KILN_IMAGE", "probe:latest");
            Process proc;
            try {
                proc = pb.start();
            } catch (java.io.IOException e) {
                throw new AssertionError("node is missing: apt-get install nodejs npm", e);
            }
            String out = new String(proc.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(proc.waitFor()).as(out).isZero();
            Map<String, JsonNode> steps = new HashMap<>();
            JsonMapper json = JsonMapper.builder().build();
            for (String line : out.lines().filter(l -> l.startsWith("{\"step\"")).toList()) {
                JsonNode n = json.readTree(line);
                steps.put(n.get("step").asString(), n.get("value"));
            }
            assertThat(steps).as(out).containsKeys("create", "get", "list", "missing", "autostart", "wait-running", "logs", "stop", "stopped", "delete");
            assertThat(steps.get("wait-running").get("state").asString()).isEqualTo("running");
            assertThat(steps.get("logs").get("hasEnv").asBoolean()).as(out).isTrue();
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
