package dev.kiln.oci.registry;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.regex.Pattern;

/**
 * An HTTP proxy in front of a real registry that logs every exchange and misbehaves on request:
 * answers in the registry's place, drops a connection before or after forwarding, corrupts or
 * cuts a body, or lies in a header. Each rule applies a given number of times, then passes
 * requests through.
 */
final class TestProxy implements AutoCloseable {
    /** One exchange as the proxy saw it; status -1 when the proxy dropped the connection. */
    record Exchange(String method, String pathAndQuery, int status, String contentRange, int requestBytes, boolean authorization) {
        boolean is(String m, String regex) {
            return method.equals(m) && Pattern.compile(regex).matcher(pathAndQuery).find();
        }
    }

    sealed interface Action {}

    /** Answers without asking the registry. */
    record Respond(int status, Map<String, String> headers, byte[] body) implements Action {}

    /** Reads the request and closes the connection without an answer; the registry never sees it. */
    record Drop() implements Action {}

    /** Forwards the request, then closes the connection without passing the answer on. */
    record ForwardThenDrop() implements Action {}

    /** Forwards, then flips a byte in the middle of the answer's body. */
    record Corrupt() implements Action {}

    /** Forwards, then passes on only the first {@code keep} bytes of the body (with a matching Content-Length). */
    record Truncate(int keep) implements Action {}

    /** Forwards, then sets a header of the answer. */
    record SetHeader(String name, String value) implements Action {}

    private static final class Rule {
        final String method;
        final Pattern path;
        final Action action;
        int skip;
        int remaining;

        Rule(String method, Pattern path, int skip, int times, Action action) {
            this.method = method;
            this.path = path;
            this.skip = skip;
            this.remaining = times;
            this.action = action;
        }
    }

    private static final Set<String> HOP = Set.of("host", "connection", "content-length", "expect", "upgrade", "transfer-encoding", "keep-alive",
            "date");

    private final URI upstream;
    private final HttpServer server;
    private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
    private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).followRedirects(HttpClient.Redirect.NEVER).build();
    private final List<Rule> rules = new ArrayList<>();
    final List<Exchange> log = new CopyOnWriteArrayList<>();

    TestProxy(String upstreamHost) throws IOException {
        this.upstream = URI.create("http://" + upstreamHost);
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.setExecutor(executor);
        server.createContext("/", this::handle);
        server.start();
    }

    String host() {
        return "127.0.0.1:" + server.getAddress().getPort();
    }

    /** Applies {@code action} to the next {@code times} requests of {@code method} whose path and query match {@code regex}. */
    synchronized TestProxy on(String method, String regex, int times, Action action) {
        return on(method, regex, 0, times, action);
    }

    /** As {@link #on(String, String, int, Action)}, letting the first {@code skip} matching requests through first. */
    synchronized TestProxy on(String method, String regex, int skip, int times, Action action) {
        rules.add(new Rule(method, Pattern.compile(regex), skip, times, action));
        return this;
    }

    synchronized void clearRules() {
        rules.clear();
    }

    List<Exchange> matching(String method, String regex) {
        return log.stream().filter(e -> e.is(method, regex)).toList();
    }

    private synchronized Action take(String method, String pathAndQuery) {
        for (Rule r : rules) {
            if (r.remaining > 0 && r.method.equals(method) && r.path.matcher(pathAndQuery).find()) {
                if (r.skip > 0) {
                    r.skip--;
                    continue;
                }
                r.remaining--;
                return r.action;
            }
        }
        return null;
    }

    private void handle(HttpExchange ex) throws IOException {
        try (ex) {
            String method = ex.getRequestMethod();
            URI u = ex.getRequestURI();
            String pq = u.getRawPath() + (u.getRawQuery() != null ? "?" + u.getRawQuery() : "");
            byte[] body = ex.getRequestBody().readAllBytes();
            String range = ex.getRequestHeaders().getFirst("Content-Range");
            boolean authorization = ex.getRequestHeaders().containsKey("Authorization");
            Action action = take(method, pq);
            if (action instanceof Respond(int status, Map<String, String> headers, byte[] answer)) {
                headers.forEach((k, v) -> ex.getResponseHeaders().set(k, v));
                // Logged before the answer goes out: once the client has it, its next request may
                // reach this log first, and the log must keep the order the requests were made in.
                log.add(new Exchange(method, pq, status, range, body.length, authorization));
                send(ex, method, status, answer, null);
                return;
            }
            if (action instanceof Drop) {
                log.add(new Exchange(method, pq, -1, range, body.length, authorization));
                throw new IOException("test proxy: dropping the connection");
            }
            HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(upstream + pq))
                    .method(method, body.length == 0 ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body));
            ex.getRequestHeaders().forEach((k, vs) -> {
                if (!HOP.contains(k.toLowerCase(Locale.ROOT))) for (String v : vs) b.header(k, v);
            });
            HttpResponse<byte[]> resp;
            try {
                resp = client.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException(e);
            }
            if (action instanceof ForwardThenDrop) {
                log.add(new Exchange(method, pq, -1, range, body.length, authorization));
                throw new IOException("test proxy: dropping the answer");
            }
            byte[] answer = resp.body();
            Map<String, List<String>> headers = new LinkedHashMap<>(resp.headers().map());
            if (action instanceof Corrupt && answer.length > 0) answer[answer.length / 2] ^= 0x5a;
            if (action instanceof Truncate(int keep)) answer = java.util.Arrays.copyOf(answer, Math.min(keep, answer.length));
            if (action instanceof SetHeader(String name, String value)) {
                headers.keySet().removeIf(k -> k.equalsIgnoreCase(name));
                headers.put(name, List.of(value));
            }
            headers.forEach((k, vs) -> {
                if (HOP.contains(k.toLowerCase(Locale.ROOT)) || k.equals(":status")) return;
                for (String v : vs) ex.getResponseHeaders().add(k, k.equalsIgnoreCase("Location") ? v.replace(upstream.toString(), "http://" + host()) : v);
            });
            String length = resp.headers().firstValue("Content-Length").orElse(null);
            log.add(new Exchange(method, pq, resp.statusCode(), range, body.length, authorization)); // before the answer: see above
            send(ex, method, resp.statusCode(), answer, length);
        }
    }

    /** Sends an answer; a HEAD answer keeps the registry's Content-Length but has no body. */
    private static void send(HttpExchange ex, String method, int status, byte[] body, String headLength) throws IOException {
        if (method.equals("HEAD")) {
            if (headLength != null) ex.getResponseHeaders().set("Content-Length", headLength);
            ex.sendResponseHeaders(status, -1);
        } else if (status == 204 || body.length == 0) {
            ex.sendResponseHeaders(status, -1);
        } else {
            ex.sendResponseHeaders(status, body.length);
            ex.getResponseBody().write(body);
        }
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
        client.close();
    }
}
