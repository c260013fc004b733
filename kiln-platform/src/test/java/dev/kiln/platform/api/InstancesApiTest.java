package dev.kiln.platform.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.fs.build.Source;
import dev.kiln.oci.OciLayout;
import dev.kiln.oci.pack.PackRequest;
import dev.kiln.oci.pack.Packer;
import dev.kiln.platform.Platform;
import dev.kiln.platform.store.Postgres;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The instances API over real HTTP, against SQLite and a real PostgreSQL: the envelope, both
 * filter transports, per-item errors as Unikraft Cloud reports them, 400s that name the field,
 * 401 and 413.
 */
class InstancesApiTest {
    static final Path KERNEL = dev.kiln.fs.guest.UnikraftProbe.kernel();
    static final JsonMapper JSON = JsonMapper.builder().build();
    static Postgres pg;
    @TempDir static Path tmp;
    static int n;

    @BeforeAll
    static void postgres() throws Exception {
        pg = Postgres.start();
    }

    @AfterAll
    static void stop() throws Exception {
        if (pg != null) pg.close();
    }

    static Platform platform(String db) throws Exception {
        return platform(tmp, db.equals("sqlite") ? null : pg.newDatabase("api" + n));
    }

    /** A platform in {@code tmp} with one image, "probe:latest", in its store; {@code url} null for SQLite. */
    static Platform platform(Path tmp, String url) throws Exception {
        Path data = tmp.resolve("data" + n++);
        Path kernel = Files.isRegularFile(KERNEL) ? KERNEL : Files.write(tmp.resolve("k" + n), new byte[4096]);
        PackRequest r = PackRequest.builder().kernel(kernel)
                .rootfsSource(Source.memory().file("/etc/motd", "hi\n".getBytes(StandardCharsets.UTF_8)).build()).build();
        Packer.pack(r, OciLayout.create(data.resolve("images")), "probe:latest", null);
        return Platform.start(new Platform.Options(data, url, "127.0.0.1", 0));
    }

    record Reply(int status, JsonNode body) {}

    static Reply call(Platform p, String method, String path, String body) throws Exception {
        return call(p, method, path, body, p.token());
    }

