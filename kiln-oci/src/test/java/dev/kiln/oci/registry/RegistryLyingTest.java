package dev.kiln.oci.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kiln.oci.Descriptor;
import dev.kiln.oci.Digest;
import dev.kiln.oci.ImageReference;
import dev.kiln.oci.OciLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A registry that lies (through a proxy that corrupts bodies and headers) is caught before
 * anything it sent is kept; a push that fails leaves the registry's tag where it was.
 */
class RegistryLyingTest {
    @TempDir
    static Path tmp;
    static DockerRegistry registry;
    static TestProxy proxy;
    static TestImages.TestImage image;
    static ImageReference.Registry honest;
    static ImageReference.Registry lying;

    @BeforeAll
    static void start() throws Exception {
        registry = DockerRegistry.plain(tmp.resolve("registry"));
        proxy = new TestProxy(registry.host());
        OciLayout src = OciLayout.create(tmp.resolve("src"));
        image = TestImages.single(src, 20, 300_000, 50_000);
        honest = new ImageReference.Registry(registry.host(), "kiln/lies", "v1", null);
        lying = new ImageReference.Registry(proxy.host(), "kiln/lies", "v1", null);
        try (RegistryClient c = client()) {
            c.push(src, image.top(), honest);
        }
    }

    @AfterAll
    static void stop() {
        if (proxy != null) proxy.close();
        if (registry != null) registry.close();
    }

    @BeforeEach
    void freshProxy() {
        proxy.clearRules();
        proxy.log.clear();
    }

    static RegistryClient client() {
        return RegistryClient.create(RegistryClient.Config.defaults().withCredentials(CredentialStore.none()).withInsecure(true)
                .withRetries(3, Duration.ofMillis(20)));
    }

    /** Blob files and temporaries of a layout. */
    static List<String> files(OciLayout layout) throws Exception {
        try (Stream<Path> s = Files.walk(layout.directory().resolve("blobs"))) {
            return s.filter(Files::isRegularFile).map(p -> p.getFileName().toString()).toList();
        }
    }

    @Test
    void aCorruptedBlobFailsThePullAndIsNeitherStoredNorTagged() throws Exception {
        Digest layer = image.layers().getFirst().digest();
        proxy.on("GET", "^/v2/kiln/lies/blobs/" + layer + "$", 10, new TestProxy.Corrupt());
        OciLayout dst = OciLayout.create(tmp.resolve("corrupt-dst"));
        try (RegistryClient c = client()) {
            assertThatThrownBy(() -> c.pull(lying, dst, "v1"))
                    .isInstanceOfSatisfying(RegistryException.class, e -> {
                        assertThat(e.kind()).isEqualTo(RegistryException.Kind.VERIFICATION);
                        assertThat(e.subject()).isEqualTo("blob " + layer);
                    })
                    .hasMessageStartingWith(proxy.host() + "/kiln/lies: blob " + layer + ": the registry's bytes do not match")
                    .hasMessageContaining("does not match its digest");
        }
        assertThat(dst.hasBlob(layer)).isFalse();
        assertThat(dst.hasBlob(image.top().digest())).isFalse(); // no manifest
        assertThat(dst.index().manifests()).isEmpty(); // no tag
        assertThat(files(dst)).noneMatch(f -> f.startsWith(".tmp-")).doesNotContain(layer.encoded(), image.top().digest().encoded());
        // bytes that do not match are not asked for again: the registry would send them again
        assertThat(proxy.matching("GET", "^/v2/kiln/lies/blobs/" + layer)).hasSize(1);
    }

    @Test
    void aContentLengthOtherThanTheDescriptorsFailsThePull() throws Exception {
        Digest layer = image.layers().getFirst().digest();
        proxy.on("GET", "^/v2/kiln/lies/blobs/" + layer + "$", 10, new TestProxy.Truncate(1000));
        OciLayout dst = OciLayout.create(tmp.resolve("short-dst"));
        try (RegistryClient c = client()) {
            assertThatThrownBy(() -> c.pull(lying, dst, "v1"))
                    .isInstanceOfSatisfying(RegistryException.class, e -> assertThat(e.kind()).isEqualTo(RegistryException.Kind.VERIFICATION))
                    .hasMessage(proxy.host() + "/kiln/lies: blob " + layer + ": the registry sends 1000 bytes (Content-Length), the descriptor gives 300000");
        }
        assertThat(dst.hasBlob(layer)).isFalse();
        assertThat(dst.index().manifests()).isEmpty();
    }

