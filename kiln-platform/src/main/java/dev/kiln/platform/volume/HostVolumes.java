package dev.kiln.platform.volume;

import dev.kiln.oci.Directories;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Stream;

/** Placeholder backing (plain directories) until the ext4 backing lands. */
public final class HostVolumes implements VolumeBacking {
    private final Path dir;

    private HostVolumes(Path dir) {
        this.dir = dir;
    }

    public static HostVolumes open(Path dir) throws IOException {
        return new HostVolumes(Files.createDirectories(dir));
    }

    @Override
    public void create(UUID id, int sizeMb, boolean block) throws IOException {
        Files.createDirectories(dir.resolve(id.toString()).resolve("data"));
    }

    @Override
    public Path share(UUID id) {
        return dir.resolve(id.toString()).resolve("data");
    }

    @Override
    public Path disk(UUID id) {
        return dir.resolve(id.toString()).resolve("disk.ext4");
    }

    @Override
    public void delete(UUID id) throws IOException {
        Directories.deleteTree(dir.resolve(id.toString()));
    }

    @Override
    public void collect(Set<UUID> keep) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            for (Path p : s.toList()) {
                try {
                    if (!keep.contains(UUID.fromString(p.getFileName().toString()))) Directories.deleteTree(p);
                } catch (IllegalArgumentException e) {
                    Directories.deleteTree(p);
                }
            }
        }
    }

    @Override
    public void importFrom(UUID id, Path source) {
        throw new UnsupportedOperationException();
    }

    @Override
    public void exportTo(UUID id, Path out) {
        throw new UnsupportedOperationException();
    }

    @Override
    public long freeBytes(UUID id) {
        return -1;
    }

    @Override
    public boolean enforcesSize() {
        return false;
    }
}
