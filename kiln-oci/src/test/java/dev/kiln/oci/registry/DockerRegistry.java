package dev.kiln.oci.registry;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * Debian's docker-registry (distribution 2.8) on a free loopback port, storing in a directory of
 * the test's. Plain HTTP without auth, or with htpasswd basic auth behind TLS, or with token
 * auth against a {@link TokenServer}.
 */
public final class DockerRegistry implements AutoCloseable {
    private final Process process;
    private final int port;
    private final Path dir;
    private final Path log;

    private DockerRegistry(Process process, int port, Path dir, Path log) {
        this.process = process;
        this.port = port;
        this.dir = dir;
        this.log = log;
    }

    /** An open registry over plain HTTP. */
    public static DockerRegistry plain(Path dir) throws IOException, InterruptedException {
        return start(dir, "");
    }

    /** Basic auth (a bcrypt htpasswd made with apache2-utils' htpasswd) behind TLS with {@code tls}. */
    static DockerRegistry basicTls(Path dir, TestPki.KeyPair tls, String user, String password) throws IOException, InterruptedException {
        String htpasswd = Tools.require("htpasswd", "apache2-utils").toString();
        Path file = dir.resolve("htpasswd");
        Files.createDirectories(dir);
        Files.writeString(file, Tools.check(30, htpasswd, "-Bbn", user, password));
        String extra = """
                  tls:
                    certificate: "%s"
                    key: "%s"
                auth:
                  htpasswd:
                    realm: kiln-test
                    path: "%s"
                """.formatted(tls.certificate(), tls.key(), file);
        return start(dir, extra);
    }

    /** Token auth: the registry trusts tokens signed by {@code tokens}' key and sends clients to its realm. */
    static DockerRegistry token(Path dir, TokenServer tokens) throws IOException, InterruptedException {
        String extra = """
                auth:
                  token:
                    realm: "%s"
                    service: "%s"
                    issuer: "%s"
                    rootcertbundle: "%s"
                """.formatted(tokens.realm(), TokenServer.SERVICE, TokenServer.ISSUER, tokens.certificate());
        return start(dir, extra);
    }

    private static DockerRegistry start(Path dir, String extra) throws IOException, InterruptedException {
        Path binary = Tools.require("docker-registry", "docker-registry");
        Files.createDirectories(dir.resolve("storage"));
        IOException last = null;
        // A free port can be taken by someone else between our probe and the registry's bind: try again.
        for (int attempt = 0; attempt < 3; attempt++) {
            int port = freePort();
            Path config = dir.resolve("config.yml");
            // "http:" is last before the extra sections so that a tls block lands under it.
            Files.writeString(config, """
                    version: 0.1
                    log:
                      level: warn
                      accesslog:
                        disabled: true
                    storage:
                      filesystem:
                        rootdirectory: "%s"
                      delete:
                        enabled: true
                      maintenance:
                        uploadpurging:
                          enabled: false
                    http:
                      addr: 127.0.0.1:%d
                      secret: kiln-test-secret
                    """.formatted(dir.resolve("storage"), port) + extra);
            Path log = dir.resolve("registry-" + port + ".log");
            Process p = new ProcessBuilder(binary.toString(), "serve", config.toString())
                    .redirectErrorStream(true).redirectOutput(log.toFile()).start();
            DockerRegistry r = new DockerRegistry(p, port, dir, log);
            if (r.awaitListening()) return r;
            r.close();
            last = new IOException("docker-registry did not start on port " + port + ":\n" + Files.readString(log, StandardCharsets.UTF_8));
        }
        throw last;
    }

    private boolean awaitListening() throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) return false;
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", port), 200);
            } catch (IOException notYet) {
                Thread.sleep(50);
                continue;
            }
            // Someone else may hold the port (taken between our probe and the registry's bind):
            // then the registry exits at once, saying so.
            Thread.sleep(150);
            return process.isAlive() && !logText().contains("address already in use");
        }
        return false;
    }

    private String logText() {
        try {
            return Files.readString(log, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "";
        }
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    /** {@code 127.0.0.1:PORT}, as a registry name. */
    public String host() {
        return "127.0.0.1:" + port;
    }

    int port() {
        return port;
    }

    Path storage() {
        return dir.resolve("storage");
    }

    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) process.destroyForcibly().waitFor();
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }
}
