package dev.kiln.platform.volume;

import java.io.IOException;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;
import java.util.Properties;
import java.util.UUID;

/**
 * A volume's storage as {@link VolumeDisks} keeps it.
 *
 * @param kind         how guests reach it
 * @param sizeMb       its size in MiB, as created
 * @param enforcesSize true when the data lives in an ext4 image of {@code sizeMb} (a guest that
 *                     writes more gets ENOSPC); false for a 9p volume kept as a plain host directory
 *                     because this host could not loop-mount, where nothing limits the size
 */
public record VolumeDisk(UUID id, Kind kind, int sizeMb, boolean enforcesSize) {
    /** How a guest reaches a volume's data. */
    public enum Kind {
        /** A host directory over virtio-9p: Unikraft 0.17 and Linux guests. */
        NINE_P("9p"),
        /** The ext4 image as a read-write virtio-blk disk: Linux guests, which mount it themselves. */
        EXT4_BLOCK("ext4");

        private final String word;

        Kind(String word) {
            this.word = word;
        }

        static Kind of(String word) {
            for (Kind k : values()) if (k.word.equals(word)) return k;
            throw new IllegalArgumentException("volume kind \"" + word + "\"");
        }
    }

    public VolumeDisk {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(kind, "kind");
    }

    long sizeBytes() {
        return (long) sizeMb << 20;
    }

    /** Written once, at creation, in the volume's directory: what a later start reads back. */
    void write(Path file) throws IOException {
        String text = "id=" + id + "\nkind=" + kind.word + "\nsize_mb=" + sizeMb + "\nenforces_size=" + enforcesSize + "\n";
        Files.writeString(file, text, StandardCharsets.UTF_8);
    }

    static VolumeDisk read(Path file) throws IOException {
        Properties p = new Properties();
        p.load(new StringReader(Files.readString(file, StandardCharsets.UTF_8)));
        try {
            return new VolumeDisk(UUID.fromString(p.getProperty("id")), Kind.of(p.getProperty("kind")),
                    Integer.parseInt(p.getProperty("size_mb")), Boolean.parseBoolean(p.getProperty("enforces_size")));
        } catch (RuntimeException e) {
            throw new VolumeException(null, file + ": not a volume description kiln wrote: " + e.getMessage(), e);
        }
    }
}
