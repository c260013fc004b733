package dev.kiln.oci.registry;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.oci.Descriptor;
import dev.kiln.oci.Digest;
import dev.kiln.oci.ImageReference;
import dev.kiln.oci.OciLayout;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Push and pull against a real docker-registry without auth, over plain HTTP, through a logging proxy. */
class RegistryPlainHttpTest {
    @TempDir
    static Path tmp;
    static DockerRegistry registry;
    static TestProxy proxy;

    @BeforeAll
    static void start() throws Exception {
        registry = DockerRegistry.plain(tmp.resolve("registry"));
        proxy = new TestProxy(registry.host());
    }

    @AfterAll
    static void stop() throws Exception {
        if (proxy != null) proxy.close();
        if (registry != null) registry.close();
    }

    static RegistryClient client() {
        return RegistryClient.create(RegistryClient.Config.defaults().withCredentials(CredentialStore.none()).withInsecure(true)
                .withRetries(3, Duration.ofMillis(20)));
    }

    static void assertSameBlobs(TestImages.TestImage image, OciLayout layout) throws Exception {
        for (Map.Entry<Digest, byte[]> e : image.blobs().entrySet()) {
            assertThat(layout.hasBlob(e.getKey())).as("blob %s in %s", e.getKey(), layout.directory()).isTrue();
            assertThat(Files.readAllBytes(layout.blobPath(e.getKey()))).isEqualTo(e.getValue());
        }
    }

    @Test
    void pingAnOpenRegistryNeedsNoChallenge() {
        try (RegistryClient c = client()) {
            assertThat(c.ping(registry.host())).isEmpty();
        }
    }

    @Test
    void anIndexPushedAndPulledBackHasTheSameDigestsAndBytes() throws Exception {
        OciLayout src = OciLayout.create(tmp.resolve("index-src"));
        TestImages.TestImage image = TestImages.index(src, 1, 300_000);
        ImageReference.Registry ref = new ImageReference.Registry(registry.host(), "kiln/index", "v1", null);
        try (RegistryClient c = client()) {
            PushResult pushed = c.push(src, image.top(), ref);
            assertThat(pushed.top().digest()).isEqualTo(image.top().digest());
            assertThat(pushed.uploaded()).hasSize(5); // three layers, two configs
            assertThat(pushed.manifestsPut()).isEqualTo(3);
            assertThat(c.resolve(ref)).map(Descriptor::digest).contains(image.top().digest());

            OciLayout dst = OciLayout.create(tmp.resolve("index-dst"));
            Descriptor top = c.pull(ref, dst, "pulled");
            assertThat(top.digest()).isEqualTo(image.top().digest());
            assertThat(top.size()).isEqualTo(image.top().size());
            assertThat(top.mediaType()).isEqualTo(image.top().mediaType());
            assertThat(dst.resolve("pulled")).map(Descriptor::digest).contains(image.top().digest());
            assertSameBlobs(image, dst);
        }
    }

    @Test
    void aSecondPushSendsNoBlobAgain() throws Exception {
        OciLayout src = OciLayout.create(tmp.resolve("again-src"));
        TestImages.TestImage image = TestImages.single(src, 2, 200_000, 50_000);
        ImageReference.Registry ref = new ImageReference.Registry(proxy.host(), "kiln/again", "v1", null);
        try (RegistryClient c = client()) {
            assertThat(c.push(src, image.top(), ref).uploaded()).hasSize(3);
        }
        int uploadsBefore = proxy.matching("POST", "^/v2/kiln/again/blobs/uploads/").size();
        assertThat(uploadsBefore).isEqualTo(3);
        try (RegistryClient c = client()) {
            PushResult again = c.push(src, image.top(), ref);
            assertThat(again.existing()).hasSize(3);
            assertThat(again.uploaded()).isEmpty();
            assertThat(again.bytesSent()).isZero();
        }
        assertThat(proxy.matching("POST", "^/v2/kiln/again/blobs/uploads/")).hasSize(uploadsBefore);
        assertThat(proxy.matching("PATCH", "^/v2/kiln/again/")).isEmpty();
    }

