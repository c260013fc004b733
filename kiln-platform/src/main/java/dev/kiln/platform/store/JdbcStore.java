package dev.kiln.platform.store;

import dev.kiln.fs.KilnException;
import dev.kiln.platform.instance.Instance;
import dev.kiln.platform.instance.InstanceRom;
import dev.kiln.platform.volume.Volume;
import java.lang.reflect.Proxy;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import org.flywaydb.core.Flyway;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.statement.UnableToExecuteStatementException;

/**
 * The store on JDBC through JDBI, for SQLite and PostgreSQL, with the schema kept by Flyway
 * (one migration directory per dialect, since SQLite's ALTER TABLE is limited).
 *
 * <p>SQLite: one connection, in WAL mode, used by one thread at a time (SQLite has a single
 * writer anyway, and its JNI calls pin virtual threads, so a queue of one is the honest
 * shape). PostgreSQL: a small fixed pool. An instance's row is its JSON {@code body} plus the
 * columns that are looked up or unique (uuid, name, state, creation order), so the model can
 * grow without a migration per field.
 */
public final class JdbcStore implements Store {
    private final Jdbi jdbi;
    private final BlockingQueue<Connection> pool;
    private final List<Connection> all;
    private final String describe;
    private final java.util.concurrent.atomic.AtomicLong seq = new java.util.concurrent.atomic.AtomicLong(-1);

    private JdbcStore(List<Connection> connections, String describe) {
        this.all = List.copyOf(connections);
        this.pool = new ArrayBlockingQueue<>(connections.size(), false, connections);
        this.describe = describe;
        this.jdbi = Jdbi.create(this::borrow);
    }

    /** The SQLite database {@code file}, created and migrated as needed. */
    public static JdbcStore sqlite(Path file) {
        String url = "jdbc:sqlite:" + file.toAbsolutePath();
        migrate(url, null, null, "classpath:db/sqlite");
        try {
            Connection c = DriverManager.getConnection(url);
            try (Statement s = c.createStatement()) {
                // WAL: readers do not block the writer; NORMAL: a commit survives a crash of the
                // process (kill -9), only an OS crash can lose the last ones.
                s.execute("PRAGMA journal_mode=WAL");
                s.execute("PRAGMA synchronous=NORMAL");
                s.execute("PRAGMA busy_timeout=5000");
                s.execute("PRAGMA foreign_keys=ON");
            }
            return new JdbcStore(List.of(c), "sqlite:" + file);
        } catch (SQLException e) {
            throw new KilnException("database " + file + ": " + e.getMessage(), e);
        }
    }

    /**
     * PostgreSQL at {@code url}: {@code postgresql://[user[:password]@]host[:port]/database}
     * (or a {@code jdbc:postgresql:} URL); the schema is created and migrated as needed.
     */
    public static JdbcStore postgresql(String url, int connections) {
        String jdbc;
        String user = null, password = null;
        if (url.startsWith("jdbc:postgresql:")) {
            jdbc = url;
        } else {
            URI u = URI.create(url);
            if (!"postgresql".equals(u.getScheme()) && !"postgres".equals(u.getScheme())) {
                throw new KilnException("database URL \"" + url + "\": expected postgresql://[user[:password]@]host[:port]/database");
            }
            if (u.getRawUserInfo() != null) {
                String[] ui = u.getRawUserInfo().split(":", 2);
                user = URLDecoder.decode(ui[0], StandardCharsets.UTF_8);
                if (ui.length > 1) password = URLDecoder.decode(ui[1], StandardCharsets.UTF_8);
            }
            jdbc = "jdbc:postgresql://" + u.getHost() + (u.getPort() > 0 ? ":" + u.getPort() : "") + u.getRawPath()
                    + (u.getRawQuery() != null ? "?" + u.getRawQuery() : "");
        }
        migrate(jdbc, user, password, "classpath:db/postgresql");
        Properties p = new Properties();
        if (user != null) p.setProperty("user", user);
        if (password != null) p.setProperty("password", password);
        List<Connection> cs = new java.util.ArrayList<>();
        try {
            for (int i = 0; i < connections; i++) cs.add(DriverManager.getConnection(jdbc, p));
        } catch (SQLException e) {
            for (Connection c : cs) closeQuietly(c);
            throw new KilnException("database " + url.replaceAll(":[^:@/]*@", ":***@") + ": " + e.getMessage(), e);
        }
        return new JdbcStore(cs, "postgresql:" + jdbc.substring("jdbc:postgresql:".length()));
    }

