package dev.kiln.oci.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kiln.oci.Descriptor;
import dev.kiln.oci.ImageReference;
import dev.kiln.oci.MediaTypes;
import dev.kiln.oci.OciLayout;
import java.io.ByteArrayInputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Uploads that fail part-way and registries that are busy or broken, against a real
 * docker-registry behind a proxy that drops and refuses requests on cue.
 */
class RegistryResumeTest {
    static final int CHUNK = 64 << 10;
    static final int SIZE = 500_000;

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
    static void stop() {
        if (proxy != null) proxy.close();
        if (registry != null) registry.close();
    }

    @AfterEach
    void noRulesLeft() {
        proxy.clearRules();
    }

    static RegistryClient client() {
        return RegistryClient.create(RegistryClient.Config.defaults().withCredentials(CredentialStore.none()).withInsecure(true)
                .withRetries(3, Duration.ofMillis(20)));
    }

    static RegistryClient.Options chunked() {
        return RegistryClient.Options.defaults().withChunkSize(CHUNK);
    }

    static void assertStored(RegistryClient c, Repository repo, Descriptor blob, byte[] bytes) throws IOException {
        try (InputStream in = c.openBlob(repo, blob)) {
            assertThat(in.readAllBytes()).isEqualTo(bytes);
        }
    }

    @Test
    void aSourceFailingMidBlobResumesAtTheRegistrysOffsetNotAtZero() throws Exception {
        byte[] bytes = TestImages.random(10, SIZE);
        Descriptor blob = Descriptor.of(MediaTypes.OCI_LAYER, bytes);
        List<Long> opened = new CopyOnWriteArrayList<>();
        AtomicInteger opens = new AtomicInteger();
        // The first stream breaks in the third piece, before the piece is sent; later ones work.
        BlobSource flaky = offset -> {
            opened.add(offset);
            InputStream in = new ByteArrayInputStream(bytes, (int) offset, SIZE);
            if (opens.getAndIncrement() > 0) return in;
            return new FilterInputStream(in) {
                long read;

                @Override
                public int read(byte[] b, int off, int len) throws IOException {
                    if (read >= 2 * CHUNK + 10_000) throw new IOException("test: the disk went away");
                    int n = super.read(b, off, (int) Math.min(len, 2L * CHUNK + 10_000 - read));
                    if (n > 0) read += n;
                    return n;
                }
            };
        };
        Repository repo = new Repository(proxy.host(), "kiln/resume-source");
        try (RegistryClient c = client()) {
            BlobPush p = c.pushBlob(repo, blob, flaky, chunked());
            assertThat(p.outcome()).isEqualTo(BlobPush.Outcome.UPLOADED);
            assertThat(p.resumedAt()).containsExactly((long) 2 * CHUNK);
            assertThat(opened).containsExactly(0L, (long) 2 * CHUNK);
            assertThat(p.bytesSent()).isEqualTo(SIZE); // no byte sent twice
            assertStored(c, repo, blob, bytes);
        }
        // the registry was asked where the upload stood, and said: two pieces
        assertThat(proxy.matching("GET", "^/v2/kiln/resume-source/blobs/uploads/")).singleElement()
                .matches(e -> e.status() == 204);
    }

    @Test
    void aPieceLostOnTheWayIsSentAgainFromTheRegistrysOffset() throws Exception {
        byte[] bytes = TestImages.random(11, SIZE);
        Descriptor blob = Descriptor.of(MediaTypes.OCI_LAYER, bytes);
        Repository repo = new Repository(proxy.host(), "kiln/resume-drop");
        proxy.on("PATCH", "^/v2/kiln/resume-drop/blobs/uploads/", 2, 1, new TestProxy.Drop());
        try (RegistryClient c = client()) {
            BlobPush p = c.pushBlob(repo, blob, BlobSource.of(bytes), chunked());
            assertThat(p.resumedAt()).containsExactly((long) 2 * CHUNK);
            assertThat(p.bytesSent()).isEqualTo(SIZE + CHUNK); // the lost piece, twice
            assertStored(c, repo, blob, bytes);
        }
        List<TestProxy.Exchange> patches = proxy.matching("PATCH", "^/v2/kiln/resume-drop/blobs/uploads/");
        assertThat(patches.get(2).status()).isEqualTo(-1);
        assertThat(patches.get(3).contentRange()).isEqualTo(2 * CHUNK + "-" + (3 * CHUNK - 1));
        assertThat(patches.subList(3, patches.size())).allMatch(e -> e.status() == 202);
    }

