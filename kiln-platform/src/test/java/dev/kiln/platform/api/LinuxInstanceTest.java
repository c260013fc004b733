package dev.kiln.platform.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.fs.build.Source;
import dev.kiln.oci.OciLayout;
import dev.kiln.platform.Platform;
import dev.kiln.platform.guest.LinuxGuestKit;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * A Linux guest through the API: the ready-made {@link LinuxGuestKit} guest with an {@code /app},
 * packed as a kraft-dialect image labelled {@code dev.kiln.guest=linux}; the app prints its args
 * and env on the console and exits 7, which the API reports.
 */
class LinuxInstanceTest {
    @TempDir Path tmp;

    @Test
    void theDebianKernelWithABusyboxInitrdRunsThroughTheApi() throws Exception {
        LinuxGuestKit kit = LinuxGuestKit.find(Path.of(System.getProperty("java.io.tmpdir"), "kiln-linux-guest-kit"));
        String app = "#!/bin/sh\necho \"KILN-LINUX args: $*\"\necho \"KILN-LINUX env: GREETING=$GREETING\"\nexit 7\n";
        Path data = tmp.resolve("data");
        kit.pack(OciLayout.create(data.resolve("images")), "linux:latest",
                Source.memory().file("/app", app.getBytes(StandardCharsets.UTF_8), 0755).build());
        try (Platform p = Platform.start(new Platform.Options(data, null, "127.0.0.1", 0))) {
            InstancesApiTest.Reply c = InstancesApiTest.call(p, "POST", "/v1/instances",
                    "{\"name\":\"tux\",\"image\":\"linux:latest\",\"args\":[\"/app\",\"one\",\"two words\"],\"env\":{\"GREETING\":\"hello\"},"
                            + "\"memory_mb\":256,\"autostart\":true}");
            assertThat(c.status()).as(c.body().toString()).isEqualTo(200);
            JsonNode w = InstanceLifecycleTest.waitFor(p, "tux", "stopped");
            String console = InstanceLifecycleTest.log(p, "tux");
            assertThat(console).as(console).contains("KILN-LINUX args: one two words").contains("KILN-LINUX env: GREETING=hello")
                    .contains("KILN-EXIT 7");
            assertThat(w.get("state").asString()).isEqualTo("stopped");
            JsonNode tux = InstanceLifecycleTest.get(p, "tux");
            assertThat(tux.get("exit_code").asInt()).as(tux.toString()).isEqualTo(7);
        }
    }
}