    @Test
    void blobsKnownInAnotherRepositoryAreMountedNotUploaded() throws Exception {
        OciLayout src = OciLayout.create(tmp.resolve("mount-src"));
        TestImages.TestImage image = TestImages.single(src, 3, 100_000, 20_000);
        try (RegistryClient c = client()) {
            c.push(src, image.top(), new ImageReference.Registry(proxy.host(), "kiln/mount-a", "v1", null));
            // the same client saw the blobs go to mount-a
            PushResult b = c.push(src, image.top(), new ImageReference.Registry(proxy.host(), "kiln/mount-b", "v1", null));
            assertThat(b.mounted()).hasSize(3);
            assertThat(b.bytesSent()).isZero();
        }
        try (RegistryClient fresh = client()) {
            // a client that has seen nothing, told where the blobs are
            PushResult c = fresh.push(src, image.top(), new ImageReference.Registry(proxy.host(), "kiln/mount-c", "v1", null),
                    RegistryClient.Options.defaults().withMountFrom(List.of("kiln/mount-a")));
            assertThat(c.mounted()).hasSize(3);
        }
        for (String repo : List.of("mount-b", "mount-c")) {
            List<TestProxy.Exchange> mounts = proxy.matching("POST", "^/v2/kiln/" + repo + "/blobs/uploads/\\?mount=sha256");
            assertThat(mounts).hasSize(3).allMatch(e -> e.status() == 201);
            assertThat(proxy.matching("PUT", "^/v2/kiln/" + repo + "/blobs/uploads/")).isEmpty();
        }
        try (RegistryClient c = client()) {
            // a blob that is not in the other repository: the registry opens an upload instead
            assertThat(c.mountBlob(new Repository(proxy.host(), "kiln/mount-d"), Digest.of(new byte[] {1, 2, 3}), "kiln/mount-a")).isFalse();
        }
    }

    @Test
    void aLargeBlobGoesUpInChunksAndComesBackWhole() throws Exception {
        OciLayout src = OciLayout.create(tmp.resolve("chunks-src"));
        TestImages.TestImage image = TestImages.single(src, 4, 1_000_000);
        ImageReference.Registry ref = new ImageReference.Registry(proxy.host(), "kiln/chunks", "v1", null);
        List<long[]> progress = new java.util.concurrent.CopyOnWriteArrayList<>();
        Digest layer = image.layers().getFirst().digest();
        try (RegistryClient c = client()) {
            RegistryClient.Options o = RegistryClient.Options.defaults().withChunkSize(64 << 10)
                    .withProgress((d, done, total) -> {
                        if (d.equals(layer)) progress.add(new long[] {done, total});
                    });
            c.push(src, image.top(), ref, o);
            // 1 000 000 bytes in 64 KiB pieces: 15 PATCHes, the 16th piece with the closing PUT
            List<TestProxy.Exchange> patches = proxy.matching("PATCH", "^/v2/kiln/chunks/blobs/uploads/");
            assertThat(patches).hasSize(15).allMatch(e -> e.status() == 202 && e.requestBytes() == 65536);
            assertThat(patches.get(1).contentRange()).isEqualTo("65536-131071");
            assertThat(progress.getFirst()).containsExactly(0, 1_000_000);
            assertThat(progress.getLast()).containsExactly(1_000_000, 1_000_000);

            OciLayout dst = OciLayout.create(tmp.resolve("chunks-dst"));
            c.pull(ref, dst, "v1");
            assertSameBlobs(image, dst);
            try (InputStream in = c.openBlob(Repository.of(ref), image.layers().getFirst())) {
                assertThat(in.readAllBytes()).isEqualTo(image.blobs().get(layer));
            }
        }
    }

    @Test
    void anImagePushedByDigestAloneGetsNoTag() throws Exception {
        OciLayout src = OciLayout.create(tmp.resolve("digest-src"));
        TestImages.TestImage image = TestImages.single(src, 5, 1000, 0);
        ImageReference.Registry byDigest = new ImageReference.Registry(registry.host(), "kiln/bydigest", null, image.top().digest());
        try (RegistryClient c = client()) {
            c.push(src, image.top(), byDigest);
            assertThat(c.resolve(byDigest)).map(Descriptor::digest).contains(image.top().digest());
            assertThat(c.resolve(byDigest.withTag("latest"))).isEmpty();
            OciLayout dst = OciLayout.create(tmp.resolve("digest-dst"));
            assertThat(c.pull(byDigest, dst, null).digest()).isEqualTo(image.top().digest());
            assertThat(dst.index().manifests()).isEmpty();
            assertSameBlobs(image, dst);
        }
    }
}