    @Test
    void aPieceWhoseAnswerIsLostStartsOverWhenTheRegistryDropsTheSession() throws Exception {
        // distribution 2.8 signs the offset into the upload URL; holding more than the URL we
        // have says, it cancels the session (404 BLOB_UPLOAD_INVALID): the blob starts again.
        byte[] bytes = TestImages.random(12, SIZE);
        Descriptor blob = Descriptor.of(MediaTypes.OCI_LAYER, bytes);
        Repository repo = new Repository(proxy.host(), "kiln/resume-session");
        proxy.on("PATCH", "^/v2/kiln/resume-session/blobs/uploads/", 2, 1, new TestProxy.ForwardThenDrop());
        try (RegistryClient c = client()) {
            BlobPush p = c.pushBlob(repo, blob, BlobSource.of(bytes), chunked());
            assertThat(p.resumedAt()).containsExactly(0L);
            assertThat(p.bytesSent()).isEqualTo(SIZE + 3 * CHUNK);
            assertStored(c, repo, blob, bytes);
        }
        assertThat(proxy.matching("GET", "^/v2/kiln/resume-session/blobs/uploads/")).singleElement().matches(e -> e.status() == 404);
        assertThat(proxy.matching("POST", "^/v2/kiln/resume-session/blobs/uploads/")).hasSize(2);
    }

    @Test
    void aBusyRegistryIsAskedAgainAfterItsRetryAfter() throws Exception {
        OciLayout src = OciLayout.create(tmp.resolve("busy-src"));
        TestImages.TestImage image = TestImages.single(src, 13, 10_000);
        byte[] busy = "{\"errors\":[{\"code\":\"TOOMANYREQUESTS\",\"message\":\"slow down\"}]}".getBytes(StandardCharsets.UTF_8);
        proxy.on("HEAD", "^/v2/kiln/busy/blobs/", 1, new TestProxy.Respond(503, Map.of("Retry-After", "1"), new byte[0]));
        proxy.on("PUT", "^/v2/kiln/busy/manifests/v1$", 1, new TestProxy.Respond(429, Map.of("Retry-After", "0"), busy));
        ImageReference.Registry ref = new ImageReference.Registry(proxy.host(), "kiln/busy", "v1", null);
        long t0 = System.nanoTime();
        try (RegistryClient c = client()) {
            c.push(src, image.top(), ref, RegistryClient.Options.defaults().withParallelism(1));
            assertThat(c.resolve(ref)).map(Descriptor::digest).contains(image.top().digest());
        }
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).isGreaterThanOrEqualTo(Duration.ofSeconds(1));
        List<TestProxy.Exchange> puts = proxy.matching("PUT", "^/v2/kiln/busy/manifests/v1$");
        assertThat(puts).extracting(TestProxy.Exchange::status).containsExactly(429, 201);
    }

    @Test
    void aRegistryThatKeepsFailingFailsThePushAfterTheLastAttemptAndTagsNothing() throws Exception {
        OciLayout src = OciLayout.create(tmp.resolve("broken-src"));
        TestImages.TestImage image = TestImages.single(src, 14, 10_000);
        byte[] broken = "{\"errors\":[{\"code\":\"UNKNOWN\",\"message\":\"disk on fire\"}]}".getBytes(StandardCharsets.UTF_8);
        proxy.on("POST", "^/v2/kiln/broken/blobs/uploads/", 100, new TestProxy.Respond(500, Map.of("Content-Type", "application/json"), broken));
        ImageReference.Registry ref = new ImageReference.Registry(proxy.host(), "kiln/broken", "v1", null);
        try (RegistryClient c = client()) {
            assertThatThrownBy(() -> c.push(src, image.top(), ref, RegistryClient.Options.defaults().withParallelism(1)))
                    .isInstanceOfSatisfying(RegistryException.class, e -> {
                        assertThat(e.kind()).isEqualTo(RegistryException.Kind.HTTP);
                        assertThat(e.status()).isEqualTo(500);
                        assertThat(e.registry()).isEqualTo(proxy.host());
                        assertThat(e.repository()).isEqualTo("kiln/broken");
                        assertThat(e.errorCodes()).containsExactly("UNKNOWN");
                    })
                    .hasMessageStartingWith(proxy.host() + "/kiln/broken: blob sha256:")
                    .hasMessageContaining("HTTP 500 UNKNOWN: disk on fire");
            assertThat(c.resolve(ref)).isEmpty();
        }
        assertThat(proxy.matching("POST", "^/v2/kiln/broken/blobs/uploads/")).hasSize(3); // maxAttempts
        assertThat(proxy.matching("PUT", "^/v2/kiln/broken/manifests/")).isEmpty();
    }

    @Test
    void aRegistryThatIsNotThereIsAConnectionErrorAfterTheRetries() throws Exception {
        int port = DockerRegistry.freePort();
        try (RegistryClient c = client()) {
            assertThatThrownBy(() -> c.ping("127.0.0.1:" + port))
                    .isInstanceOfSatisfying(RegistryException.class, e -> assertThat(e.kind()).isEqualTo(RegistryException.Kind.CONNECTION))
                    .hasMessageStartingWith("127.0.0.1:" + port + ": /v2/: no answer (3 attempts)");
        }
    }
}
