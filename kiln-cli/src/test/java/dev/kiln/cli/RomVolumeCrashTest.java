package dev.kiln.cli;

import static dev.kiln.cli.ServeCrashTest.awaitUp;
import static dev.kiln.cli.ServeCrashTest.call;
import static dev.kiln.cli.ServeCrashTest.serve;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.fs.guest.UnikraftProbe;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * kiln serve killed with SIGKILL in the middle of ROM and volume work: after the next start the
 * ROM store holds exactly the blobs the database references (no leaked blob, no dangling
 * reference), and a volume's data written before the kill is there for the next guest.
 */
class RomVolumeCrashTest {
    @TempDir Path tmp;

    @AfterEach
    void noGuestOutlivesTheTest() throws IOException {
        ServeCrashTest.killQemusUnder(tmp);
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    private Path dataWithProbe() {
        Path data = tmp.resolve("data");
        Cli pack = Cli.run("pack", "--kernel", UnikraftProbe.kernel().toString(), "-o", "oci:" + data.resolve("images") + ":probe:latest",
                "--rootfs", writeMotd().toString());
        assertThat(pack.exit()).as(pack.err()).isZero();
        return data;
    }

    private Path writeMotd() {
        try {
            Path dir = Files.createDirectories(tmp.resolve("rootfs/etc"));
            Files.writeString(dir.resolve("motd"), "hi\n");
            return tmp.resolve("rootfs");
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static String token(Path data) throws IOException {
        return Files.readString(data.resolve("token")).strip();
    }

    @Test
    void aKillInTheMiddleOfRomCreatesAndDeletesLeavesExactlyTheReferencedBlobsAfterTheNextStart() throws Exception {
        Path data = dataWithProbe();
        int port = freePort();
        Process first = serve(data, port, tmp);
        AtomicBoolean stop = new AtomicBoolean();
        AtomicInteger created = new AtomicInteger();
        ExecutorService clients = Executors.newFixedThreadPool(8);
        try {
            awaitUp(data, port);
            String token = token(data);
            for (int c = 0; c < 8; c++) {
                int client = c;
                clients.submit(() -> {
                    Random r = new Random(client);
                    for (int k = 0; !stop.get(); k++) {
                        try {
                            // 12 contents among all clients: blobs shared between instances, and freed by deletes.
                            String name = "c" + client + "-" + k;
                            call(port, token, "POST", "/v1/instances", "{\"name\":\"" + name + "\",\"image\":\"probe:latest\",\"roms\":[{\"name\":\"cfg\","
                                    + "\"files\":[{\"path\":\"v\",\"data\":\"content " + r.nextInt(12) + "\"}]}]}");
                            created.incrementAndGet();
                            if (r.nextBoolean()) call(port, token, "DELETE", "/v1/instances", "[{\"name\":\"" + name + "\"}]");
                        } catch (Exception e) {
                            return null; // the server is gone: the kill came
                        }
                    }
                    return null;
                });
            }
            while (created.get() < 150) Thread.sleep(10);
        } finally {
            first.destroyForcibly().waitFor(); // SIGKILL, with requests in flight
            stop.set(true);
            clients.shutdown();
            clients.awaitTermination(60, TimeUnit.SECONDS);
        }
        // Also what a kill between the two steps leaves for certain: a blob no row names yet, and a
        // blob's temporary (the kill above may or may not have hit such a window).
        Files.writeString(data.resolve("roms/sha256").resolve("0".repeat(64)), "orphan");
        Files.writeString(data.resolve("roms/sha256").resolve("." + "1".repeat(64) + ".99-1.tmp"), "half");
        Process second = serve(data, port, tmp);
        try {
            awaitUp(data, port);
            JsonNode all = call(port, token(data), "GET", "/v1/instances", null).get("data").get("instances");
            assertThat(all.size()).isGreaterThan(10);
        } finally {
            second.destroy();
            second.waitFor();
        }
        Set<String> referenced = new HashSet<>();
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + data.resolve("kiln.db"));
             ResultSet rs = c.createStatement().executeQuery("SELECT DISTINCT digest FROM instance_roms")) {
            while (rs.next()) referenced.add(rs.getString(1).substring("sha256:".length()));
        }
        List<String> stored = new ArrayList<>();
        try (Stream<Path> s = Files.list(data.resolve("roms/sha256"))) {
            s.forEach(p -> stored.add(p.getFileName().toString()));
        }
        assertThat(stored).as("the blobs on disk, temporaries included").containsExactlyInAnyOrderElementsOf(referenced);
        assertThat(referenced.size()).isBetween(1, 12);
    }

    @Test
    void aVolumesDataWrittenBeforeAKillIsReadByTheNextGuestAfterTheRestart() throws Exception {
        Path data = dataWithProbe();
        int port = freePort();
        Process first = serve(data, port, tmp);
        try {
            awaitUp(data, port);
            String token = token(data);
            call(port, token, "POST", "/v1/volumes", "{\"name\":\"keep\",\"size_mb\":16}");
            JsonNode w = call(port, token, "POST", "/v1/instances", "{\"name\":\"w\",\"image\":\"probe:latest\",\"autostart\":true,"
                    + "\"args\":[\"write=/data/note=before-the-kill\"],\"volumes\":[{\"name\":\"keep\",\"at\":\"/data\"}]}");
            assertThat(w.get("status").asString()).as(w.toString()).isEqualTo("success");
            JsonNode done = call(port, token, "GET", "/v1/instances/wait?name=w&state=stopped&timeout_s=60", null);
            assertThat(done.get("status").asString()).as(done.toString()).isEqualTo("success");
        } finally {
            first.destroyForcibly().waitFor();
        }
        Process second = serve(data, port, tmp);
        try {
            awaitUp(data, port);
            String token = token(data);
            call(port, token, "DELETE", "/v1/instances", "[{\"name\":\"w\"}]");
            call(port, token, "POST", "/v1/instances", "{\"name\":\"r\",\"image\":\"probe:latest\",\"autostart\":true,"
                    + "\"args\":[\"cat=/data/note\"],\"volumes\":[{\"name\":\"keep\",\"at\":\"/data\"}]}");
            call(port, token, "GET", "/v1/instances/wait?name=r&state=stopped&timeout_s=60", null);
            JsonNode log = call(port, token, "GET", "/v1/instances/log?name=r", null).get("data").get("instances").get(0);
            String console = new String(java.util.Base64.getDecoder().decode(log.get("output").asString()));
            assertThat(console).contains("data=before-the-kill");
        } finally {
            second.destroy();
            second.waitFor();
        }
    }
}
