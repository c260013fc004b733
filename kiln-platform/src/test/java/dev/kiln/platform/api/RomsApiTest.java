package dev.kiln.platform.api;

import static dev.kiln.platform.api.InstancesApiTest.call;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.fs.ImageFormat;
import dev.kiln.fs.build.Source;
import dev.kiln.oci.OciLayout;
import dev.kiln.oci.pack.PackRequest;
import dev.kiln.oci.pack.Packer;
import dev.kiln.platform.Platform;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * ROMs through the API with the real Unikraft 0.17 probe guest: inline and image ROMs at their
 * {@code at} as the guest sees them, the base's files there hidden, every limit and hostile
 * entry refused naming the field with nothing created, one blob per content, and blobs gone
 * with their last instance.
 */
class RomsApiTest {
    @TempDir Path tmp;

    /** A platform whose store holds the probe with /etc/app/config.json, a cpio ROM image and a kernel-only image. */
    private Platform platform() throws Exception {
        Path data = tmp.resolve("data");
        OciLayout layout = OciLayout.create(data.resolve("images"));
        Path kernel = dev.kiln.fs.guest.UnikraftProbe.kernel();
        Packer.pack(PackRequest.builder().kernel(kernel).rootfsSource(Source.memory()
                .file("/etc/app/config.json", "{\"base\":true}\n".getBytes(StandardCharsets.UTF_8))
                .file("/etc/motd", "base motd\n".getBytes(StandardCharsets.UTF_8)).build()).build(), layout, "probe:latest", null);
        Packer.pack(PackRequest.builder().kernel(kernel).build(), layout, "bare:latest", null);
        // A ROM image as kiln pack --dialect kraft --rom writes it; cpio, to show any format lands at `at`.
        PackRequest.Rom rom = new PackRequest.Rom("www", null, List.of(Source.memory()
                .file("/index.html", "<h1>rom</h1>\n".getBytes(StandardCharsets.UTF_8), 0640)
                .file("/css/site.css", "body{}\n".getBytes(StandardCharsets.UTF_8)).build()), ImageFormat.CPIO);
        Packer.pack(PackRequest.builder().rom(rom).build(), layout, "www-rom:1", null);
        return Platform.start(new Platform.Options(data, null, "127.0.0.1", 0));
    }

    private static String inline(String name, String at, String... pathAndText) {
        StringBuilder b = new StringBuilder("{\"name\":\"" + name + "\"" + (at == null ? "" : ",\"at\":\"" + at + "\"") + ",\"files\":[");
        for (int i = 0; i < pathAndText.length; i += 2) {
            if (i > 0) b.append(',');
            b.append("{\"path\":\"").append(pathAndText[i]).append("\",\"data\":\"").append(pathAndText[i + 1]).append("\"}");
        }
        return b.append("]}").toString();
    }

