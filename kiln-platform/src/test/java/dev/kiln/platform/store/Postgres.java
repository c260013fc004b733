package dev.kiln.platform.store;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A throwaway PostgreSQL cluster on loopback for tests: Debian's PostgreSQL binaries, initdb
 * into a temporary directory as the {@code postgres} user, a free port, trust authentication
 * on 127.0.0.1 only. {@link #close} stops it and removes the directory.
 */
public final class Postgres implements AutoCloseable {
    private final Path dir;
    private final int port;
    private final Path bin;

    private Postgres(Path dir, int port, Path bin) {
        this.dir = dir;
        this.port = port;
        this.bin = bin;
    }

    public static Postgres start() throws IOException, InterruptedException {
        Path bin = findBin();
        Path dir = Files.createTempDirectory("kiln-pg-");
        run(List.of("chown", "postgres:postgres", dir.toString()));
        Path data = dir.resolve("data");
        asPostgres(bin.resolve("initdb") + " -D " + data + " -A trust -U postgres --no-sync -E UTF8");
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        asPostgres(bin.resolve("pg_ctl") + " -D " + data + " -l " + dir.resolve("log") + " -w -t 60 -o '-c listen_addresses=127.0.0.1 -p " + port
                + " -k " + dir + " -c fsync=off' start");
        Postgres pg = new Postgres(dir, port, bin);
        asPostgres(bin.resolve("createdb") + " -h 127.0.0.1 -p " + port + " -U postgres kiln");
        return pg;
    }

    /** {@code postgresql://postgres@127.0.0.1:PORT/kiln}. */
    public String url() {
        return "postgresql://postgres@127.0.0.1:" + port + "/kiln";
    }

    /** A fresh, empty database in this cluster, for a test that needs its own. */
    public String newDatabase(String name) throws IOException, InterruptedException {
        asPostgres(bin.resolve("createdb") + " -h 127.0.0.1 -p " + port + " -U postgres " + name);
        return "postgresql://postgres@127.0.0.1:" + port + "/" + name;
    }

    @Override
    public void close() throws IOException {
        try {
            asPostgres(bin.resolve("pg_ctl") + " -D " + dir.resolve("data") + " -m immediate -w stop");
            run(List.of("rm", "-rf", dir.toString()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException("interrupted while stopping PostgreSQL");
        }
    }

    private static Path findBin() {
        try (var s = Files.list(Path.of("/usr/lib/postgresql"))) {
            Path newest = s.map(p -> p.resolve("bin")).filter(p -> Files.isExecutable(p.resolve("initdb")))
                    .max(java.util.Comparator.comparing(Path::toString)).orElse(null);
            if (newest != null) return newest;
        } catch (IOException ignored) {
            // fall through to the message
        }
        throw new AssertionError("PostgreSQL is not installed: apt-get install postgresql");
    }

    private static void asPostgres(String command) throws IOException, InterruptedException {
        run(List.of("runuser", "-u", "postgres", "--", "sh", "-c", command));
    }

    private static void run(List<String> cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(new ArrayList<>(cmd)).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.waitFor() != 0) throw new AssertionError(String.join(" ", cmd) + " failed:\n" + out);
    }
}
