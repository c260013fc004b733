package dev.kiln.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.oci.registry.DockerRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.json.JsonMapper;

/** kiln pack, push to a real registry (Debian's docker-registry), pull back: the same digests, and skopeo sees what was pushed. */
class PushPullCommandTest {
    @TempDir Path tmp;

    @Test
    void aPackedImagePushedAndPulledBackKeepsEveryDigest() throws Exception {
        Path kernel = Files.write(tmp.resolve("kernel"), "a kernel's bytes".repeat(1000).getBytes());
        Path rootfs = Files.createDirectories(tmp.resolve("rootfs/etc"));
        Files.writeString(rootfs.resolve("motd"), "hi\n");
        try (DockerRegistry reg = DockerRegistry.plain(Files.createDirectories(tmp.resolve("registry")))) {
            Cli pack = Cli.run("pack", "--dialect", "kraft,urunc", "--kernel", kernel.toString(), "--rootfs", tmp.resolve("rootfs").toString(),
                    "-o", "oci:" + tmp.resolve("a") + ":v1");
            assertThat(pack.exit()).as(pack.err()).isZero();
            String ref = "docker://" + reg.host() + "/kiln/app:v1";
            Cli push = Cli.run("push", "--insecure", "oci:" + tmp.resolve("a") + ":v1", ref);
            assertThat(push.exit()).as(push.err()).isZero();
            assertThat(push.err()).contains("pushed sha256:");
            Cli again = Cli.run("push", "--insecure", "oci:" + tmp.resolve("a") + ":v1", ref);
            assertThat(again.err()).contains("0 blobs uploaded");
            Cli pull = Cli.run("pull", "--insecure", ref, "oci:" + tmp.resolve("b"));
            assertThat(pull.exit()).as(pull.err()).isZero();
            JsonMapper json = JsonMapper.builder().build();
            String a = json.readTree(Cli.run("inspect", "--json", "oci:" + tmp.resolve("a") + ":v1").out()).get("digest").asString();
            String b = json.readTree(Cli.run("inspect", "--json", "oci:" + tmp.resolve("b") + ":v1").out()).get("digest").asString();
            assertThat(b).isEqualTo(a);
            String raw = PackCommandTest.run("skopeo", "inspect", "--raw", "--tls-verify=false", "docker://" + reg.host() + "/kiln/app:v1");
            assertThat(dev.kiln.oci.Digest.of(raw.getBytes()).toString()).isEqualTo(a);
            // inspect and tag where the image lives: the registry.
            assertThat(json.readTree(Cli.run("inspect", "--json", "--insecure", ref).out()).get("digest").asString()).isEqualTo(a);
            Cli tag = Cli.run("tag", "--insecure", ref, "stable");
            assertThat(tag.exit()).as(tag.err()).isZero();
            assertThat(json.readTree(Cli.run("inspect", "--json", "--insecure", "docker://" + reg.host() + "/kiln/app:stable").out())
                    .get("digest").asString()).isEqualTo(a);

            // The pushed image as a build source, straight from the registry: its linux/amd64 (urunc)
            // manifest's layers flattened into an EROFS image.
            Cli build = Cli.run("build", "--insecure", ref, "-o", tmp.resolve("flat.erofs").toString(), "-q");
            assertThat(build.exit()).as(build.err()).isZero();
            assertThat(Cli.run("ls", tmp.resolve("flat.erofs").toString(), "/").out()).contains("urunc.json").contains("unikraft");
            try (var s = Files.list(Path.of(System.getProperty("java.io.tmpdir")))) {
                assertThat(s.filter(p -> p.getFileName().toString().startsWith("kiln-pull-")).toList()).as("pulled layouts removed").isEmpty();
            }
            Cli missing = Cli.run("pull", "--insecure", "docker://" + reg.host() + "/kiln/nope:v1", "oci:" + tmp.resolve("c"));
            assertThat(missing.exit()).isEqualTo(3);
            assertThat(missing.err()).contains("kiln/nope");
        }
    }
}