    private static void migrate(String url, String user, String password, String location) {
        try {
            Flyway.configure().dataSource(url, user, password).locations(location).load().migrate();
        } catch (RuntimeException e) {
            throw new KilnException("database " + url + ": migrating the schema failed: " + e.getMessage(), e);
        }
    }

    /** A pooled connection whose close gives it back. */
    private Connection borrow() throws SQLException {
        Connection c;
        try {
            c = pool.poll(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SQLException("interrupted while waiting for a database connection");
        }
        if (c == null) throw new SQLException("no database connection free for 30 s");
        Connection real = c;
        boolean[] returned = {false};
        return (Connection) Proxy.newProxyInstance(Connection.class.getClassLoader(), new Class<?>[] {Connection.class}, (proxy, m, args) -> {
            if (m.getName().equals("close")) {
                if (!returned[0]) {
                    returned[0] = true;
                    if (!real.getAutoCommit()) {
                        real.rollback();
                        real.setAutoCommit(true);
                    }
                    pool.add(real);
                }
                return null;
            }
            if (m.getName().equals("isClosed")) return returned[0];
            try {
                return m.invoke(real, args);
            } catch (java.lang.reflect.InvocationTargetException e) {
                throw e.getCause();
            }
        });
    }

    @Override
    public Insert insert(Instance i, List<Volume> created, List<Volume> attached) {
        try {
            return jdbi.inTransaction(h -> {
                if (h.createQuery("SELECT count(*) FROM instances WHERE name = :n").bind("n", i.name()).mapTo(Integer.class).one() > 0) {
                    return Insert.NAME_TAKEN;
                }
                h.createUpdate("INSERT INTO instances (uuid, name, image, state, created_at, created_seq, memory_mb, vcpus, restart_policy, body, version)"
                                + " VALUES (:uuid, :name, :image, :state, :created, :seq, :mem, :vcpus, :rp, :body, :version)")
                        .bind("uuid", i.uuid().toString()).bind("name", i.name()).bind("image", i.image()).bind("state", i.state().wire())
                        .bind("created", i.createdAt().toString()).bind("seq", i.createdSeq()).bind("mem", i.memoryMb())
                        .bind("vcpus", i.vcpus()).bind("rp", i.restartPolicy().wire()).bind("body", InstanceCodec.encode(i))
                        .bind("version", i.version()).execute();
                writeRomRefs(h, i);
                for (Volume v : created) {
                    if (!insertVolume(h, v)) throw new Abort(Insert.VOLUME_NAME_TAKEN);
                }
                for (Volume v : attached) {
                    if (updateVolume(h, v) != 1) throw new Abort(Insert.VOLUME_CHANGED);
                }
                return Insert.OK;
            });
        } catch (Abort a) {
            return (Insert) a.outcome;
        } catch (UnableToExecuteStatementException e) {
            // A concurrent insert of the same name won the unique constraint (which of the two, the
            // checks above would have said; a race is rare enough to report as the instance's).
            if (isUniqueViolation(e)) return Insert.NAME_TAKEN;
            throw e;
        }
    }

    /** Ends a transaction with a rollback and an outcome: thrown out of the callback, caught by its caller. */
    private static final class Abort extends RuntimeException {
        final Object outcome;

        Abort(Object outcome) {
            super(null, null, false, false);
            this.outcome = outcome;
        }
    }

    /** The instance's inline ROMs as reference rows: replaced whole, since a PATCH may change any of them. */
    private static void writeRomRefs(Handle h, Instance i) {
        h.createUpdate("DELETE FROM instance_roms WHERE instance_uuid = :u").bind("u", i.uuid().toString()).execute();
        for (InstanceRom r : i.roms()) {
            if (!r.inline()) continue;
            h.createUpdate("INSERT INTO instance_roms (instance_uuid, name, digest) VALUES (:u, :n, :d)")
                    .bind("u", i.uuid().toString()).bind("n", r.name()).bind("d", r.digest()).execute();
        }
    }

    private static boolean isUniqueViolation(Exception e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof SQLException s && ("23505".equals(s.getSQLState()) || String.valueOf(s.getMessage()).contains("UNIQUE"))) return true;
        }
        return false;
    }

    @Override
    public Optional<Instance> byUuid(UUID uuid) {
        return jdbi.withHandle(h -> h.createQuery("SELECT body FROM instances WHERE uuid = :u").bind("u", uuid.toString())
                .mapTo(String.class).findOne().map(InstanceCodec::decode));
    }

    @Override
    public Optional<Instance> byName(String name) {
        return jdbi.withHandle(h -> h.createQuery("SELECT body FROM instances WHERE name = :n").bind("n", name)
                .mapTo(String.class).findOne().map(InstanceCodec::decode));
    }

    @Override
    public List<Instance> list(long afterSeq, int limit) {
        return jdbi.withHandle(h -> h.createQuery("SELECT body FROM instances WHERE created_seq > :a ORDER BY created_seq"
                        + (limit > 0 ? " LIMIT " + limit : ""))
                .bind("a", afterSeq).mapTo(String.class).map(InstanceCodec::decode).list());
    }

    @Override
    public int count() {
        return jdbi.withHandle(h -> h.createQuery("SELECT count(*) FROM instances").mapTo(Integer.class).one());
    }

    @Override
    public Optional<Instance> update(Instance i) {
        Instance next = i.withVersion(i.version() + 1);
        return jdbi.inTransaction(h -> {
            int n = h.createUpdate("UPDATE instances SET image = :image, state = :state, memory_mb = :mem, vcpus = :vcpus,"
                            + " body = :body, version = :nv WHERE uuid = :uuid AND version = :v")
                    .bind("image", next.image()).bind("state", next.state().wire()).bind("mem", next.memoryMb()).bind("vcpus", next.vcpus())
                    .bind("body", InstanceCodec.encode(next)).bind("nv", next.version()).bind("uuid", next.uuid().toString())
                    .bind("v", i.version()).execute();
            if (n != 1) return Optional.<Instance>empty();
            // State changes are most updates and leave the ROMs alone: rewrite the references only for a PATCH of them.
            if (!next.roms().isEmpty() || hasRomRefs(h, next.uuid())) writeRomRefs(h, next);
            return Optional.of(next);
        });
    }

    private static boolean hasRomRefs(Handle h, UUID u) {
        return h.createQuery("SELECT count(*) FROM instance_roms WHERE instance_uuid = :u").bind("u", u.toString()).mapTo(Integer.class).one() > 0;
    }

    @Override
    public boolean delete(UUID uuid, List<Volume> detached, List<UUID> dropped) {
        try {
            return jdbi.inTransaction(h -> {
            // The ROM references go with the row (ON DELETE CASCADE), in this transaction.
            h.createUpdate("DELETE FROM instance_roms WHERE instance_uuid = :u").bind("u", uuid.toString()).execute();
            if (h.createUpdate("DELETE FROM instances WHERE uuid = :u").bind("u", uuid.toString()).execute() != 1) throw new Abort(false);
            for (Volume v : detached) {
                if (updateVolume(h, v) != 1) throw new Abort(false);
            }
            for (UUID v : dropped) h.createUpdate("DELETE FROM volumes WHERE uuid = :u").bind("u", v.toString()).execute();
            return true;
            });
        } catch (Abort a) {
            return (Boolean) a.outcome;
        }
    }

    @Override
    public Set<String> romDigests() {
        return new java.util.HashSet<>(jdbi.withHandle(h -> h.createQuery("SELECT DISTINCT digest FROM instance_roms").mapTo(String.class).list()));
    }

    @Override
    public boolean romReferenced(String digest) {
        return jdbi.withHandle(h -> h.createQuery("SELECT count(*) FROM instance_roms WHERE digest = :d").bind("d", digest)
                .mapTo(Integer.class).one()) > 0;
    }

    // ---- volumes ----

    @Override
    public boolean insertVolume(Volume v) {
        try {
            return jdbi.inTransaction(h -> insertVolume(h, v));
        } catch (UnableToExecuteStatementException e) {
            if (isUniqueViolation(e)) return false;
            throw e;
        }
    }

    private static boolean insertVolume(Handle h, Volume v) {
        if (h.createQuery("SELECT count(*) FROM volumes WHERE name = :n").bind("n", v.name()).mapTo(Integer.class).one() > 0) return false;
        h.createUpdate("INSERT INTO volumes (uuid, name, created_seq, attached_to, body, version) VALUES (:u, :n, :s, :a, :b, :v)")
                .bind("u", v.uuid().toString()).bind("n", v.name()).bind("s", v.createdSeq())
                .bind("a", v.attachedTo() == null ? null : v.attachedTo().toString()).bind("b", VolumeCodec.encode(v))
                .bind("v", v.version()).execute();
        return true;
    }

    @Override
    public Optional<Volume> volume(UUID uuid) {
        return jdbi.withHandle(h -> h.createQuery("SELECT body FROM volumes WHERE uuid = :u").bind("u", uuid.toString())
                .mapTo(String.class).findOne().map(VolumeCodec::decode));
    }

    @Override
    public Optional<Volume> volumeByName(String name) {
        return jdbi.withHandle(h -> h.createQuery("SELECT body FROM volumes WHERE name = :n").bind("n", name)
                .mapTo(String.class).findOne().map(VolumeCodec::decode));
    }

    @Override
    public List<Volume> volumes(long afterSeq, int limit) {
        return jdbi.withHandle(h -> h.createQuery("SELECT body FROM volumes WHERE created_seq > :a ORDER BY created_seq"
                        + (limit > 0 ? " LIMIT " + limit : ""))
                .bind("a", afterSeq).mapTo(String.class).map(VolumeCodec::decode).list());
    }

    @Override
    public List<Volume> volumesOf(UUID instance) {
        return jdbi.withHandle(h -> h.createQuery("SELECT body FROM volumes WHERE attached_to = :i ORDER BY created_seq")
                .bind("i", instance.toString()).mapTo(String.class).map(VolumeCodec::decode).list());
    }

    @Override
    public Optional<Volume> updateVolume(Volume v) {
        Volume next = v.withVersion(v.version() + 1);
        return jdbi.withHandle(h -> updateVolume(h, v)) == 1 ? Optional.of(next) : Optional.empty();
    }

    /** Replaces the row of {@code v} with its next version if it still has {@code v.version()}; the rows changed. */
    private static int updateVolume(Handle h, Volume v) {
        Volume next = v.withVersion(v.version() + 1);
        return h.createUpdate("UPDATE volumes SET attached_to = :a, body = :b, version = :nv WHERE uuid = :u AND version = :v")
                .bind("a", next.attachedTo() == null ? null : next.attachedTo().toString()).bind("b", VolumeCodec.encode(next))
                .bind("nv", next.version()).bind("u", next.uuid().toString()).bind("v", v.version()).execute();
    }

    @Override
    public boolean deleteVolume(UUID uuid) {
        return jdbi.withHandle(h -> h.createUpdate("DELETE FROM volumes WHERE uuid = :u").bind("u", uuid.toString()).execute()) == 1;
    }

    /**
     * Creation numbers (shared by instances and volumes) come from memory, started past the largest stored one: a number taken by a
     * create that then failed is simply never used, and a restart continues after what is stored.
     */
    @Override
    public long nextSeq() {
        long s = seq.get();
        if (s < 0) {
            synchronized (seq) {
                if (seq.get() < 0) {
                    seq.set(jdbi.withHandle(h -> h.createQuery("SELECT coalesce(max(s), 0) FROM (SELECT max(created_seq) AS s FROM instances"
                            + " UNION ALL SELECT max(created_seq) FROM volumes) t").mapTo(Long.class).one()));
                }
            }
        }
        return seq.incrementAndGet();
    }

    @Override
    public Optional<String> setting(String key) {
        return jdbi.withHandle(h -> h.createQuery("SELECT value FROM settings WHERE key = :k").bind("k", key).mapTo(String.class).findOne());
    }

    @Override
    public void setting(String key, String value) {
        jdbi.useTransaction(h -> upsert(h, key, value));
    }

    private void upsert(Handle h, String key, String value) {
        h.createUpdate("INSERT INTO settings (key, value) VALUES (:k, :v) ON CONFLICT (key) DO UPDATE SET value = excluded.value")
                .bind("k", key).bind("v", value).execute();
    }

    @Override
    public String describe() {
        return describe;
    }

    @Override
    public void close() {
        for (Connection c : all) closeQuietly(c);
    }

    private static void closeQuietly(Connection c) {
        try {
            c.close();
        } catch (SQLException ignored) {
            // closing at shutdown: nothing left to do with the error
        }
    }
}
