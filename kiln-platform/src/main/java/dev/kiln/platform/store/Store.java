package dev.kiln.platform.store;

import dev.kiln.platform.instance.Instance;
import dev.kiln.platform.volume.Volume;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;

/**
 * Where the platform keeps its state: SQLite in the data directory by default, PostgreSQL when
 * asked. Every write is one transaction; an update succeeds only if the row still has the
 * version the caller read, so concurrent requests cannot lose each other's changes.
 */
public interface Store extends AutoCloseable {
    /** Inserts a new instance; false when its name is taken (nothing written). */
    default boolean insert(Instance i) {
        return insert(i, List.of(), List.of()) == Insert.OK;
    }

    /** How an insert went; anything but OK wrote nothing. */
    enum Insert { OK, NAME_TAKEN, VOLUME_NAME_TAKEN, VOLUME_CHANGED }

    /**
     * Inserts a new instance together with the volumes it creates ({@code created}, new rows) and
     * the existing ones it attaches ({@code attached}, replaced if their stored version is still
     * the one read), and its inline ROMs' references: all in one transaction, or nothing.
     */
    Insert insert(Instance i, List<Volume> created, List<Volume> attached);

    Optional<Instance> byUuid(UUID uuid);

    Optional<Instance> byName(String name);

    /** Instances in creation order; {@code afterSeq} (exclusive) and {@code limit} (0 = all) page them. */
    List<Instance> list(long afterSeq, int limit);

    int count();

    /** Replaces {@code i} if the stored row still has {@code i.version()}; returns the stored value, or empty if it changed or vanished. */
    Optional<Instance> update(Instance i);

    default boolean delete(UUID uuid) {
        return delete(uuid, List.of(), List.of());
    }

    /**
     * Deletes an instance with its ROM references, replacing the volumes it leaves
     * ({@code detached}, version-checked) and deleting those that were its own ({@code dropped}),
     * in one transaction; false (nothing written) if the instance is gone or a volume changed.
     */
    boolean delete(UUID uuid, List<Volume> detached, List<UUID> dropped);

    /** Every ROM blob digest an instance references (what the ROM store must keep). */
    Set<String> romDigests();

    /** Whether any instance references the ROM blob {@code digest}. */
    boolean romReferenced(String digest);

    // ---- volumes ----

    /** Inserts a new volume; false when its name is taken (nothing written). */
    boolean insertVolume(Volume v);

    Optional<Volume> volume(UUID uuid);

    Optional<Volume> volumeByName(String name);

    /** Volumes in creation order, paged like {@link #list}. */
    List<Volume> volumes(long afterSeq, int limit);

    /** The volumes attached to {@code instance}, in creation order. */
    List<Volume> volumesOf(UUID instance);

    /** Replaces {@code v} if the stored row still has {@code v.version()}; empty if it changed or vanished. */
    Optional<Volume> updateVolume(Volume v);

    boolean deleteVolume(UUID uuid);

    /** The next creation sequence number (monotonic across restarts). */
    long nextSeq();

    Optional<String> setting(String key);

    void setting(String key, String value);

    /** Which database this is, for messages ({@code sqlite:/path}, {@code postgresql://host/db}). */
    String describe();

    @Override
    void close();
}
