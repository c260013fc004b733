package dev.kiln.platform.api;

import static dev.kiln.platform.api.InstancesApiTest.call;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.fs.build.Source;
import dev.kiln.oci.OciLayout;
import dev.kiln.oci.pack.PackRequest;
import dev.kiln.oci.pack.Packer;
import dev.kiln.platform.Platform;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * Volumes through the API: the state machine and its rules (attach only an available volume to a
 * stopped instance, detach of a running one deferred, no delete while attached), instance-scoped
 * volumes, and data written by the real Unikraft probe guest that outlives restarts of the
 * instance, its deletion and a restart of the platform, read back by a second instance.
 */
class VolumesApiTest {
    @TempDir Path tmp;

    private Platform platform() throws Exception {
        Path data = tmp.resolve("data");
        if (!java.nio.file.Files.exists(data.resolve("images"))) {
            OciLayout layout = OciLayout.create(data.resolve("images"));
            Packer.pack(PackRequest.builder().kernel(dev.kiln.fs.guest.UnikraftProbe.kernel()).rootfsSource(Source.memory()
                    .file("/etc/motd", "hi\n".getBytes(StandardCharsets.UTF_8)).build()).build(), layout, "probe:latest", null);
        }
        return Platform.start(new Platform.Options(data, null, "127.0.0.1", 0));
    }

    private static JsonNode ok(InstancesApiTest.Reply r) {
        assertThat(r.status()).as(r.body().toString()).isEqualTo(200);
        assertThat(r.body().get("status").asString()).as(r.body().toString()).isEqualTo("success");
        return r.body().get("data");
    }

    private static JsonNode volume(Platform p, String name) throws Exception {
        return ok(call(p, "GET", "/v1/volumes?name=" + name, null)).get("volumes").get(0);
    }

    private static void instance(Platform p, String name, String args, String volumes) throws Exception {
        ok(call(p, "POST", "/v1/instances", "{\"name\":\"" + name + "\",\"image\":\"probe:latest\",\"args\":" + args
                + (volumes == null ? "" : ",\"volumes\":" + volumes) + "}"));
    }

    private static String run(Platform p, String name) throws Exception {
        ok(call(p, "PUT", "/v1/instances/start", "[{\"name\":\"" + name + "\"}]"));
        InstanceLifecycleTest.waitFor(p, name, "stopped");
        return InstanceLifecycleTest.log(p, name).replace("\r", "");
    }

