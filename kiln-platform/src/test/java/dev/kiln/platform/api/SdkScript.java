package dev.kiln.platform.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.platform.Platform;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Runs a script of {@code src/test/js} (the official JS SDK from the committed lockfile) against a
 * platform: UKC_METRO and UKC_TOKEN point at it, {@code env} adds the script's own. The script
 * prints one {@code {"step": NAME, "value": …}} line per step and must end with status 0.
 */
final class SdkScript {
    static final Path JS = Path.of("src/test/js");

    private SdkScript() {}

    /** The steps the script printed, by name; fails with its whole output when it fails. */
    static Map<String, JsonNode> run(String script, Platform p, Map<String, String> env) throws Exception {
        if (!Files.isDirectory(JS.resolve("node_modules/@unikraft/cloud"))) {
            throw new AssertionError("the JS SDK is not installed: run ./test, or (cd kiln-platform/src/test/js && npm ci --legacy-peer-deps)");
        }
        ProcessBuilder pb = new ProcessBuilder("node", script).directory(JS.toFile()).redirectErrorStream(true);
        pb.environment().put("UKC_METRO", "http://127.0.0.1:" + p.port());
        pb.environment().put("UKC_TOKEN", p.token());
        pb.environment().putAll(env);
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
        return steps;
    }
}
