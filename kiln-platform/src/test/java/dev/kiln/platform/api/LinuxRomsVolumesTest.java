package dev.kiln.platform.api;

import static dev.kiln.platform.api.InstancesApiTest.call;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.fs.ImageFormat;
import dev.kiln.fs.Images;
import dev.kiln.fs.Node;
import dev.kiln.fs.Tree;
import dev.kiln.fs.EntryPath;
import dev.kiln.fs.build.Source;
import dev.kiln.oci.OciLayout;
import dev.kiln.oci.pack.PackRequest;
import dev.kiln.oci.pack.Packer;
import dev.kiln.platform.Platform;
import dev.kiln.platform.guest.LinuxGuestKit;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * A Linux guest (Debian's kernel, kiln's busybox init) through the API, in one boot: an inline
 * ROM in place at its {@code at}, an image ROM without {@code at} that the guest finds by its
 * disk serial and mounts itself (EROFS), a 9p volume and an ext4 block volume it writes to, and
 * ENOSPC past a volume's size; then the writes read back on the host.
 */
class LinuxRomsVolumesTest {
    @TempDir Path tmp;

    @Test
    void aLinuxGuestReadsItsRomsAndWritesItsVolumesUpToTheirSize() throws Exception {
        LinuxGuestKit kit = LinuxGuestKit.find(Path.of(System.getProperty("java.io.tmpdir"), "kiln-linux-guest-kit"));
        Path data = tmp.resolve("data");
        OciLayout layout = OciLayout.create(data.resolve("images"));
        String app = "#!/bin/sh\n"
                + "echo \"CFG $(cat /etc/app/app.conf)\"\n"
                + LinuxGuestKit.romLookup("www", "/mnt/www") + "\n"
                + "echo \"WWW $(cat /mnt/www/index.html)\"\n"
                + "echo from-linux >> /data/log; echo \"DATA $(cat /data/log)\"\n"
                + "echo block > /blk/note; echo \"BLK $(cat /blk/note)\"\n"
                + "dd if=/dev/zero of=/data/big bs=1M count=64 2>&1 | grep -o 'No space left on device' | head -1 | sed 's/^/FULL9P /'\n"
                + "dd if=/dev/zero of=/blk/big bs=1M count=64 2>&1 | grep -o 'No space left on device' | head -1 | sed 's/^/FULLBLK /'\n"
                + "rm -f /data/big /blk/big; sync\n";
        kit.pack(layout, "linux:latest", Source.memory().file("/app", app.getBytes(StandardCharsets.UTF_8), 0755).build());
        PackRequest.Rom rom = new PackRequest.Rom("www", null, List.of(Source.memory()
                .file("/index.html", "hello from an image ROM".getBytes(StandardCharsets.UTF_8)).build()), ImageFormat.EROFS);
        Packer.pack(PackRequest.builder().rom(rom).build(), layout, "www-rom:1", null);
        try (Platform p = Platform.start(new Platform.Options(data, null, "127.0.0.1", 0))) {
            assertThat(call(p, "POST", "/v1/volumes", "{\"name\":\"blk\",\"size_mb\":16,\"filesystem\":\"ext4\"}").status()).isEqualTo(200);
            InstancesApiTest.Reply c = call(p, "POST", "/v1/instances", "{\"name\":\"tux\",\"image\":\"linux:latest\",\"memory_mb\":256,"
                    + "\"autostart\":true,\"roms\":[{\"name\":\"cfg\",\"at\":\"/etc/app\",\"files\":[{\"path\":\"app.conf\",\"data\":\"mode=demo\"}]},"
                    + "{\"name\":\"www\",\"image\":\"www-rom:1\"}],"
                    + "\"volumes\":[{\"name\":\"data\",\"size_mb\":16,\"at\":\"/data\"},{\"name\":\"blk\",\"at\":\"/blk\"}]}");
            assertThat(c.status()).as(c.body().toString()).isEqualTo(200);
            InstanceLifecycleTest.waitFor(p, "tux", "stopped");
            String console = InstanceLifecycleTest.log(p, "tux");
            assertThat(console).as(console).contains("CFG mode=demo").contains("WWW hello from an image ROM")
                    .contains("DATA from-linux").contains("BLK block").contains("KILN-EXIT 0");
            if (p.instances().volumes().backing().enforcesSize()) {
                assertThat(console).contains("FULL9P No space left on device").contains("FULLBLK No space left on device");
            }
            JsonNode vols = InstanceLifecycleTest.get(p, "tux").get("volumes");
            assertThat(vols).hasSize(2);

            // The writes, from the host: the 9p volume's share, and the block volume exported.
            String dataUuid = vols.get(0).get("uuid").asString();
            Path share = p.instances().volumes().backing().share(java.util.UUID.fromString(dataUuid));
            assertThat(java.nio.file.Files.readString(share.resolve("log"))).isEqualTo("from-linux\n");
            String blkUuid = vols.get(1).get("uuid").asString();
            InstancesApiTest.Reply ex = call(p, "PUT", "/v1/volumes/" + blkUuid + "/export", "{\"output\":\"" + tmp.resolve("blk.tar") + "\"}");
            assertThat(ex.status()).as(ex.body().toString()).isEqualTo(200);
            try (Tree t = Images.read(tmp.resolve("blk.tar"), tmp)) {
                Node.File note = (Node.File) t.get(EntryPath.parse("note")).orElseThrow();
                try (InputStream in = note.content().open()) {
                    assertThat(new String(in.readAllBytes(), StandardCharsets.UTF_8)).isEqualTo("block\n");
                }
            }
        }
    }
}