    @Test
    void aVolumeGoesFromAvailableToIdleToMountedAndBackWithTheRulesOfEachState() throws Exception {
        try (Platform p = platform()) {
            JsonNode created = ok(call(p, "POST", "/v1/volumes", "{\"name\":\"data\",\"size_mb\":16}")).get("volumes").get(0);
            assertThat(created.get("state").asString()).isEqualTo("available");
            ok(call(p, "POST", "/v1/volumes", "{\"name\":\"spare\",\"size_mb\":8}"));
            instance(p, "idle", "[\"sleep=-1\"]", null);
            instance(p, "other", "[]", null);

            // attach: the volume becomes idle, the instance lists it
            ok(call(p, "PUT", "/v1/volumes/attach", "[{\"name\":\"data\",\"attach_to\":{\"name\":\"idle\"},\"at\":\"/data\"}]"));
            assertThat(volume(p, "data").get("state").asString()).isEqualTo("idle");
            assertThat(volume(p, "data").get("attached_to").get(0).get("name").asString()).isEqualTo("idle");
            JsonNode vs = InstanceLifecycleTest.get(p, "idle").get("volumes");
            assertThat(vs.get(0).get("name").asString()).isEqualTo("data");
            assertThat(vs.get(0).get("at").asString()).isEqualTo("/data");

            // an attached volume is not available: not attachable again, not deletable
            InstancesApiTest.Reply again = call(p, "PUT", "/v1/volumes/attach", "[{\"name\":\"data\",\"attach_to\":{\"name\":\"other\"},\"at\":\"/d\"}]");
            assertThat(again.body().get("data").get("volumes").get(0).get("message").asString()).contains("is idle").contains("only an available volume");
            InstancesApiTest.Reply del = call(p, "DELETE", "/v1/volumes", "[{\"name\":\"data\"}]");
            assertThat(del.body().get("status").asString()).isEqualTo("error");
            assertThat(del.body().get("data").get("volumes").get(0).get("message").asString()).contains("attached to instance 'idle'");
            // the same mount point twice, and paths that try to escape
            for (String at : new String[] {"/data", "data", "/a/../b", "/a:b", "/"}) {
                InstancesApiTest.Reply r = call(p, "PUT", "/v1/volumes/attach", "[{\"name\":\"spare\",\"attach_to\":{\"name\":\"idle\"},\"at\":\"" + at + "\"}]");
                assertThat(r.status()).as(at + ": " + r.body()).isEqualTo(400);
                assertThat(r.body().get("errors").get(0).get("field").asString()).isEqualTo("at");
            }

            // running: mounted; attach refused; detach deferred until it stops
            ok(call(p, "PUT", "/v1/instances/start", "[{\"name\":\"idle\"}]"));
            InstanceLifecycleTest.waitFor(p, "idle", "running");
            assertThat(volume(p, "data").get("state").asString()).isEqualTo("mounted");
            assertThat(volume(p, "data").get("mounted_by").get(0).get("name").asString()).isEqualTo("idle");
            InstancesApiTest.Reply busy = call(p, "PUT", "/v1/volumes/attach", "[{\"name\":\"spare\",\"attach_to\":{\"name\":\"idle\"},\"at\":\"/s\"}]");
            assertThat(busy.body().get("data").get("volumes").get(0).get("message").asString()).contains("is running").contains("stopped instances");
            JsonNode detached = ok(call(p, "PUT", "/v1/volumes/detach", "[{\"name\":\"data\"}]")).get("volumes").get(0);
            assertThat(detached.get("message").asString()).contains("deferred");
            assertThat(volume(p, "data").get("state").asString()).isEqualTo("mounted");
            ok(call(p, "PUT", "/v1/instances/stop", "[{\"name\":\"idle\",\"force\":true}]"));
            InstanceLifecycleTest.waitFor(p, "idle", "stopped");
            assertThat(volume(p, "data").get("state").asString()).isEqualTo("available");
            assertThat(volume(p, "data").get("attached_to")).isEmpty();
            ok(call(p, "DELETE", "/v1/volumes", "[{\"name\":\"data\"}]"));
            assertThat(call(p, "GET", "/v1/volumes?name=data", null).body().get("data").get("volumes").get(0).get("error").asInt()).isEqualTo(8);
        }
    }

    @Test
    void badVolumeRequestsAre400sNamingTheField() throws Exception {
        try (Platform p = platform()) {
            String[][] cases = {
                    {"{\"name\":\"v\"}", "size_mb"},
                    {"{\"size_mb\":8}", "name"},
                    {"{\"name\":\"-v\",\"size_mb\":8}", "name"},
                    {"{\"name\":\"v\",\"size_mb\":0}", "size_mb"},
                    {"{\"name\":\"v\",\"size_mb\":8,\"filesystem\":\"xfs\"}", "filesystem"},
                    {"{\"name\":\"v\",\"size_mb\":8,\"colour\":1}", "colour"},
                    {"{\"name\":\"v\",\"size_mb\":8,\"host_path\":\"/tmp\"}", "size_mb"},
                    {"{\"name\":\"v\",\"host_path\":\"relative\"}", "host_path"},
            };
            for (String[] c : cases) {
                InstancesApiTest.Reply r = call(p, "POST", "/v1/volumes", c[0]);
                assertThat(r.status()).as(c[0] + ": " + r.body()).isEqualTo(400);
                assertThat(r.body().get("errors").get(0).get("field").asString()).as(r.body().toString()).isEqualTo(c[1]);
            }
            ok(call(p, "POST", "/v1/volumes", "{\"name\":\"v\",\"size_mb\":8}"));
            assertThat(call(p, "POST", "/v1/volumes", "{\"name\":\"v\",\"size_mb\":8}").status()).isEqualTo(409);
            ok(call(p, "POST", "/v1/volumes", "{\"name\":\"blk\",\"size_mb\":8,\"filesystem\":\"ext4\"}"));
            instance(p, "uk", "[]", null);
            InstancesApiTest.Reply blk = call(p, "PUT", "/v1/volumes/attach", "[{\"name\":\"blk\",\"attach_to\":{\"name\":\"uk\"},\"at\":\"/b\"}]");
            assertThat(blk.status()).isEqualTo(400);
            assertThat(blk.body().get("message").asString()).contains("only a Linux guest");

            // an instance create naming a volume that is not available creates nothing at all
            ok(call(p, "PUT", "/v1/volumes/attach", "[{\"name\":\"v\",\"attach_to\":{\"name\":\"uk\"},\"at\":\"/v\"}]"));
            InstancesApiTest.Reply r = call(p, "POST", "/v1/instances", "{\"name\":\"x\",\"image\":\"probe:latest\",\"volumes\":["
                    + "{\"name\":\"fresh\",\"size_mb\":8,\"at\":\"/f\"},{\"name\":\"v\",\"at\":\"/v\"}]}");
            assertThat(r.status()).as(r.body().toString()).isEqualTo(409);
            assertThat(call(p, "GET", "/v1/instances?name=x", null).body().get("data").get("instances").get(0).get("error").asInt()).isEqualTo(8);
            assertThat(call(p, "GET", "/v1/volumes?name=fresh", null).body().get("data").get("volumes").get(0).get("error").asInt()).isEqualTo(8);
            for (String bad : new String[] {"{\"name\":\"n\",\"size_mb\":8}", "{\"name\":\"n\",\"size_mb\":8,\"at\":\"x\"}",
                    "{\"name\":\"nope\",\"at\":\"/n\"}", "{\"name\":\"n\",\"size_mb\":8,\"at\":\"/n\",\"quota_policy\":\"x\"}"}) {
                InstancesApiTest.Reply b = call(p, "POST", "/v1/instances", "{\"image\":\"probe:latest\",\"volumes\":[" + bad + "]}");
                assertThat(b.status()).as(bad + ": " + b.body()).isEqualTo(400);
                assertThat(b.body().get("errors").get(0).get("field").asString()).startsWith("volumes[0].");
            }
            assertThat(ok(call(p, "GET", "/v1/instances", null)).get("instances")).hasSize(1);
        }
    }

