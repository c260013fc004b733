package dev.kiln.platform.volume;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Set;
import java.util.UUID;

/**
 * Where volumes' data lives on the host, as the volume rules need it. The platform's
 * implementation keeps each volume as a size-limited ext4 image ({@link VolumeDisks}).
 */
public interface VolumeBacking {
    /** Creates the empty filesystem of a new volume: a 9p share, or a block device when {@code block}. */
    void create(UUID id, int sizeMb, boolean block) throws IOException;

    /** The host directory to share over 9p (mounted if it is not). */
    Path share(UUID id) throws IOException;

    /** The image to attach as a read-write virtio-blk disk. */
    Path disk(UUID id) throws IOException;

    void delete(UUID id) throws IOException;

    /** Removes every volume's data but {@code keep}'s (after a crash between a disk and its row). */
    void collect(Set<UUID> keep) throws IOException;

    /** Lays a directory or image over the volume's contents, all or nothing. */
    void importFrom(UUID id, Path source) throws IOException;

    /** Writes the volume's contents as the image format {@code out}'s name says. */
    void exportTo(UUID id, Path out) throws IOException;

    /** Free space, or -1 when not known. */
    long freeBytes(UUID id) throws IOException;

    /** Whether a guest is held to size_mb (false when volumes cannot be loop-mounted: not root). */
    boolean enforcesSize();
}
