package dev.kiln.cli;

import dev.kiln.fs.KilnException;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The CLI's side of the platform API: where it is ({@code UKC_METRO}, a URL, as the official
 * tools take it, default {@code http://127.0.0.1:8080}) and the token ({@code UKC_TOKEN}).
 * Envelope errors become one line naming what failed.
 */
final class PlatformClient {
    static final JsonMapper JSON = JsonMapper.builder().build();
    private final String base;
    private final String token;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private PlatformClient(String base, String token) {
        this.base = base;
        this.token = token;
    }

    static PlatformClient fromEnvironment() {
        String metro = System.getenv("UKC_METRO");
        if (metro == null || metro.isBlank()) metro = "http://127.0.0.1:8080";
        if (!metro.startsWith("http://") && !metro.startsWith("https://")) {
            throw new KilnException("UKC_METRO=" + metro + ": kiln talks to a platform by URL (http://HOST:PORT), as kiln serve prints it");
        }
        metro = metro.replaceAll("/+$", "").replaceAll("/v1$", "");
        String token = System.getenv("UKC_TOKEN");
        if (token == null || token.isBlank()) throw new KilnException("UKC_TOKEN is not set: kiln serve prints how to set it");
        return new PlatformClient(metro, token.strip());
    }

    /** A client of the platform at {@code base} (http://HOST:PORT): what kiln demo uses for the platform it starts. */
    static PlatformClient of(String base, String token) {
        return new PlatformClient(base, token);
    }

    static String q(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    /** Sends a request; returns the envelope, failing with its message unless every item succeeded. */
    JsonNode send(String method, String path, Object body) throws IOException, InterruptedException {
        JsonNode env = sendLenient(method, path, body);
        if (!"success".equals(env.path("status").asString())) {
            StringBuilder msg = new StringBuilder(env.path("message").asString("request failed"));
            for (JsonNode item : env.path("data").path(plural(path))) {
                if ("error".equals(item.path("status").asString())) msg.append("; ").append(item.path("message").asString());
            }
            throw new KilnException(msg.toString());
        }
        return env;
    }

    JsonNode sendLenient(String method, String path, Object body) throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).header("Authorization", "Bearer " + token)
                .timeout(Duration.ofMinutes(10));
        if (body != null) {
            b.header("Content-Type", "application/json").method(method, HttpRequest.BodyPublishers.ofByteArray(JSON.writeValueAsBytes(body)));
        } else {
            b.method(method, HttpRequest.BodyPublishers.noBody());
        }
        HttpResponse<byte[]> r;
        try {
            r = http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
        } catch (ConnectException e) {
            throw new KilnException(base + ": no platform answers there (start one with kiln serve, or set UKC_METRO)");
        }
        JsonNode env;
        try {
            env = JSON.readTree(r.body());
        } catch (RuntimeException e) {
            throw new KilnException(base + path + ": HTTP " + r.statusCode() + ", not a JSON answer");
        }
        if (r.statusCode() >= 400) throw new KilnException("HTTP " + r.statusCode() + ": " + env.path("message").asString("request failed"));
        return env;
    }

    private static String plural(String path) {
        String p = path.substring(4);
        int end = p.indexOf('/') >= 0 ? p.indexOf('/') : p.indexOf('?') >= 0 ? p.indexOf('?') : p.length();
        return p.substring(0, end);
    }
}