    @Test
    void dataAGuestWritesOutlivesItsRestartsItsDeletionAndAPlatformRestart() throws Exception {
        try (Platform p = platform()) {
            ok(call(p, "POST", "/v1/volumes", "{\"name\":\"keep\",\"size_mb\":16}"));
            instance(p, "writer", "[\"append=/data/log=x\",\"cat=/data/log\"]", "[{\"name\":\"keep\",\"at\":\"/data\"}]");
            assertThat(run(p, "writer")).contains("CAT /data/log size=1 ");
            assertThat(run(p, "writer")).contains("CAT /data/log size=2 ");
            // an instance-scoped volume goes with its instance; the persistent one is detached
            ok(call(p, "POST", "/v1/instances", "{\"name\":\"scoped\",\"image\":\"probe:latest\",\"volumes\":[{\"name\":\"mine\",\"size_mb\":8,\"at\":\"/m\"}]}"));
            assertThat(volume(p, "mine").get("persistent").asBoolean()).isFalse();
            ok(call(p, "DELETE", "/v1/instances", "[{\"name\":\"writer\"},{\"name\":\"scoped\"}]"));
            assertThat(volume(p, "keep").get("state").asString()).isEqualTo("available");
            assertThat(call(p, "GET", "/v1/volumes?name=mine", null).body().get("data").get("volumes").get(0).get("error").asInt()).isEqualTo(8);
        }
        try (Platform p = platform()) {
            instance(p, "reader", "[\"cat=/data/log\",\"write=/ro/x=1\"]",
                    "[{\"name\":\"keep\",\"at\":\"/data\",\"readonly\":true}]");
            String c = run(p, "reader");
            assertThat(c).contains("CAT /data/log size=2 ").contains("data=xx");
        }
    }

    @Test
    void aReadOnlyVolumeRefusesTheGuestsWrites() throws Exception {
        try (Platform p = platform()) {
            ok(call(p, "POST", "/v1/volumes", "{\"name\":\"ro\",\"size_mb\":8}"));
            instance(p, "w", "[\"write=/ro/x=1\",\"append=/ro/y=2\",\"mkdir=/ro/z\"]", "[{\"name\":\"ro\",\"at\":\"/ro\",\"readonly\":true}]");
            String c = run(p, "w");
            assertThat(c).contains("ERR write=/ro/x=1 errno=30").contains("ERR append=/ro/y=2 errno=30").contains("ERR mkdir=/ro/z errno=30");
        }
    }
}