    static Reply call(Platform p, String method, String path, String body, String token) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + p.port() + path))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (token != null) b.header("Authorization", "Bearer " + token);
        if (body != null) b.header("Content-Type", "application/json");
        try (HttpClient c = HttpClient.newHttpClient()) {
            HttpResponse<String> r = c.send(b.build(), HttpResponse.BodyHandlers.ofString());
            assertThat(r.headers().firstValue("content-type")).contains("application/json");
            return new Reply(r.statusCode(), JSON.readTree(r.body()));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"sqlite", "postgresql"})
    void createListGetAndDeleteAsTheSdksSeeThem(String db) throws Exception {
        try (Platform p = platform(db)) {
            Reply c = call(p, "POST", "/v1/instances", "{\"name\":\"web\",\"image\":\"probe:latest\",\"args\":[\"walk=/\"],\"env\":{\"A\":\"1\"}}");
            assertThat(c.status()).isEqualTo(200);
            assertThat(c.body().get("status").asString()).isEqualTo("success");
            assertThat(c.body().get("op_time_us").isIntegralNumber()).isTrue();
            JsonNode web = c.body().get("data").get("instances").get(0);
            assertThat(web.get("state").asString()).isEqualTo("stopped");
            assertThat(web.get("image").asString()).matches("probe:latest@sha256:[0-9a-f]{64}");
            assertThat(web.get("uuid").asString()).matches("[0-9a-f-]{36}");
            assertThat(java.util.UUID.fromString(web.get("uuid").asString()).version()).isEqualTo(4);
            assertThat(java.time.Instant.parse(web.get("created_at").asString())).isNotNull();
            assertThat(web.get("memory_mb").asInt()).isEqualTo(128);

            // Filters by query (the JS SDK) and by body (the Go SDK) find the same instance.
            assertThat(call(p, "GET", "/v1/instances?name=web&details=true", null).body().get("data").get("instances").get(0).get("uuid"))
                    .isEqualTo(web.get("uuid"));
            assertThat(call(p, "GET", "/v1/instances", "[{\"name\":\"web\"}]").body().get("data").get("instances").get(0).get("uuid"))
                    .isEqualTo(web.get("uuid"));
            assertThat(call(p, "GET", "/v1/instances/" + web.get("uuid").asString(), null).body().get("data").get("instances").get(0).get("name")
                    .asString()).isEqualTo("web");

            // Unknown names: HTTP 200, an item error 8, the envelope says what failed.
            Reply missing = call(p, "GET", "/v1/instances?name=nope", null);
            assertThat(missing.status()).isEqualTo(200);
            assertThat(missing.body().get("status").asString()).isEqualTo("error");
            assertThat(missing.body().get("message").asString()).isEqualTo("Failed to perform all operations");
            JsonNode item = missing.body().get("data").get("instances").get(0);
            assertThat(item.get("error").asInt()).isEqualTo(8);
            assertThat(item.get("message").asString()).isEqualTo("No instance with name 'nope'");
            Reply partial = call(p, "GET", "/v1/instances?name=web&name=nope", null);
            assertThat(partial.body().get("status").asString()).isEqualTo("partial_success");

            assertThat(call(p, "POST", "/v1/instances", "{\"name\":\"web\",\"image\":\"probe:latest\"}").status()).isEqualTo(409);
            Reply list = call(p, "GET", "/v1/instances?details=true&count=100", null);
            assertThat(list.body().get("data").get("instances")).hasSize(1);

            // Images, and the older forms that name one in the path.
            assertThat(call(p, "GET", "/v1/images", null).body().get("data").get("images")).hasSize(1);
            assertThat(call(p, "GET", "/v1/images/tag/probe:latest", null).body().get("data").get("images").get(0).get("tags").get(0)
                    .asString()).isEqualTo("probe:latest");
            assertThat(call(p, "GET", "/v1/images/tag/nope:1", null).body().get("data").get("images").get(0).get("error").asInt()).isEqualTo(8);

            Reply del = call(p, "DELETE", "/v1/instances", "[{\"name\":\"web\"}]");
            assertThat(del.body().get("data").get("instances").get(0).get("previous_state").asString()).isEqualTo("stopped");
            assertThat(call(p, "GET", "/v1/instances", null).body().get("data").get("instances")).isEmpty();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"sqlite"})
    void badRequestsAreRefusedNamingTheFieldAndCreateNothing(String db) throws Exception {
        try (Platform p = platform(db)) {
            assertThat(call(p, "GET", "/v1/instances", null, null).status()).isEqualTo(401);
            assertThat(call(p, "GET", "/v1/instances", null, "wrong").status()).isEqualTo(401);
            Reply bad = call(p, "POST", "/v1/instances", "{\"image\":\"probe:latest\",\"memory_mb\":\"lots\"}");
            assertThat(bad.status()).isEqualTo(400);
            assertThat(bad.body().get("errors").get(0).get("field").asString()).isEqualTo("memory_mb");
            assertThat(call(p, "POST", "/v1/instances", "{\"image\":\"probe:latest\",\"colour\":\"red\"}").body().get("message").asString())
                    .isEqualTo("unknown field 'colour'");
            assertThat(call(p, "POST", "/v1/instances", "{\"image\":\"probe:latest\",\"name\":\"../etc\"}").body().get("errors").get(0)
                    .get("field").asString()).isEqualTo("name");
            assertThat(call(p, "POST", "/v1/instances", "{\"image\":\"nosuch:1\"}").body().get("errors").get(0).get("field").asString())
                    .isEqualTo("image");
            Reply small = call(p, "POST", "/v1/instances", "{\"image\":\"probe:latest\",\"memory_mb\":1}");
            assertThat(small.status()).isEqualTo(400);
            assertThat(small.body().get("message").asString()).contains("needs at least").contains("MiB");
            assertThat(call(p, "POST", "/v1/instances", "{\"image\":\"probe:latest\",").status()).isEqualTo(400);
            // In an array, a malformed item (a wrong type) refuses the whole request; an item the
            // rules refuse is that item's error, and the others are created.
            assertThat(call(p, "POST", "/v1/instances", "[{\"image\":\"probe:latest\",\"name\":\"a\"},{\"image\":\"probe:latest\",\"vcpus\":\"x\"}]")
                    .status()).isEqualTo(400);
            Reply bulk = call(p, "POST", "/v1/instances", "[{\"image\":\"probe:latest\",\"name\":\"a\"},{\"image\":\"probe:latest\",\"vcpus\":-1}]");
            assertThat(bulk.status()).isEqualTo(200);
            assertThat(bulk.body().get("status").asString()).isEqualTo("partial_success");
            assertThat(bulk.body().get("data").get("instances").get(1).get("message").asString()).contains("vcpus");
            String huge = "{\"image\":\"probe:latest\",\"args\":[\"" + "x".repeat(9 << 20) + "\"]}";
            assertThat(call(p, "POST", "/v1/instances", huge).status()).isEqualTo(413);
            assertThat(call(p, "GET", "/v1/instances", null).body().get("data").get("instances")).as("only the valid bulk item")
                    .extracting(i -> i.get("name").asString()).containsExactly("a");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"sqlite"})
    void patchChangesAStoppedInstanceAsACreateWouldCheckIt(String db) throws Exception {
        try (Platform p = platform(db)) {
            String uuid = call(p, "POST", "/v1/instances", "{\"name\":\"w\",\"image\":\"probe:latest\",\"env\":{\"A\":\"1\"}}")
                    .body().get("data").get("instances").get(0).get("uuid").asString();
            Reply r = call(p, "PATCH", "/v1/instances", "[{\"name\":\"w\",\"prop\":\"args\",\"op\":\"set\",\"value\":[\"walk=/\"]},"
                    + "{\"name\":\"w\",\"prop\":\"env\",\"op\":\"add\",\"value\":{\"B\":\"2\"}}]");
            assertThat(r.body().get("status").asString()).isEqualTo("success");
            assertThat(call(p, "PATCH", "/v1/instances/" + uuid, "{\"prop\":\"memory_mb\",\"op\":\"set\",\"value\":256}").status()).isEqualTo(200);
            JsonNode w = call(p, "GET", "/v1/instances/" + uuid, null).body().get("data").get("instances").get(0);
            assertThat(w.get("args").get(0).asString()).isEqualTo("walk=/");
            assertThat(w.get("env").get("B").asString()).isEqualTo("2");
            assertThat(w.get("env").get("A").asString()).isEqualTo("1");
            assertThat(w.get("memory_mb").asInt()).isEqualTo(256);
            Reply bad = call(p, "PATCH", "/v1/instances/" + uuid, "{\"prop\":\"memory_mb\",\"op\":\"set\",\"value\":1}");
            assertThat(bad.status()).isEqualTo(400);
            assertThat(bad.body().get("message").asString()).contains("needs at least");
            assertThat(call(p, "PATCH", "/v1/instances/" + uuid, "{\"prop\":\"colour\",\"op\":\"set\",\"value\":1}").body().get("errors")
                    .get(0).get("field").asString()).isEqualTo("prop");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"sqlite", "postgresql"})
    void concurrentCreatesOfOneNameMakeExactlyOneInstance(String db) throws Exception {
        try (Platform p = platform(db)) {
            ExecutorService e = Executors.newFixedThreadPool(16);
            List<Future<Reply>> fs = new ArrayList<>();
            for (int i = 0; i < 32; i++) fs.add(e.submit(() -> call(p, "POST", "/v1/instances", "{\"name\":\"one\",\"image\":\"probe:latest\"}")));
            int ok = 0, conflict = 0;
            for (Future<Reply> f : fs) {
                int s = f.get().status();
                if (s == 200) ok++;
                else if (s == 409) conflict++;
            }
            e.shutdown();
            assertThat(ok).isEqualTo(1);
            assertThat(conflict).isEqualTo(31);
            assertThat(call(p, "GET", "/v1/instances", null).body().get("data").get("instances")).hasSize(1);
        }
    }
}
