package dev.kiln.oci.registry;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * Stands in for the object storage a registry redirects blob downloads to: serves bytes by path,
 * on a port of its own (another origin), and notes whether a request carried credentials.
 */
final class TestStorage implements AutoCloseable {
    private final HttpServer server;
    private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
    private final Map<String, byte[]> objects = new ConcurrentHashMap<>();
    /** Per request: the path and whether it had an Authorization header. */
    final List<Map.Entry<String, Boolean>> requests = new CopyOnWriteArrayList<>();

    TestStorage() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.setExecutor(executor);
        server.createContext("/", this::handle);
        server.start();
    }

    /** Serves {@code bytes} at the returned URL. */
    URI put(String name, byte[] bytes) {
        objects.put("/" + name, bytes);
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/" + name + "?X-Signature=test");
    }

    private void handle(HttpExchange ex) throws IOException {
        try (ex) {
            String path = ex.getRequestURI().getRawPath();
            requests.add(Map.entry(path, ex.getRequestHeaders().containsKey("Authorization")));
            byte[] b = objects.get(path);
            if (b == null) {
                ex.sendResponseHeaders(404, -1);
                return;
            }
            ex.sendResponseHeaders(200, b.length == 0 ? -1 : b.length);
            ex.getResponseBody().write(b);
        }
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }
}
