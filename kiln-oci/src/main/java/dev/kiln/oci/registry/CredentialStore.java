package dev.kiln.oci.registry;

import dev.kiln.oci.OciException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Where registry credentials come from: credentials given for a registry (which win), then the
 * auth files in order. An auth file is docker's {@code config.json} or containers'
 * {@code auth.json}; both have {@code auths.<key>} entries with {@code auth} (base64 of
 * {@code user:password}) or {@code username} and {@code password}. A key is a host
 * ({@code registry.example:5000}), possibly written as a URL ({@code https://index.docker.io/v1/}),
 * or a host with a repository path ({@code quay.io/team}), which then wins for repositories under
 * that path, as podman and skopeo read it. Credential helpers ({@code credsStore},
 * {@code credHelpers}) are not run.
 */
public final class CredentialStore {
    private static final JsonMapper JSON = JsonMapper.builder().build();

    private final Map<String, Credentials> given;
    private final List<Path> files;
    private final Map<Path, Map<String, Credentials>> parsed = new ConcurrentHashMap<>();

    private CredentialStore(Map<String, Credentials> given, List<Path> files) {
        this.given = Map.copyOf(given);
        this.files = List.copyOf(files);
    }

    /** No credentials: every registry is used anonymously. */
    public static CredentialStore none() {
        return new CredentialStore(Map.of(), List.of());
    }

    /** The auth files, read when credentials are first looked up; missing files are skipped. */
    public static CredentialStore fromFiles(List<Path> files) {
        return new CredentialStore(Map.of(), files);
    }

    /** The files the container tools use, from this process's environment and home directory. */
    public static CredentialStore fromEnvironment() {
        return fromEnvironment(System.getenv(), Path.of(System.getProperty("user.home")));
    }

    /**
     * {@code $REGISTRY_AUTH_FILE}, then {@code $XDG_RUNTIME_DIR/containers/auth.json} (where podman
     * and skopeo log in), then docker's {@code $DOCKER_CONFIG/config.json} or
     * {@code ~/.docker/config.json}.
     */
    public static CredentialStore fromEnvironment(Map<String, String> env, Path home) {
        List<Path> files = new ArrayList<>();
        String authFile = env.get("REGISTRY_AUTH_FILE");
        if (authFile != null && !authFile.isEmpty()) files.add(Path.of(authFile));
        String runtime = env.get("XDG_RUNTIME_DIR");
        if (runtime != null && !runtime.isEmpty()) files.add(Path.of(runtime, "containers", "auth.json"));
        String dockerConfig = env.get("DOCKER_CONFIG");
        files.add(dockerConfig != null && !dockerConfig.isEmpty() ? Path.of(dockerConfig, "config.json") : home.resolve(".docker/config.json"));
        return new CredentialStore(Map.of(), files);
    }

    /** This store, with {@code credentials} for {@code registry} ahead of the files. */
    public CredentialStore with(String registry, Credentials credentials) {
        Map<String, Credentials> g = new LinkedHashMap<>(given);
        g.put(normalise(registry), credentials);
        return new CredentialStore(g, files);
    }

    public List<Path> files() {
        return files;
    }

    /** The credentials for {@code repository} (may be null) of {@code registry}, if any. */
    public Optional<Credentials> lookup(String registry, String repository) {
        List<String> keys = candidates(registry, repository);
        for (String k : keys) if (given.containsKey(k)) return Optional.of(given.get(k));
        for (Path f : files) {
            Map<String, Credentials> entries = parsed.computeIfAbsent(f, CredentialStore::read);
            for (String k : keys) if (entries.containsKey(k)) return Optional.of(entries.get(k));
        }
        return Optional.empty();
    }

    /** The most specific key first: {@code host/a/b}, {@code host/a}, {@code host}. */
    private static List<String> candidates(String registry, String repository) {
        List<String> hosts = new ArrayList<>();
        String host = normalise(registry);
        hosts.add(host);
        // Docker Hub goes by several names in auth files; docker login writes the v1 URL.
        if (List.of("docker.io", "index.docker.io", "registry-1.docker.io").contains(host)) {
            for (String h : List.of("docker.io", "index.docker.io", "registry-1.docker.io")) if (!h.equals(host)) hosts.add(h);
        }
        List<String> out = new ArrayList<>();
        if (repository != null) {
            String path = repository;
            while (true) {
                out.add(host + "/" + path);
                int slash = path.lastIndexOf('/');
                if (slash < 0) break;
                path = path.substring(0, slash);
            }
        }
        out.addAll(hosts);
        return out;
    }

    /**
     * A key as written in a file, or a registry name, reduced to {@code host[:port][/path]}: no
     * scheme, no trailing slash, no docker's {@code /v1/} or {@code /v2/} API path.
     */
    static String normalise(String key) {
        String k = key.trim();
        int scheme = k.indexOf("://");
        if (scheme >= 0) k = k.substring(scheme + 3);
        while (k.endsWith("/")) k = k.substring(0, k.length() - 1);
        if (k.endsWith("/v1") || k.endsWith("/v2")) k = k.substring(0, k.length() - 3);
        int slash = k.indexOf('/');
        String host = (slash < 0 ? k : k.substring(0, slash)).toLowerCase(Locale.ROOT);
        return slash < 0 ? host : host + k.substring(slash);
    }

    private static Map<String, Credentials> read(Path file) {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            return Map.of();
        } catch (IOException e) {
            throw new UncheckedIOException(file + ": " + e.getMessage(), e);
        }
        JsonNode root;
        try {
            root = JSON.readTree(bytes);
        } catch (JacksonException e) {
            throw new OciException(file + ": not valid JSON: " + e.getOriginalMessage(), e);
        }
        Map<String, Credentials> out = new LinkedHashMap<>();
        if (root == null || !root.isObject()) throw new OciException(file + ": not a JSON object");
        JsonNode auths = root.path("auths");
        if (auths.isMissingNode() || auths.isNull()) return out;
        if (!auths.isObject()) throw new OciException(file + ": auths must be an object");
        for (Map.Entry<String, JsonNode> e : auths.properties()) {
            String what = file + ": auths." + e.getKey();
            JsonNode entry = e.getValue();
            if (!entry.isObject()) throw new OciException(what + ": must be an object");
            String auth = text(entry, "auth", what);
            String user = text(entry, "username", what);
            String password = text(entry, "password", what);
            Credentials c = null;
            if (auth != null && !auth.isEmpty()) c = Credentials.decode(auth, what);
            else if (user != null && !user.isEmpty() && password != null) c = new Credentials(user, password);
            // an entry with neither is a marker left by a credential helper: nothing to use here
            if (c != null) out.putIfAbsent(normalise(e.getKey()), c);
        }
        return out;
    }

    private static String text(JsonNode n, String field, String what) {
        JsonNode v = n.get(field);
        if (v == null || v.isNull()) return null;
        if (!v.isString()) throw new OciException(what + ": " + field + " must be a string");
        return v.asString();
    }
}
