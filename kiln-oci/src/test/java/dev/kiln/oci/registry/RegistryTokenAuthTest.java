package dev.kiln.oci.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kiln.oci.Descriptor;
import dev.kiln.oci.Digest;
import dev.kiln.oci.ImageReference;
import dev.kiln.oci.OciLayout;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A docker-registry with token auth: the test's {@link TokenServer} checks the password and signs
 * ES256 JWTs with a key the registry trusts through its rootcertbundle.
 */
class RegistryTokenAuthTest {
    static final String USER = "kiln";
    static final String PASSWORD = "token-pw";

    @TempDir
    static Path tmp;
    static TokenServer tokens;
    static DockerRegistry registry;
    static TestProxy proxy;

    @BeforeAll
    static void start() throws Exception {
        tokens = new TokenServer(tmp, USER, PASSWORD);
        registry = DockerRegistry.token(tmp.resolve("registry"), tokens);
        proxy = new TestProxy(registry.host());
    }

    @AfterAll
    static void stop() {
        if (proxy != null) proxy.close();
        if (registry != null) registry.close();
        if (tokens != null) tokens.close();
    }

    @BeforeEach
    void reset() {
        tokens.expiresIn = 300;
        proxy.clearRules();
    }

    static RegistryClient client(CredentialStore credentials) {
        return RegistryClient.create(RegistryClient.Config.defaults().withCredentials(credentials).withInsecure(true)
                .withRetries(2, Duration.ofMillis(20)));
    }

    static CredentialStore right(String host) {
        return CredentialStore.none().with(host, new Credentials(USER, PASSWORD));
    }

    @Test
    void tokensAreFetchedOncePerScopeAndReused() throws Exception {
        OciLayout src = OciLayout.create(tmp.resolve("src"));
        TestImages.TestImage image = TestImages.index(src, 40, 50_000);
        ImageReference.Registry ref = new ImageReference.Registry(registry.host(), "kiln/token", "v1", null);
        try (RegistryClient c = client(right(registry.host()))) {
            assertThat(c.ping(registry.host())).hasValueSatisfying(ch -> {
                assertThat(ch.isBearer()).isTrue();
                assertThat(ch.realm()).isEqualTo(tokens.realm().toString());
                assertThat(ch.service()).isEqualTo(TokenServer.SERVICE);
            });
            int before = tokens.granted().size();
            c.push(src, image.top(), ref); // 5 blobs in parallel, 3 manifests
            List<TokenServer.Request> pushTokens = tokens.granted().subList(before, tokens.granted().size());
            assertThat(pushTokens).singleElement().satisfies(r -> assertThat(r.scopes()).contains("repository:kiln/token:pull,push"));

            OciLayout dst = OciLayout.create(tmp.resolve("dst"));
            c.pull(ref, dst, "v1");
            RegistryPlainHttpTest.assertSameBlobs(image, dst);
            assertThat(tokens.granted()).hasSize(before + 2);
            assertThat(tokens.granted().getLast().scopes()).containsExactly("repository:kiln/token:pull");

            c.push(src, image.top(), ref);
            c.pull(ref, dst, "v1");
            assertThat(tokens.granted()).hasSize(before + 2);
        }
    }

    @Test
    void anExpiredTokenIsFetchedAgain() throws Exception {
        tokens.expiresIn = 1;
        Repository repo = new Repository(registry.host(), "kiln/expiry");
        try (RegistryClient c = client(right(registry.host()))) {
            int before = tokens.granted().size();
            assertThat(c.blobSize(repo, Digest.of(new byte[] {1}))).isEmpty();
            assertThat(c.blobSize(repo, Digest.of(new byte[] {1}))).isEmpty();
            assertThat(tokens.granted()).hasSize(before + 1);
            Thread.sleep(1100);
            assertThat(c.blobSize(repo, Digest.of(new byte[] {1}))).isEmpty();
            assertThat(tokens.granted()).hasSize(before + 2);
        }
    }

    @Test
    void aMountAsksForPullOnTheSourceRepository() throws Exception {
        OciLayout src = OciLayout.create(tmp.resolve("mount-src"));
        TestImages.TestImage image = TestImages.single(src, 41, 30_000, 3_000);
        try (RegistryClient c = client(right(registry.host()))) {
            c.push(src, image.top(), new ImageReference.Registry(registry.host(), "kiln/token-a", "v1", null));
            int before = tokens.granted().size();
            PushResult b = c.push(src, image.top(), new ImageReference.Registry(registry.host(), "kiln/token-b", "v1", null));
            assertThat(b.mounted()).hasSize(3);
            assertThat(tokens.granted().subList(before, tokens.granted().size()))
                    .anySatisfy(r -> assertThat(r.scopes()).contains("repository:kiln/token-b:pull,push", "repository:kiln/token-a:pull"));
        }
    }

    @Test
    void aWrongPasswordIsRefusedByTheTokenServerAndSaysSo() {
        CredentialStore wrong = CredentialStore.none().with(registry.host(), new Credentials(USER, "guess"));
        try (RegistryClient c = client(wrong)) {
            assertThatThrownBy(() -> c.getManifest(new Repository(registry.host(), "kiln/token"), "v1"))
                    .isInstanceOfSatisfying(RegistryException.class, e -> {
                        assertThat(e.kind()).isEqualTo(RegistryException.Kind.AUTH);
                        assertThat(e.status()).isEqualTo(401);
                        assertThat(e.subject()).isEqualTo("token from " + tokens.realm());
                    })
                    .hasMessage(registry.host() + "/kiln/token: token from " + tokens.realm()
                            + ": HTTP 401 UNAUTHORIZED: bad user or password (credentials of user kiln were refused)");
        }
        try (RegistryClient c = client(CredentialStore.none())) {
            assertThatThrownBy(() -> c.getManifest(new Repository(registry.host(), "kiln/token"), "v1"))
                    .hasMessageEndingWith("(no credentials for " + registry.host() + ": give a user and password, or log in with docker, podman or skopeo)");
        }
    }

    @Test
    void aBlobRedirectedToStorageIsFetchedFromThereWithoutCredentials() throws Exception {
        OciLayout src = OciLayout.create(tmp.resolve("redirect-src"));
        TestImages.TestImage image = TestImages.single(src, 42, 40_000);
        Descriptor layer = image.layers().getFirst();
        try (TestStorage storage = new TestStorage(); RegistryClient c = client(right(proxy.host()))) {
            ImageReference.Registry ref = new ImageReference.Registry(proxy.host(), "kiln/redirect", "v1", null);
            c.push(src, image.top(), ref);
            URI stored = storage.put("bucket/" + layer.digest().encoded(), image.blobs().get(layer.digest()));
            proxy.on("GET", "^/v2/kiln/redirect/blobs/" + layer.digest() + "$", 1,
                    new TestProxy.Respond(307, Map.of("Location", stored.toString()), new byte[0]));
            OciLayout dst = OciLayout.create(tmp.resolve("redirect-dst"));
            assertThat(c.pull(ref, dst, "v1").digest()).isEqualTo(image.top().digest());
            RegistryPlainHttpTest.assertSameBlobs(image, dst);
            assertThat(storage.requests).containsExactly(Map.entry("/bucket/" + layer.digest().encoded(), false));
            assertThat(proxy.matching("GET", "^/v2/kiln/redirect/blobs/" + layer.digest())).last().matches(TestProxy.Exchange::authorization);
        }
    }
}
