package dev.kiln.oci.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kiln.oci.OciException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Where credentials come from: docker's config.json, containers' auth.json, explicit ones. */
class RegistryCredentialsTest {
    @TempDir
    Path tmp;

    static String auth(String user, String password) {
        return Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void dockerConfigKeysAsHostsOrUrls() throws Exception {
        Path f = tmp.resolve("config.json");
        Files.writeString(f, """
                {"auths": {
                  "https://index.docker.io/v1/": {"auth": "%s"},
                  "registry.example:5000": {"auth": "%s"},
                  "HTTP://Other.Example/v2/": {"username": "u3", "password": "p3"},
                  "helper.example": {}
                }, "credHelpers": {"helper.example": "secretservice"}}""".formatted(auth("hub", "h:p"), auth("u2", "p2")));
        CredentialStore s = CredentialStore.fromFiles(List.of(f));
        assertThat(s.lookup("docker.io", "library/alpine")).contains(new Credentials("hub", "h:p"));
        assertThat(s.lookup("registry.example:5000", "team/app")).contains(new Credentials("u2", "p2"));
        assertThat(s.lookup("other.example", null)).contains(new Credentials("u3", "p3"));
        assertThat(s.lookup("registry.example", "team/app")).isEmpty(); // the port is part of the name
        assertThat(s.lookup("helper.example", "x")).isEmpty();
    }

    @Test
    void theMostSpecificRepositoryKeyWins() throws Exception {
        Path f = tmp.resolve("auth.json");
        Files.writeString(f, """
                {"auths": {"quay.example": {"auth": "%s"}, "quay.example/team": {"auth": "%s"}, "quay.example/team/app": {"auth": "%s"}}}"""
                .formatted(auth("host", "1"), auth("team", "2"), auth("app", "3")));
        CredentialStore s = CredentialStore.fromFiles(List.of(f));
        assertThat(s.lookup("quay.example", "team/app")).map(Credentials::username).contains("app");
        assertThat(s.lookup("quay.example", "team/other")).map(Credentials::username).contains("team");
        assertThat(s.lookup("quay.example", "elsewhere")).map(Credentials::username).contains("host");
    }

    @Test
    void registryAuthFileComesBeforeDockersConfigAndGivenCredentialsBeforeBoth() throws Exception {
        Path home = tmp.resolve("home");
        Files.createDirectories(home.resolve(".docker"));
        Files.writeString(home.resolve(".docker/config.json"), "{\"auths\": {\"r.example\": {\"auth\": \"" + auth("docker", "d") + "\"}}}");
        Path authFile = tmp.resolve("containers-auth.json");
        Files.writeString(authFile, "{\"auths\": {\"r.example\": {\"auth\": \"" + auth("containers", "c") + "\"}}}");
        CredentialStore env = CredentialStore.fromEnvironment(Map.of("REGISTRY_AUTH_FILE", authFile.toString()), home);
        assertThat(env.files()).containsExactly(authFile, home.resolve(".docker/config.json"));
        assertThat(env.lookup("r.example", "x")).map(Credentials::username).contains("containers");
        assertThat(env.with("r.example", new Credentials("given", "g")).lookup("r.example", "x")).map(Credentials::username).contains("given");
        CredentialStore dockerOnly = CredentialStore.fromEnvironment(Map.of(), home);
        assertThat(dockerOnly.lookup("r.example", "x")).map(Credentials::username).contains("docker");
        CredentialStore dockerConfigDir = CredentialStore.fromEnvironment(Map.of("DOCKER_CONFIG", tmp.resolve("nowhere").toString(),
                "XDG_RUNTIME_DIR", tmp.resolve("run").toString()), home);
        assertThat(dockerConfigDir.files()).containsExactly(tmp.resolve("run/containers/auth.json"), tmp.resolve("nowhere/config.json"));
        assertThat(dockerConfigDir.lookup("r.example", "x")).isEmpty(); // missing files are no error
    }

    @Test
    void aBrokenFileIsAnErrorThatNamesTheFileAndTheEntry() throws Exception {
        Path bad = tmp.resolve("bad.json");
        Files.writeString(bad, "{\"auths\": {\"r.example\": {\"auth\": \"!!!\"}}}");
        assertThatThrownBy(() -> CredentialStore.fromFiles(List.of(bad)).lookup("r.example", null))
                .isInstanceOf(OciException.class).hasMessage(bad + ": auths.r.example: auth is not base64");
        Files.writeString(bad, "{\"auths\": {\"r.example\": {\"auth\": \"" + Base64.getEncoder().encodeToString("nocolon".getBytes()) + "\"}}}");
        assertThatThrownBy(() -> CredentialStore.fromFiles(List.of(bad)).lookup("r.example", null))
                .hasMessage(bad + ": auths.r.example: auth does not decode to user:password");
        Files.writeString(bad, "{\"auths\": [");
        assertThatThrownBy(() -> CredentialStore.fromFiles(List.of(bad)).lookup("r.example", null)).hasMessageStartingWith(bad + ": not valid JSON");
    }

    @Test
    void aPasswordNeverShowsInToString() {
        assertThat(new Credentials("user", "hunter2").toString()).doesNotContain("hunter2").contains("user");
    }
}