    @Test
    void aManifestUnderAnotherDigestFailsBeforeAnythingIsWritten() throws Exception {
        Digest other = Digest.of(new byte[] {42});
        proxy.on("GET", "^/v2/kiln/lies/manifests/v1$", 1, new TestProxy.SetHeader("Docker-Content-Digest", other.toString()));
        OciLayout dst = OciLayout.create(tmp.resolve("manifest-dst"));
        byte[] indexBefore = Files.readAllBytes(dst.directory().resolve("index.json"));
        try (RegistryClient c = client()) {
            assertThatThrownBy(() -> c.pull(lying, dst, "v1"))
                    .isInstanceOfSatisfying(RegistryException.class, e -> assertThat(e.kind()).isEqualTo(RegistryException.Kind.VERIFICATION))
                    .hasMessage(proxy.host() + "/kiln/lies: manifest v1: content does not match its digest " + other + " (it hashes to "
                            + image.top().digest() + ")");
        }
        assertThat(files(dst)).isEmpty();
        assertThat(Files.readAllBytes(dst.directory().resolve("index.json"))).isEqualTo(indexBefore);
        assertThat(proxy.matching("GET", "^/v2/kiln/lies/blobs/")).isEmpty();
    }

    @Test
    void aManifestWithChangedBytesFails() throws Exception {
        proxy.on("GET", "^/v2/kiln/lies/manifests/v1$", 1, new TestProxy.Corrupt());
        OciLayout dst = OciLayout.create(tmp.resolve("manifest-bytes-dst"));
        try (RegistryClient c = client()) {
            assertThatThrownBy(() -> c.pull(lying, dst, "v1"))
                    .isInstanceOf(RegistryException.class)
                    .hasMessageStartingWith(proxy.host() + "/kiln/lies: manifest v1: content does not match its digest " + image.top().digest());
        }
        assertThat(files(dst)).isEmpty();
    }

    @Test
    void aPushWhoseBlobTheRegistryRefusesLeavesTheTagWhereItWas() throws Exception {
        OciLayout src = OciLayout.create(tmp.resolve("tag-src"));
        TestImages.TestImage v1 = TestImages.single(src, 21, 20_000);
        TestImages.TestImage v2 = TestImages.single(src, 22, 30_000);
        ImageReference.Registry latest = new ImageReference.Registry(registry.host(), "kiln/tag-stays", "latest", null);
        try (RegistryClient c = client()) {
            c.push(src, v1.top(), latest);
            // damage v2's layer in the layout (same size): the registry hashes what it gets and refuses it
            Descriptor layer = v2.layers().getFirst();
            try (var ch = Files.newByteChannel(src.blobPath(layer.digest()), StandardOpenOption.WRITE)) {
                ch.write(java.nio.ByteBuffer.wrap(new byte[] {1, 2, 3, 4}));
            }
            assertThatThrownBy(() -> c.push(src, v2.top(), latest))
                    .isInstanceOfSatisfying(RegistryException.class, e -> {
                        assertThat(e.status()).isEqualTo(400);
                        assertThat(e.errorCodes()).contains("DIGEST_INVALID");
                    })
                    .hasMessageStartingWith(registry.host() + "/kiln/tag-stays: blob " + layer.digest() + ": HTTP 400 DIGEST_INVALID");
            assertThat(c.resolve(latest)).map(Descriptor::digest).contains(v1.top().digest());
        }
    }

    @Test
    void anIndexWhoseChildManifestIsRefusedLeavesTheTagWhereItWas() throws Exception {
        OciLayout src = OciLayout.create(tmp.resolve("index-tag-src"));
        TestImages.TestImage v1 = TestImages.index(src, 23, 5_000);
        TestImages.TestImage v2 = TestImages.index(src, 24, 5_000);
        ImageReference.Registry latest = new ImageReference.Registry(proxy.host(), "kiln/index-tag", "latest", null);
        byte[] refusal = "{\"errors\":[{\"code\":\"MANIFEST_INVALID\",\"message\":\"manifest invalid\"}]}".getBytes();
        try (RegistryClient c = client()) {
            c.push(src, v1.top(), latest);
            proxy.on("PUT", "^/v2/kiln/index-tag/manifests/sha256:", 1, 1,
                    new TestProxy.Respond(400, Map.of("Content-Type", "application/json"), refusal));
            assertThatThrownBy(() -> c.push(src, v2.top(), latest))
                    .isInstanceOfSatisfying(RegistryException.class, e -> assertThat(e.errorCodes()).containsExactly("MANIFEST_INVALID"))
                    .hasMessageContaining("/kiln/index-tag: manifest sha256:");
            assertThat(c.resolve(latest)).map(Descriptor::digest).contains(v1.top().digest());
        }
        // the index itself was never sent
        assertThat(proxy.matching("PUT", "^/v2/kiln/index-tag/manifests/latest$")).hasSize(1);
    }
}
