package dev.kiln.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.fs.guest.UnikraftProbe;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.function.BiPredicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * kiln serve killed with SIGKILL while a guest runs: on restart the guest is adopted (no second
 * QEMU, no lost or duplicated record), and stopping it then ends its QEMU.
 */
class ServeCrashTest {
    static final JsonMapper JSON = JsonMapper.builder().build();

    @TempDir Path tmp;

    /** kiln serve in a JVM of its own (so it can be killed), its output in a log under {@code logs}. */
    static Process serve(Path data, int port, Path logs) throws IOException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        return new ProcessBuilder(java, "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
                "dev.kiln.cli.Main", "serve", "--data", data.toString(), "--listen", "127.0.0.1:" + port)
                .redirectErrorStream(true).redirectOutput(logs.resolve("serve-" + System.nanoTime() + ".log").toFile()).start();
    }

    static JsonNode call(int port, String token, String method, String path, String body) throws Exception {
        try (HttpClient c = HttpClient.newHttpClient()) {
            HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).header("Authorization", "Bearer " + token)
                    .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
            return JSON.readTree(c.send(b.build(), HttpResponse.BodyHandlers.ofString()).body());
        }
    }

    static void awaitUp(Path data, int port) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (System.nanoTime() < deadline) {
            try {
                if (Files.isRegularFile(data.resolve("token"))) {
                    call(port, Files.readString(data.resolve("token")).strip(), "GET", "/v1/instances?count=1", null);
                    return;
                }
            } catch (IOException e) {
                // not listening yet
            }
            Thread.sleep(100);
        }
        throw new AssertionError("kiln serve did not answer within 60 s");
    }

    static long qemus(String uuid) throws IOException {
        return qemuPids((cmdline, cwd) -> cmdline.contains("kiln-" + uuid)).size();
    }

    /** QEMU processes run from under {@code dir} (their working directory, or a path on their command line). */
    static long qemusUnder(Path dir) throws IOException {
        return qemuPids(under(dir)).size();
    }

    /**
     * Kills, with SIGKILL, every QEMU run from under {@code dir}: after a failed test, so that no
     * guest outlives it (a passing test has asserted that none is left).
     */
    static void killQemusUnder(Path dir) throws IOException {
        for (long pid : qemuPids(under(dir))) ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
    }

    private static BiPredicate<String, Path> under(Path dir) {
        return (cmdline, cwd) -> cmdline.contains(dir.toString()) || cwd.startsWith(dir);
    }

    /**
     * The QEMU processes whose command line (words joined by spaces) and working directory match;
     * argv[0] is QEMU itself, so the supervisor shell that names it in a later word is not counted.
     */
    private static List<Long> qemuPids(BiPredicate<String, Path> match) throws IOException {
        try (var s = Files.list(Path.of("/proc"))) {
            return s.filter(p -> p.getFileName().toString().matches("\\d+")).filter(p -> {
                try {
                    String[] argv = Files.readString(p.resolve("cmdline")).split("\0");
                    if (argv.length == 0 || !argv[0].contains("qemu-system")) return false;
                    return match.test(String.join(" ", argv), Files.readSymbolicLink(p.resolve("cwd")));
                } catch (IOException e) {
                    return false; // gone meanwhile, or not ours to read
                }
            }).map(p -> Long.parseLong(p.getFileName().toString())).toList();
        }
    }

    @AfterEach
    void noGuestOutlivesTheTest() throws IOException {
        killQemusUnder(tmp);
    }

    @Test
    void aServerKilledWithSigkillAdoptsItsGuestOnRestart() throws Exception {
        Path data = tmp.resolve("data");
        Cli pack = Cli.run("pack", "--kernel", UnikraftProbe.kernel().toString(), "-o", "oci:" + data.resolve("images") + ":probe:latest",
                "--rom", "r=" + Files.write(tmp.resolve("r.bin"), new byte[10]));
        assertThat(pack.exit()).as(pack.err()).isZero();
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        Process first = serve(data, port, tmp);
        String uuid;
        try {
            awaitUp(data, port);
            String token = Files.readString(data.resolve("token")).strip();
            JsonNode created = call(port, token, "POST", "/v1/instances",
                    "{\"name\":\"survivor\",\"image\":\"probe:latest\",\"args\":[\"sleep=-1\"],\"autostart\":true}");
            uuid = created.get("data").get("instances").get(0).get("uuid").asString();
            assertThat(qemus(uuid)).isEqualTo(1);
        } finally {
            first.destroyForcibly().waitFor(); // SIGKILL: no shutdown hook runs
        }
        Process second = serve(data, port, tmp);
        try {
            awaitUp(data, port);
            String token = Files.readString(data.resolve("token")).strip();
            JsonNode all = call(port, token, "GET", "/v1/instances", null).get("data").get("instances");
            assertThat(all).hasSize(1);
            assertThat(all.get(0).get("state").asString()).isEqualTo("running");
            assertThat(qemus(uuid)).as("the guest adopted, not started twice").isEqualTo(1);
            call(port, token, "PUT", "/v1/instances/stop", "[{\"uuid\":\"" + uuid + "\"}]");
            JsonNode w = call(port, token, "GET", "/v1/instances/wait?uuid=" + uuid + "&state=stopped&timeout_s=30", null);
            assertThat(w.get("status").asString()).as(w.toString()).isEqualTo("success");
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (qemus(uuid) > 0 && System.nanoTime() < deadline) Thread.sleep(100);
            assertThat(qemus(uuid)).isZero();
        } finally {
            second.destroy();
            second.waitFor();
        }
        assertThat(List.of(first.exitValue())).isNotEmpty();
    }
}
