package dev.kiln.platform.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.platform.Platform;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Base64;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * Instances that run: the real Unikraft 0.17 probe guest under QEMU through the API: autostart,
 * the console log, exit codes through isa-debug-exit, stop, wait, the restart policy,
 * delete-on-stop, args that cannot be expressed, and a restart of the platform that adopts a
 * running guest and marks one that died meanwhile.
 */
class InstanceLifecycleTest {
    @TempDir Path tmp;

    static JsonNode item(InstancesApiTest.Reply r) {
        return r.body().get("data").get("instances").get(0);
    }

    static JsonNode get(Platform p, String name) throws Exception {
        return item(InstancesApiTest.call(p, "GET", "/v1/instances?name=" + name, null));
    }

    static JsonNode waitFor(Platform p, String name, String state) throws Exception {
        InstancesApiTest.Reply r = InstancesApiTest.call(p, "GET", "/v1/instances/wait?name=" + name + "&state=" + state + "&timeout_s=60", null);
        assertThat(r.body().get("status").asString()).as(r.body().toString()).isEqualTo("success");
        return item(r);
    }

    static String log(Platform p, String name) throws Exception {
        JsonNode l = item(InstancesApiTest.call(p, "GET", "/v1/instances/log?name=" + name, null));
        return new String(Base64.getDecoder().decode(l.get("output").asString()), StandardCharsets.UTF_8);
    }

    static dev.kiln.platform.store.Postgres pg;

    @org.junit.jupiter.api.BeforeAll
    static void postgres() throws Exception {
        pg = dev.kiln.platform.store.Postgres.start();
    }

    @org.junit.jupiter.api.AfterAll
    static void stopPostgres() throws Exception {
        if (pg != null) pg.close();
    }

    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(strings = {"sqlite", "postgresql"})
    void aProbeGuestRunsReportsItsExitCodeAndIsStoppedAndRestartedAsAsked(String db) throws Exception {
        try (Platform p = InstancesApiTest.platform(tmp, db.equals("sqlite") ? null : pg.newDatabase("life"))) {
            // Runs, prints, exits with 3 through isa-debug-exit.
            JsonNode c = item(InstancesApiTest.call(p, "POST", "/v1/instances",
                    "{\"name\":\"once\",\"image\":\"probe:latest\",\"args\":[\"args\",\"env\",\"exit=3\"],\"env\":{\"GREETING\":\"hello world\"},"
                            + "\"autostart\":true,\"timeout_s\":30}"));
            assertThat(c.get("state").asString()).isIn("running", "stopped");
            assertThat(c.get("start_count").asInt()).isEqualTo(1);
            JsonNode once = waitFor(p, "once", "stopped");
            once = get(p, "once");
            assertThat(once.get("exit_code").asInt()).isEqualTo(3);
            assertThat(once.get("stop_reason").asInt()).isEqualTo(3);
            String console = log(p, "once");
            assertThat(console).contains("PROBE-START").contains("ENV GREETING=hello\\x20world").contains("EXIT 3");

            // A guest that runs until stopped: stop, wait, the user's stop reason.
            InstancesApiTest.call(p, "POST", "/v1/instances", "{\"name\":\"long\",\"image\":\"probe:latest\",\"args\":[\"sleep=-1\"],\"autostart\":true}");
            waitFor(p, "long", "running");
            // Suspended: paused in its QEMU (standby); a start resumes the same run.
            JsonNode susp = item(InstancesApiTest.call(p, "PUT", "/v1/instances/suspend", "[{\"name\":\"long\"}]"));
            assertThat(susp.get("state").asString()).isEqualTo("standby");
            assertThat(item(InstancesApiTest.call(p, "PUT", "/v1/instances/start", "[{\"name\":\"long\"}]")).get("state").asString()).isEqualTo("running");
            assertThat(get(p, "long").get("start_count").asInt()).as("resumed, not started again").isEqualTo(1);
            JsonNode stop = item(InstancesApiTest.call(p, "PUT", "/v1/instances/stop", "[{\"name\":\"long\"}]"));
            assertThat(stop.get("previous_state").asString()).isEqualTo("running");
            waitFor(p, "long", "stopped");
            assertThat(get(p, "long").get("stop_reason").asInt()).isEqualTo(15);
            // Started again by uuid: a second run.
            String uuid = get(p, "long").get("uuid").asString();
            InstancesApiTest.call(p, "PUT", "/v1/instances/" + uuid + "/start", null);
            waitFor(p, "long", "running");
            assertThat(get(p, "long").get("start_count").asInt()).isEqualTo(2);
            InstancesApiTest.call(p, "PUT", "/v1/instances/" + uuid + "/stop", "{\"force\":true}");
            waitFor(p, "long", "stopped");
            assertThat(get(p, "long").get("stop_reason").asInt()).isEqualTo(15 | 16);

            // on-failure: exit 1 is restarted (the first time at once).
            InstancesApiTest.call(p, "POST", "/v1/instances", "{\"name\":\"flaky\",\"image\":\"probe:latest\",\"args\":[\"exit=1\"],"
                    + "\"restart_policy\":\"on-failure\",\"autostart\":true}");
            long deadline = System.currentTimeMillis() + 60_000;
            while (get(p, "flaky").get("restart_count").asInt() < 1 && System.currentTimeMillis() < deadline) Thread.sleep(100);
            assertThat(get(p, "flaky").get("restart_count").asInt()).isGreaterThanOrEqualTo(1);
            InstancesApiTest.call(p, "DELETE", "/v1/instances", "[{\"name\":\"flaky\"}]");

            // delete-on-stop: gone once it exits.
            InstancesApiTest.call(p, "POST", "/v1/instances", "{\"name\":\"temp\",\"image\":\"probe:latest\",\"args\":[\"exit=0\"],"
                    + "\"features\":[\"delete-on-stop\"],\"autostart\":true}");
            deadline = System.currentTimeMillis() + 60_000;
            while (System.currentTimeMillis() < deadline
                    && InstancesApiTest.call(p, "GET", "/v1/instances?name=temp", null).body().get("status").asString().equals("success")) {
                Thread.sleep(100);
            }
            assertThat(get(p, "temp").get("error").asInt()).isEqualTo(8);

            // An arg the guest's parser cannot take intact is refused up front, naming it.
            InstancesApiTest.Reply bad = InstancesApiTest.call(p, "POST", "/v1/instances",
                    "{\"name\":\"bad\",\"image\":\"probe:latest\",\"args\":[\"\"],\"autostart\":true}");
            assertThat(bad.status()).isEqualTo(400);
            assertThat(bad.body().get("errors").get(0).get("field").asString()).startsWith("args");
        }
    }

