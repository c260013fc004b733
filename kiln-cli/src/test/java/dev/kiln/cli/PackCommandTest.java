package dev.kiln.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.fs.Compression;
import dev.kiln.fs.guest.LinuxGuest;
import dev.kiln.fs.guest.Qemu;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * {@code kiln pack}, {@code inspect} and {@code tag} as their consumers see the result: skopeo
 * and umoci read what kiln writes, the dual image resolves per platform, the urunc keys agree in
 * all three places after umoci unpacks them, and a block rootfs kiln built passes e2fsck and is
 * mounted by a real Linux guest.
 */
class PackCommandTest {
    private static final Path KERNEL = dev.kiln.fs.guest.UnikraftProbe.kernel();
    private static final JsonMapper JSON = JsonMapper.builder().build();

    @TempDir Path tmp;
    Path kernel, rootfs;

    @BeforeEach
    void inputs() throws IOException {
        kernel = tmp.resolve("kernel");
        if (Files.isRegularFile(KERNEL)) Files.copy(KERNEL, kernel);
        else Files.write(kernel, new byte[100_000]);
        rootfs = Files.createDirectories(tmp.resolve("rootfs/etc"));
        Files.writeString(rootfs.resolve("motd"), "hello from a kiln block rootfs\n");
        Files.createDirectories(tmp.resolve("rootfs/data/deep"));
        Files.writeString(tmp.resolve("rootfs/data/deep/file"), "x".repeat(10_000));
        rootfs = tmp.resolve("rootfs");
    }

    static String run(String... cmd) throws IOException, InterruptedException {
        Process p;
        try {
            p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        } catch (IOException e) {
            throw new AssertionError(cmd[0] + " is missing: apt-get install " + switch (cmd[0]) {
                case "skopeo" -> "skopeo";
                case "umoci" -> "umoci";
                default -> "e2fsprogs";
            }, e);
        }
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor()).as(String.join(" ", cmd) + ":\n" + out).isZero();
        return out;
    }

    @Test
    void theDualImageResolvesToUruncForLinuxAndToKraftForTheUnikraftPlatform() throws Exception {
        Path layout = tmp.resolve("layout");
        Cli c = Cli.run("pack", "--dialect", "kraft,urunc", "--kernel", kernel.toString(), "--rootfs", rootfs.toString(),
                "--kernel-version", "0.17.0", "-o", "oci:" + layout + ":v1", "--", "walk=/");
        assertThat(c.exit()).as(c.err()).isZero();
        JsonNode in = JSON.readTree(Cli.run("inspect", "--json", "oci:" + layout + ":v1").out());
        String urunc = in.get("manifests").get(0).get("config").get("digest").asString();
        String kraft = in.get("manifests").get(1).get("config").get("digest").asString();

        JsonNode linux = JSON.readTree(run("skopeo", "inspect", "--config", "--override-os", "linux", "--override-arch", "amd64",
                "oci:" + layout + ":v1"));
        assertThat(linux.get("os").asString()).isEqualTo("linux");
        assertThat(linux.get("config").get("Labels").get("com.urunc.unikernel.unikernelType").asString()).isEqualTo("unikraft");
        JsonNode qemu = JSON.readTree(run("skopeo", "inspect", "--config", "--override-os", "qemu", "--override-arch", "x86_64",
                "oci:" + layout + ":v1"));
        assertThat(qemu.get("os").asString()).isEqualTo("qemu");
        assertThat(qemu.get("os.version").asString()).isEqualTo("0.17.0");
        assertThat(urunc).isNotEqualTo(kraft);

        // skopeo copies every manifest unchanged when asked to keep digests (by default it would
        // gzip the layers, and drop their annotations with them).
        run("skopeo", "copy", "--all", "--preserve-digests", "--dest-oci-accept-uncompressed-layers",
                "oci:" + layout + ":v1", "oci:" + tmp.resolve("copy") + ":v1");
        assertThat(Cli.run("inspect", "--json", "oci:" + tmp.resolve("copy") + ":v1").out())
                .contains(in.get("digest").asString());

        assertThat(Cli.run("tag", "oci:" + layout + ":v1", "stable").exit()).isZero();
        assertThat(Cli.run("inspect", "oci:" + layout + ":stable").out()).startsWith("oci:" + layout + ":stable: index " + in.get("digest").asString());
    }

    @Test
    void aUruncBlockRootfsPassesE2fsckAndALinuxGuestMountsIt() throws Exception {
        Path layout = tmp.resolve("layout");
        Cli c = Cli.run("pack", "--dialect", "urunc", "--unikernel-type", "linux", "--kernel", kernel.toString(),
                "--rootfs", rootfs.toString(), "--rootfs-type", "block", "-o", "oci:" + layout + ":blk", "--", "/sbin/init");
        assertThat(c.exit()).as(c.err()).isZero();
        Path bundle = tmp.resolve("bundle");
        run("umoci", "unpack", "--image", layout + ":blk", bundle.toString());
        Path block = bundle.resolve("rootfs/.boot/rootfs");
        run("e2fsck", "-fn", block.toString());

        // urunc.json (base64), the labels and the annotations say the same.
        JsonNode json = JSON.readTree(Files.readAllBytes(bundle.resolve("rootfs/urunc.json")));
        Map<String, String> decoded = new TreeMap<>();
        for (var e : json.properties()) {
            decoded.put(e.getKey(), new String(Base64.getDecoder().decode(e.getValue().asString()), StandardCharsets.UTF_8));
        }
        assertThat(decoded).containsEntry("com.urunc.unikernel.block", "/.boot/rootfs")
                .containsEntry("com.urunc.unikernel.blkMntPoint", "/").containsEntry("com.urunc.unikernel.binary", "/.boot/kernel");
        JsonNode config = JSON.readTree(Files.readAllBytes(bundle.resolve("config.json")));
        JsonNode m = JSON.readTree(Cli.run("inspect", "--json", "oci:" + layout + ":blk").out()).get("manifests").get(0);
        Map<String, String> annotations = new TreeMap<>(), labels = new TreeMap<>();
        m.get("annotations").properties().forEach(e -> annotations.put(e.getKey(), e.getValue().asString()));
        m.get("config").get("Labels").properties().forEach(e -> labels.put(e.getKey(), e.getValue().asString()));
        assertThat(annotations).isEqualTo(decoded);
        assertThat(labels).isEqualTo(decoded);
        assertThat(config.get("process").get("args").get(0).asString()).isEqualTo("/sbin/init");

        LinuxGuest guest = new LinuxGuest(Qemu.find());
        List<String> modules = new ArrayList<>(LinuxGuest.VIRTIO_BLK);
        modules.add("ext4");
        modules.add("crc32c_generic"); // ext4 asks the crypto API for crc32c at mount time, not through modules.dep
        String script = "kiln_insmod " + String.join(" ", guest.loadOrder(modules)) + "\n"
                + "kiln_mount_disks ext4 1\n"
                + "echo \"KILN-MOTD $(cat /mnt/rootfs/etc/motd)\"\n"
                + "echo \"KILN-SIZE $(stat -c %s /mnt/rootfs/data/deep/file)\"\n";
        Path initrd = LinuxGuest.writeInitrd(guest.initrd(script, modules), tmp.resolve("initrd.cpio"), Compression.NONE);
        Qemu.Result r = guest.boot(initrd, List.of(new Qemu.Disk(block, "rootfs")));
        assertThat(r.console()).contains("KILN-MOTD hello from a kiln block rootfs").contains("KILN-SIZE 10000");
    }
}