    private static List<String> blobs(Platform p) throws Exception {
        Path dir = p.data().resolve("roms").resolve("sha256");
        if (!Files.isDirectory(dir)) return List.of();
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(x -> x.getFileName().toString()).filter(x -> !x.startsWith(".")).sorted().toList();
        }
    }

    @Test
    void inlineAndImageRomsAreInPlaceAtTheirPathsWithTheBaseFilesThereHidden() throws Exception {
        try (Platform p = platform()) {
            String body = "{\"name\":\"web\",\"image\":\"probe:latest\",\"autostart\":true,"
                    + "\"args\":[\"walk=/etc\",\"cat=/etc/app/settings.json\",\"cat=/etc/motd\",\"walk=/srv\",\"cat=/srv/www/index.html\"],"
                    + "\"roms\":[" + inline("cfg", "/etc/app", "settings.json", "{\\\"rom\\\":1}", "/deep/er/x.txt", "x")
                    + ",{\"name\":\"www\",\"image\":\"www-rom:1\",\"at\":\"/srv/www\"}]}";
            InstancesApiTest.Reply r = call(p, "POST", "/v1/instances", body);
            assertThat(r.status()).as(r.body().toString()).isEqualTo(200);
            JsonNode roms = InstanceLifecycleTest.item(r).get("roms");
            assertThat(roms.get(0).get("files").get(0).get("path").asString()).isEqualTo("settings.json");
            assertThat(roms.get(1).get("image").asString()).startsWith("www-rom:1@sha256:");

            InstanceLifecycleTest.waitFor(p, "web", "stopped");
            String c = InstanceLifecycleTest.log(p, "web").replace("\r", "");
            assertThat(c).contains("PROBE-DONE errors=0");
            assertThat(c).contains("CAT /etc/app/settings.json size=9 ").contains("data={\"rom\":1}");
            assertThat(c).containsPattern("E f 0644 0 0 1 0 \\d+ \\d+ /etc/app/deep/er/x.txt ");
            assertThat(c).as("the base's file under the ROM's at is hidden").doesNotContain("/etc/app/config.json");
            assertThat(c).contains("CAT /etc/motd size=10 ");
            assertThat(c).containsPattern("E f 0640 0 0 13 0 \\d+ \\d+ /srv/www/index.html ").contains("/srv/www/css/site.css");
            assertThat(c).contains("data=<h1>rom</h1>\\x0a");
        }
    }

    @Test
    void aPatchOfRomsOnAStoppedInstanceTakesEffectAtTheNextStart() throws Exception {
        try (Platform p = platform()) {
            String body = "{\"name\":\"p\",\"image\":\"probe:latest\",\"args\":[\"cat=/cfg/v\"],\"roms\":[" + inline("cfg", "/cfg", "v", "one") + "]}";
            assertThat(call(p, "POST", "/v1/instances", body).status()).isEqualTo(200);
            assertThat(call(p, "PUT", "/v1/instances/start", "[{\"name\":\"p\"}]").status()).isEqualTo(200);
            InstanceLifecycleTest.waitFor(p, "p", "stopped");
            assertThat(InstanceLifecycleTest.log(p, "p")).contains("data=one");
            String oldBlob = blobs(p).getFirst();

            InstancesApiTest.Reply r = call(p, "PATCH", "/v1/instances", "[{\"name\":\"p\",\"prop\":\"roms\",\"op\":\"set\",\"value\":["
                    + inline("cfg", "/cfg", "v", "two") + "]}]");
            assertThat(r.status()).as(r.body().toString()).isEqualTo(200);
            assertThat(blobs(p)).as("the old ROM's blob goes with its last reference").doesNotContain(oldBlob).hasSize(1);
            assertThat(call(p, "PUT", "/v1/instances/start", "[{\"name\":\"p\"}]").status()).isEqualTo(200);
            InstanceLifecycleTest.waitFor(p, "p", "stopped");
            assertThat(InstanceLifecycleTest.log(p, "p")).contains("data=two").doesNotContain("data=one");

            // add keeps the ROMs there and appends; a name or path they use is refused as an entry after them
            r = call(p, "PATCH", "/v1/instances", "[{\"name\":\"p\",\"prop\":\"roms\",\"op\":\"add\",\"value\":["
                    + inline("extra", "/x", "e", "x") + "]}]");
            assertThat(r.status()).as(r.body().toString()).isEqualTo(200);
            JsonNode roms = InstanceLifecycleTest.get(p, "p").get("roms");
            assertThat(roms.get(0).get("name").asString()).isEqualTo("cfg");
            assertThat(roms.get(1).get("name").asString()).isEqualTo("extra");
            assertThat(blobs(p)).hasSize(2);
            r = call(p, "PATCH", "/v1/instances", "[{\"name\":\"p\",\"prop\":\"roms\",\"op\":\"add\",\"value\":["
                    + inline("cfg", "/y", "f", "y") + "]}]");
            assertThat(r.status()).isEqualTo(400);
            assertThat(r.body().get("errors").get(0).get("field").asString()).isEqualTo("roms[2].name");
            r = call(p, "PATCH", "/v1/instances", "[{\"name\":\"p\",\"prop\":\"roms\",\"op\":\"add\",\"value\":["
                    + inline("other", "/cfg", "f", "y") + "]}]");
            assertThat(r.status()).isEqualTo(400);
            assertThat(r.body().get("errors").get(0).get("field").asString()).isEqualTo("roms[2].at");
            r = call(p, "PATCH", "/v1/instances", "[{\"name\":\"p\",\"prop\":\"roms\",\"op\":\"del\",\"value\":[\"extra\"]}]");
            assertThat(r.status()).as(r.body().toString()).isEqualTo(200);
            assertThat(InstanceLifecycleTest.get(p, "p").get("roms")).hasSize(1);
            assertThat(blobs(p)).as("the deleted ROM's blob goes, the refused ones left none").hasSize(1);
        }
    }

    @Test
    void identicalInlineRomsAreStoredOnceAndGoWithTheirLastInstance() throws Exception {
        try (Platform p = platform()) {
            for (String n : List.of("a", "b")) {
                String body = "{\"name\":\"" + n + "\",\"image\":\"probe:latest\",\"roms\":[" + inline("cfg", null, "f", "same") + "]}";
                assertThat(call(p, "POST", "/v1/instances", body).status()).isEqualTo(200);
            }
            String other = "{\"name\":\"c\",\"image\":\"probe:latest\",\"roms\":[" + inline("cfg", null, "f", "different") + "]}";
            assertThat(call(p, "POST", "/v1/instances", other).status()).isEqualTo(200);
            assertThat(blobs(p)).hasSize(2);
            assertThat(call(p, "DELETE", "/v1/instances", "[{\"name\":\"a\"}]").status()).isEqualTo(200);
            assertThat(blobs(p)).hasSize(2);
            assertThat(call(p, "DELETE", "/v1/instances", "[{\"name\":\"b\"},{\"name\":\"c\"}]").status()).isEqualTo(200);
            assertThat(blobs(p)).isEmpty();
        }
    }

    @Test
    void badRomEntriesAre400sNamingTheFieldAndCreateNothing() throws Exception {
        try (Platform p = platform()) {
            String big = Base64.getEncoder().encodeToString(new byte[(1 << 20) + 1]);
            List<String> nine = new ArrayList<>();
            for (int i = 0; i < 9; i++) nine.add(inline("r" + i, null, "f", "x"));
            List<String> files17 = new ArrayList<>();
            for (int i = 0; i < 17; i++) {
                files17.add("f" + i);
                files17.add("x");
            }
            String[][] cases = {
                    {String.join(",", nine), "roms"},
                    {inline("r", null, files17.toArray(String[]::new)), "roms[0].files"},
                    {"{\"name\":\"r\",\"files\":[{\"path\":\"big\",\"encoding\":\"base64\",\"data\":\"" + big + "\"}]}", "roms[0].files"},
                    {inline("r", null, "../etc/passwd", "x"), "roms[0].files[0].path"},
                    {inline("r", null, "a/./b", "x"), "roms[0].files[0].path"},
                    {inline("r", null, "a\\u0000b", "x"), "roms[0].files[0].path"},
                    {inline("r", null, "", "x"), "roms[0].files[0].path"},
                    {inline("r", null, "a//b", "x"), "roms[0].files[0].path"},
                    {inline("r", null, "a", "x", "/a", "y"), "roms[0].files[1].path"},
                    {inline("r", null, "a", "x", "a/b", "y"), "roms[0].files[1].path"},
                    {"{\"name\":\"r\",\"files\":[{\"path\":\"a\",\"encoding\":\"base64\",\"data\":\"!!\"}]}", "roms[0].files[0].data"},
                    {"{\"name\":\"r\",\"files\":[{\"path\":\"a\",\"encoding\":\"hex\",\"data\":\"00\"}]}", "roms[0].files[0].encoding"},
                    {"{\"name\":\"r\",\"image\":\"www-rom:1\",\"files\":[]}", "roms[0]"},
                    {"{\"name\":\"r\"}", "roms[0]"},
                    {"{\"name\":\"r\",\"image\":\"bare:latest\"}", "roms[0].image"},
                    {"{\"name\":\"r\",\"image\":\"nope:latest\"}", "roms[0].image"},
                    {inline("thirteen_char", null, "f", "x"), "roms[0].name"},
                    {inline("a:b", null, "f", "x"), "roms[0].name"},
                    {inline("r", null, "f", "x") + "," + inline("r", null, "g", "x"), "roms[1].name"},
                    {inline("r", "etc", "f", "x"), "roms[0].at"},
                    {inline("r", "/a:b", "f", "x"), "roms[0].at"},
                    {inline("r", "/a/../b", "f", "x"), "roms[0].at"},
                    {inline("r", "/", "f", "x"), "roms[0].at"},
                    {inline("r", "/x", "f", "x") + "," + inline("s", "/x", "f", "x"), "roms[1].at"},
                    {"{\"name\":\"r\",\"files\":[],\"colour\":1}", "roms[0].colour"},
            };
            for (String[] c : cases) {
                InstancesApiTest.Reply r = call(p, "POST", "/v1/instances", "{\"name\":\"bad\",\"image\":\"probe:latest\",\"roms\":[" + c[0] + "]}");
                assertThat(r.status()).as(c[0].length() > 200 ? c[0].substring(0, 200) : c[0]).isEqualTo(400);
                assertThat(r.body().get("errors").get(0).get("field").asString()).as(r.body().toString()).isEqualTo(c[1]);
            }
            assertThat(call(p, "GET", "/v1/instances", null).body().get("data").get("instances")).isEmpty();
            assertThat(blobs(p)).as("no blob is left by a refused create").isEmpty();

            String huge = "{\"name\":\"r\",\"files\":[{\"path\":\"a\",\"data\":\"" + "x".repeat(9 << 20) + "\"}]}";
            assertThat(call(p, "POST", "/v1/instances", "{\"image\":\"probe:latest\",\"roms\":[" + huge + "]}").status()).isEqualTo(413);
            assertThat(call(p, "GET", "/v1/instances", null).status()).as("the platform keeps serving").isEqualTo(200);
        }
    }

    @Test
    void aRomImageWhoseBlobWasDamagedIsRefusedNamingItsDigest() throws Exception {
        try (Platform p = platform()) {
            OciLayout layout = OciLayout.open(p.data().resolve("images"));
            var top = layout.index().manifests().stream().filter(d -> "www-rom:1".equals(d.annotations().get(OciLayout.REF_NAME))).findFirst().orElseThrow();
            var m = dev.kiln.oci.Inspection.of(layout, top).manifests().getFirst().manifest();
            var blob = m.layers().getFirst();
            Path file = layout.blobPath(blob.digest());
            byte[] b = Files.readAllBytes(file);
            b[b.length / 2] ^= 1;
            Files.write(file, b);
            InstancesApiTest.Reply r = call(p, "POST", "/v1/instances", "{\"image\":\"probe:latest\",\"roms\":[{\"name\":\"w\",\"image\":\"www-rom:1\"}]}");
            assertThat(r.status()).as(r.body().toString()).isEqualTo(400);
            assertThat(r.body().get("message").asString()).contains(blob.digest().toString());
        }
    }
}
