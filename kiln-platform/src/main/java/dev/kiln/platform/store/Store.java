package dev.kiln.platform.store;

import dev.kiln.platform.instance.Instance;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * Where the platform keeps its state: SQLite in the data directory by default, PostgreSQL when
 * asked. Every write is one transaction; an update succeeds only if the row still has the
 * version the caller read, so concurrent requests cannot lose each other's changes.
 */
public interface Store extends AutoCloseable {
    /** Inserts a new instance; false when its name is taken (nothing written). */
    boolean insert(Instance i);

    Optional<Instance> byUuid(UUID uuid);

    Optional<Instance> byName(String name);

    /** Instances in creation order; {@code afterSeq} (exclusive) and {@code limit} (0 = all) page them. */
    List<Instance> list(long afterSeq, int limit);

    int count();

    /** Replaces {@code i} if the stored row still has {@code i.version()}; returns the stored value, or empty if it changed or vanished. */
    Optional<Instance> update(Instance i);

    boolean delete(UUID uuid);

    /** The next creation sequence number (monotonic across restarts). */
    long nextSeq();

    Optional<String> setting(String key);

    void setting(String key, String value);

    /** Which database this is, for messages ({@code sqlite:/path}, {@code postgresql://host/db}). */
    String describe();

    @Override
    void close();
}