    @Test
    void aRestartedPlatformAdoptsARunningGuestAndMarksOneThatDiedMeanwhile() throws Exception {
        Path data;
        long deadPid;
        {
            Platform p = InstancesApiTest.platform(tmp, null);
            data = p.data();
            try {
                InstancesApiTest.call(p, "POST", "/v1/instances", "{\"name\":\"keep\",\"image\":\"probe:latest\",\"args\":[\"sleep=-1\"],\"autostart\":true}");
                InstancesApiTest.call(p, "POST", "/v1/instances", "{\"name\":\"dies\",\"image\":\"probe:latest\",\"args\":[\"sleep=-1\"],\"autostart\":true}");
                waitFor(p, "keep", "running");
                waitFor(p, "dies", "running");
                deadPid = p.runtime().vm(java.util.UUID.fromString(get(p, "dies").get("uuid").asString())).orElseThrow().pid();
            } catch (Throwable t) {
                p.close(); // a failed set-up stops its guests rather than leaving them running
                throw t;
            }
            // The platform goes away and leaves its guests, as after a crash; one guest dies meanwhile.
            p.runtime().close(true);
            p.api().close();
            p.store().close();
        }
        ProcessHandle.of(deadPid).ifPresent(ProcessHandle::destroyForcibly);
        Thread.sleep(500);
        try (Platform p = Platform.start(new Platform.Options(data, null, "127.0.0.1", 0))) {
            assertThat(p.adopted()).as(get(p, "keep").toString()).isEqualTo(1);
            assertThat(get(p, "keep").get("state").asString()).isEqualTo("running");
            JsonNode dies = get(p, "dies");
            assertThat(dies.get("state").asString()).isEqualTo("stopped");
            assertThat(dies.get("stop_reason").asInt() & 4).as("the platform's bit").isEqualTo(4);
            InstancesApiTest.call(p, "PUT", "/v1/instances/stop", "[{\"name\":\"keep\"}]");
            waitFor(p, "keep", "stopped");
        }
    }
}
