package dev.kiln.oci.registry;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.oci.Descriptor;
import dev.kiln.oci.Digest;
import dev.kiln.oci.ImageReference;
import dev.kiln.oci.MediaTypes;
import dev.kiln.oci.OciJson;
import dev.kiln.oci.OciLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Interop: what kiln pushes, skopeo reads with the same digests, and what skopeo pushes, kiln
 * pulls. The layers are gzip: skopeo would compress plain ones on the way (new digests).
 */
class RegistrySkopeoTest {
    @TempDir
    static Path tmp;
    static DockerRegistry registry;
    static String skopeo;

    @BeforeAll
    static void start() throws Exception {
        skopeo = Tools.require("skopeo", "skopeo").toString();
        registry = DockerRegistry.plain(tmp.resolve("registry"));
    }

    @AfterAll
    static void stop() {
        if (registry != null) registry.close();
    }

    static RegistryClient client() {
        return RegistryClient.create(RegistryClient.Config.defaults().withCredentials(CredentialStore.none()).withInsecure(true)
                .withRetries(2, Duration.ofMillis(20)));
    }

    /** skopeo with no signature policy to consult and no credentials of this machine's. */
    static String skopeo(String... args) throws Exception {
        String[] cmd = Stream.concat(Stream.of(skopeo, "--insecure-policy"), Stream.of(args)).toArray(String[]::new);
        return Tools.check(120, cmd);
    }

    static Set<String> blobFiles(Path layout) throws Exception {
        try (Stream<Path> s = Files.list(layout.resolve("blobs/sha256"))) {
            return s.map(p -> p.getFileName().toString()).filter(n -> !n.startsWith(".")).collect(Collectors.toSet());
        }
    }

    @Test
    void skopeoSeesWhatKilnPushedDigestForDigest() throws Exception {
        OciLayout src = OciLayout.create(tmp.resolve("kiln-src"));
        TestImages.TestImage image = TestImages.index(src, true, 50, 200_000);
        ImageReference.Registry ref = new ImageReference.Registry(registry.host(), "kiln/to-skopeo", "v1", null);
        try (RegistryClient c = client()) {
            c.push(src, image.top(), ref);
        }
        String docker = "docker://" + registry.host() + "/kiln/to-skopeo:v1";
        byte[] raw = skopeo("inspect", "--raw", "--tls-verify=false", docker).getBytes(StandardCharsets.UTF_8);
        assertThat(Digest.of(raw)).isEqualTo(image.top().digest());
        assertThat(raw).isEqualTo(image.blobs().get(image.top().digest()));

        // skopeo's own view resolves the index to this machine's platform, linux/amd64
        JsonNode inspected = JsonMapper.builder().build().readTree(skopeo("inspect", "--tls-verify=false", docker));
        assertThat(inspected.path("Architecture").asString()).isEqualTo("amd64");
        assertThat(inspected.path("Layers").size()).isEqualTo(2);

        Path copy = tmp.resolve("skopeo-copy");
        skopeo("copy", "--all", "--src-tls-verify=false", docker, "oci:" + copy + ":v1");
        OciLayout copied = OciLayout.open(copy);
        assertThat(copied.resolve("v1")).map(Descriptor::digest).contains(image.top().digest());
        assertThat(blobFiles(copy)).isEqualTo(image.blobs().keySet().stream().map(Digest::encoded).collect(Collectors.toSet()));
    }

    @Test
    void kilnPullsWhatSkopeoPushedDigestForDigest() throws Exception {
        OciLayout src = OciLayout.create(tmp.resolve("skopeo-src"));
        TestImages.TestImage image = TestImages.single(src, true, 51, 300_000, 40_000);
        src.tag("v1", image.top());
        skopeo("copy", "--dest-tls-verify=false", "oci:" + src.directory() + ":v1", "docker://" + registry.host() + "/kiln/from-skopeo:v1");
        OciLayout dst = OciLayout.create(tmp.resolve("kiln-dst"));
        try (RegistryClient c = client()) {
            Descriptor top = c.pull(new ImageReference.Registry(registry.host(), "kiln/from-skopeo", "v1", null), dst, "v1");
            assertThat(top.digest()).isEqualTo(image.top().digest());
            assertThat(top.mediaType()).isEqualTo(MediaTypes.OCI_MANIFEST);
            OciJson.decodeManifestOrIndex(dst.readBlob(top), top.mediaType(), "pulled");
        }
        RegistryPlainHttpTest.assertSameBlobs(image, dst);
    }
}
