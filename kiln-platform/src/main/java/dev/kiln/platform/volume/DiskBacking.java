package dev.kiln.platform.volume;

import dev.kiln.platform.instance.InstanceException;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Set;
import java.util.UUID;

/**
 * The volume rules' view of {@link VolumeDisks}: its errors become the API's (400 naming the
 * field for a bad request, 500 for a host failure, which quotes the command that failed).
 */
public final class DiskBacking implements VolumeBacking {
    private final VolumeDisks disks;

    public DiskBacking(VolumeDisks disks) {
        this.disks = disks;
    }

    public static DiskBacking open(Path dir) throws IOException {
        return new DiskBacking(VolumeDisks.open(dir));
    }

    public VolumeDisks disks() {
        return disks;
    }

    @FunctionalInterface
    private interface Call<T> {
        T run() throws IOException;
    }

    private static <T> T mapped(Call<T> c) throws IOException {
        try {
            return c.run();
        } catch (VolumeException e) {
            throw new InstanceException(e.field() == null ? 500 : 400, e.field(), e.getMessage());
        }
    }

    @Override
    public void create(UUID id, int sizeMb, boolean block) throws IOException {
        mapped(() -> disks.create(id, sizeMb, block ? VolumeDisk.Kind.EXT4_BLOCK : VolumeDisk.Kind.NINE_P));
    }

    @Override
    public Path share(UUID id) throws IOException {
        return mapped(() -> disks.share(id));
    }

    @Override
    public Path disk(UUID id) throws IOException {
        return mapped(() -> disks.disk(id));
    }

    @Override
    public void delete(UUID id) throws IOException {
        mapped(() -> disks.delete(id));
    }

    @Override
    public void collect(Set<UUID> keep) throws IOException {
        mapped(() -> disks.collect(keep));
    }

    @Override
    public void importFrom(UUID id, Path source) throws IOException {
        mapped(() -> disks.importFrom(id, source));
    }

    @Override
    public void exportTo(UUID id, Path out) throws IOException {
        mapped(() -> disks.exportTo(id, out));
    }

    @Override
    public long freeBytes(UUID id) throws IOException {
        return mapped(() -> disks.usage(id).freeBytes());
    }

    @Override
    public boolean enforcesSize() {
        return disks.enforcesSize();
    }
}
