package dev.kiln.platform.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.fs.ImageFormat;
import dev.kiln.fs.build.Source;
import dev.kiln.oci.OciLayout;
import dev.kiln.oci.pack.PackRequest;
import dev.kiln.oci.pack.Packer;
import dev.kiln.platform.Platform;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * The official Unikraft Cloud JS SDK ({@code @unikraft/cloud} 0.2.0, from the committed lockfile)
 * drives ROMs and volumes on kiln serve ({@code src/test/js/sdk-roms-volumes.mjs}): the real
 * Unikraft probe guest reads inline ROMs given as base64 and as text and an image ROM, the SDK
 * reads its log and sees the ROMs echoed; a volume is created, attached to the stopped instance,
 * seen attached, detached and deleted; and a create kiln refuses reaches the SDK's caller as the
 * SDK's error carrying kiln's message.
 */
class RomsSdkTest {
    @TempDir Path tmp;

    /** A platform with the probe (a base file at /etc/app that the ROM must hide) and a ROM image holding /index.html. */
    private Platform platform() throws Exception {
        Path data = tmp.resolve("data");
        OciLayout layout = OciLayout.create(data.resolve("images"));
        Path kernel = dev.kiln.fs.guest.UnikraftProbe.kernel();
        Packer.pack(PackRequest.builder().kernel(kernel).rootfsSource(Source.memory()
                .file("/etc/app/config.json", "{\"base\":true}\n".getBytes(StandardCharsets.UTF_8)).build()).build(), layout, "probe:latest", null);
        PackRequest.Rom rom = new PackRequest.Rom("www", null, List.of(Source.memory()
                .file("/index.html", "<p>from the image rom</p>\n".getBytes(StandardCharsets.UTF_8)).build()), ImageFormat.EROFS);
        Packer.pack(PackRequest.builder().rom(rom).build(), layout, "www-rom:1", null);
        return Platform.start(new Platform.Options(data, null, "127.0.0.1", 0));
    }

    /** Runs the script against the platform and returns its steps by name. */
    private static Map<String, JsonNode> runScript(Platform p) throws Exception {
        Map<String, JsonNode> steps = SdkScript.run("sdk-roms-volumes.mjs", p, Map.of("KILN_IMAGE", "probe:latest", "KILN_ROM_IMAGE", "www-rom:1"));
        assertThat(steps).as(steps.toString()).containsKeys("create", "wait-stopped", "logs", "get", "volume-create", "volume-attach", "volume-get",
                "instance-volumes", "volume-detach", "volume-detached", "volume-delete", "volume-list", "refused", "instances");
        return steps;
    }

    @Test
    void theOfficialJsSdkBootsAnInstanceWithRomsAndAttachesDetachesAndDeletesAVolume() throws Exception {
        try (Platform p = platform()) {
            Map<String, JsonNode> steps = runScript(p);
            String uuid = steps.get("create").get("uuid").asString();

            assertThat(steps.get("wait-stopped").get("state").asString()).isEqualTo("stopped");
            String console = steps.get("logs").get("console").asString().replace("\r", "");
            assertThat(console).contains("PROBE-DONE errors=0");
            assertThat(console).as("the base64 file, decoded").contains("CAT /etc/app/from-base64.txt size=17 ")
                    .contains("data=bytes\\x20via\\x20base64\\x0a");
            assertThat(console).as("the text file, in a directory the platform made").contains("CAT /etc/app/conf/from-text.txt size=10 ")
                    .contains("data=plain\\x20text");
            assertThat(console).as("the image ROM").contains("CAT /srv/www/index.html size=26 ");
            assertThat(console).as("the base's file under the ROM's at is hidden").doesNotContain("/etc/app/config.json");

            JsonNode roms = steps.get("get").get("roms");
            assertThat(steps.get("get").get("uuid").asString()).isEqualTo(uuid);
            assertThat(roms).hasSize(2);
            assertThat(roms.get(0).get("name").asString()).isEqualTo("cfg");
            assertThat(roms.get(0).get("at").asString()).isEqualTo("/etc/app");
            assertThat(roms.get(0).get("files").get(0).get("encoding").asString()).isEqualTo("base64");
            assertThat(roms.get(0).get("files").get(1).get("path").asString()).isEqualTo("conf/from-text.txt");
            assertThat(roms.get(0).get("files").get(1).get("data").asString()).isEqualTo("plain text");
            assertThat(roms.get(1).get("name").asString()).isEqualTo("www");
            assertThat(roms.get(1).get("image").asString()).startsWith("www-rom:1@sha256:");
            assertThat(roms.get(1).get("at").asString()).isEqualTo("/srv/www");

            String volume = steps.get("volume-create").get("uuid").asString();
            assertThat(steps.get("volume-create").get("state").asString()).isEqualTo("available");
            assertThat(steps.get("volume-attach").get("uuid").asString()).isEqualTo(volume);
            assertThat(steps.get("volume-get").get("attached_to").get(0).get("uuid").asString()).isEqualTo(uuid);
            assertThat(steps.get("volume-get").get("state").asString()).as("attached to a stopped instance").isEqualTo("idle");
            assertThat(steps.get("instance-volumes").get(0).get("at").asString()).isEqualTo("/data");
            assertThat(steps.get("volume-detach").get("uuid").asString()).isEqualTo(volume);
            assertThat(steps.get("volume-detached").get("state").asString()).isEqualTo("available");
            assertThat(steps.get("volume-detached").get("attached_to")).isEmpty();
            assertThat(steps.get("volume-delete").get("uuid").asString()).isEqualTo(volume);
            assertThat(steps.get("volume-list")).isEmpty();

            JsonNode refused = steps.get("refused");
            assertThat(refused.get("name").asString()).as(refused.toString()).isEqualTo("UnikraftCloudError");
            assertThat(refused.get("status").asInt()).isEqualTo(400);
            assertThat(refused.get("message").asString()).isEqualTo("9 ROMs; an instance has at most 8");
            assertThat(refused.get("errors").get(0).get("field").asString()).isEqualTo("roms");
            assertThat(steps.get("instances").valueStream().map(JsonNode::asString).toList()).as("the refused create left nothing")
                    .isEqualTo(List.of("sdk-rom"));
        }
    }
}
