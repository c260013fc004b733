package dev.kiln.platform.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.fs.build.MemorySource;
import dev.kiln.fs.build.Source;
import dev.kiln.fs.guest.Qemu;
import dev.kiln.oci.OciLayout;
import dev.kiln.oci.pack.PackRequest;
import dev.kiln.oci.pack.Packer;
import dev.kiln.platform.Platform;
import dev.kiln.platform.image.ImageCatalog;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * A Linux guest through the API: Debian's kernel with a kiln-built busybox initramfs, packed as a
 * kraft-dialect image labelled {@code dev.kiln.guest=linux}; it prints its args and env on the
 * console and powers off.
 */
class LinuxInstanceTest {
    @TempDir Path tmp;

    @Test
    void theDebianKernelWithABusyboxInitrdRunsThroughTheApi() throws Exception {
        Qemu debian = Qemu.find();
        Path busybox = Path.of("/bin/busybox");
        if (!Files.isRegularFile(busybox)) throw new AssertionError("/bin/busybox not found: apt-get install busybox-static");
        String init = "#!/bin/sh\n/bin/busybox mount -t proc proc /proc\n"
                + "echo \"KILN-LINUX args: $*\"\necho \"KILN-LINUX env: GREETING=$GREETING\"\n"
                + "/bin/busybox poweroff -f\n";
        MemorySource files = Source.memory().file("/bin/busybox", Files.readAllBytes(busybox), 0755)
                .symlink("/bin/sh", "busybox").directory("/proc")
                .file("/init", init.getBytes(StandardCharsets.UTF_8), 0755).build();
        Path data = tmp.resolve("data");
        PackRequest r = PackRequest.builder().kernel(debian.bootImage()).rootfsSource(files).label(ImageCatalog.GUEST_LABEL, "linux").build();
        Packer.pack(r, OciLayout.create(data.resolve("images")), "linux:latest", null);
        try (Platform p = Platform.start(new Platform.Options(data, null, "127.0.0.1", 0))) {
            InstancesApiTest.Reply c = InstancesApiTest.call(p, "POST", "/v1/instances",
                    "{\"name\":\"tux\",\"image\":\"linux:latest\",\"args\":[\"one\",\"two words\"],\"env\":{\"GREETING\":\"hello\"},"
                            + "\"memory_mb\":256,\"autostart\":true}");
            assertThat(c.status()).as(c.body().toString()).isEqualTo(200);
            JsonNode w = InstanceLifecycleTest.waitFor(p, "tux", "stopped");
            String console = InstanceLifecycleTest.log(p, "tux");
            assertThat(console).as(console).contains("KILN-LINUX args: one two words").contains("KILN-LINUX env: GREETING=hello");
            assertThat(w.get("state").asString()).isEqualTo("stopped");
        }
    }
}
