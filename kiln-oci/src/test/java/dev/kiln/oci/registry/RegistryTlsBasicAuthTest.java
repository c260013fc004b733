package dev.kiln.oci.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kiln.oci.Descriptor;
import dev.kiln.oci.ImageReference;
import dev.kiln.oci.OciLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A docker-registry with htpasswd basic auth behind TLS, its certificate self-signed by the test
 * (openssl) and given to the client as its trust.
 */
class RegistryTlsBasicAuthTest {
    static final String USER = "kiln";
    static final String PASSWORD = "s3cret:with:colons";

    @TempDir
    static Path tmp;
    static TestPki.KeyPair tls;
    static DockerRegistry registry;

    @BeforeAll
    static void start() throws Exception {
        tls = TestPki.selfSigned(tmp, "registry");
        registry = DockerRegistry.basicTls(tmp.resolve("registry"), tls, USER, PASSWORD);
    }

    @AfterAll
    static void stop() {
        if (registry != null) registry.close();
    }

    static RegistryClient client(CredentialStore credentials) {
        return RegistryClient.create(RegistryClient.Config.defaults().withCredentials(credentials).withCaCertificates(tls.certificate())
                .withRetries(2, Duration.ofMillis(20)));
    }

    static CredentialStore right() {
        return CredentialStore.none().with(registry.host(), new Credentials(USER, PASSWORD));
    }

    @Test
    void theRightPasswordPushesAndPullsOverTls() throws Exception {
        OciLayout src = OciLayout.create(tmp.resolve("src"));
        TestImages.TestImage image = TestImages.index(src, 30, 100_000);
        ImageReference.Registry ref = new ImageReference.Registry(registry.host(), "kiln/basic", "v1", null);
        try (RegistryClient c = client(right())) {
            assertThat(c.ping(registry.host())).hasValueSatisfying(ch -> {
                assertThat(ch.isBasic()).isTrue();
                assertThat(ch.realm()).isEqualTo("kiln-test");
            });
            assertThat(c.push(src, image.top(), ref).uploaded()).hasSize(5);
            OciLayout dst = OciLayout.create(tmp.resolve("dst"));
            assertThat(c.pull(ref, dst, "v1").digest()).isEqualTo(image.top().digest());
            RegistryPlainHttpTest.assertSameBlobs(image, dst);
        }
    }

    @Test
    void credentialsComeFromDockersConfigAndContainersAuthFile() throws Exception {
        OciLayout src = OciLayout.create(tmp.resolve("files-src"));
        TestImages.TestImage image = TestImages.single(src, 31, 20_000);
        String auth = Base64.getEncoder().encodeToString((USER + ":" + PASSWORD).getBytes(StandardCharsets.UTF_8));
        Path home = tmp.resolve("home");
        Files.createDirectories(home.resolve(".docker"));
        // docker login writes the host as a URL for some registries
        Files.writeString(home.resolve(".docker/config.json"), """
                {"auths": {"https://%s": {"auth": "%s"}}, "credsStore": "desktop"}""".formatted(registry.host(), auth));
        try (RegistryClient c = client(CredentialStore.fromEnvironment(Map.of(), home))) {
            c.push(src, image.top(), new ImageReference.Registry(registry.host(), "kiln/docker-config", "v1", null));
        }
        Path authFile = tmp.resolve("auth.json");
        Files.writeString(authFile, """
                {"auths": {"%s/kiln": {"username": "%s", "password": "%s"}}}""".formatted(registry.host(), USER, PASSWORD));
        try (RegistryClient c = client(CredentialStore.fromEnvironment(Map.of("REGISTRY_AUTH_FILE", authFile.toString()), tmp.resolve("nohome")))) {
            ImageReference.Registry ref = new ImageReference.Registry(registry.host(), "kiln/auth-file", "v1", null);
            c.push(src, image.top(), ref);
            assertThat(c.resolve(ref)).map(Descriptor::digest).contains(image.top().digest());
        }
    }

    @Test
    void aWrongPasswordIsA401ThatNamesTheRegistryAndTheUser() throws Exception {
        OciLayout src = OciLayout.create(tmp.resolve("wrong-src"));
        TestImages.TestImage image = TestImages.single(src, 32, 1000);
        CredentialStore wrong = CredentialStore.none().with(registry.host(), new Credentials(USER, "guess"));
        try (RegistryClient c = client(wrong)) {
            assertThatThrownBy(() -> c.push(src, image.top(), new ImageReference.Registry(registry.host(), "kiln/wrong", "v1", null)))
                    .isInstanceOfSatisfying(RegistryException.class, e -> {
                        assertThat(e.kind()).isEqualTo(RegistryException.Kind.AUTH);
                        assertThat(e.status()).isEqualTo(401);
                        assertThat(e.registry()).isEqualTo(registry.host());
                        assertThat(e.repository()).isEqualTo("kiln/wrong");
                    })
                    .hasMessageStartingWith(registry.host() + "/kiln/wrong: blob sha256:")
                    .hasMessageEndingWith(": HTTP 401 (credentials of user kiln were refused)");
            assertThatThrownBy(() -> c.ping(registry.host()))
                    .hasMessage(registry.host() + ": /v2/: HTTP 401 UNAUTHORIZED: authentication required (credentials of user kiln were refused)");
        }
    }

    @Test
    void noCredentialsSaysHowToGiveThem() {
        try (RegistryClient c = client(CredentialStore.none())) {
            assertThatThrownBy(() -> c.getManifest(new Repository(registry.host(), "kiln/basic"), "v1"))
                    .isInstanceOfSatisfying(RegistryException.class, e -> assertThat(e.kind()).isEqualTo(RegistryException.Kind.AUTH))
                    .hasMessage(registry.host() + "/kiln/basic: manifest v1: HTTP 401 UNAUTHORIZED: authentication required (no credentials for "
                            + registry.host() + ": give a user and password, or log in with docker, podman or skopeo)");
        }
    }

    @Test
    void withoutTheCertificateTheRegistryIsNotTrusted() {
        RegistryClient.Config config = RegistryClient.Config.defaults().withCredentials(right()).withRetries(1, Duration.ZERO);
        try (RegistryClient c = RegistryClient.create(config)) {
            assertThatThrownBy(() -> c.ping(registry.host()))
                    .isInstanceOfSatisfying(RegistryException.class, e -> assertThat(e.kind()).isEqualTo(RegistryException.Kind.CONNECTION))
                    .hasMessageStartingWith(registry.host() + ": /v2/: no answer: SSLHandshakeException")
                    .hasMessageContaining("PKIX");
        }
        assertThat(List.of(tls.certificate())).allMatch(Files::exists);
    }
}
