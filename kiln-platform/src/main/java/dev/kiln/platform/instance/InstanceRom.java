package dev.kiln.platform.instance;

import java.util.List;
import java.util.Objects;

/**
 * A ROM of an instance as the platform keeps it: read-only files the guest gets at every start,
 * as a virtio-blk disk whose serial is {@code ukp_rom_<name>} and, with {@code at}, in place in
 * its root filesystem.
 *
 * @param image  image-based: the ROM image pinned to its manifest digest; null for an inline ROM
 * @param files  inline: the files exactly as the request gave them (the API echoes them); null
 *               for an image-based ROM
 * @param digest the ROM's blob ({@code sha256:…}): in the ROM store for an inline ROM, in the
 *               image layout for an image-based one
 * @param at     where its files appear in the guest, or null (the guest mounts the disk itself)
 */
public record InstanceRom(String name, String at, String image, List<InlineFile> files, String digest) {
    public InstanceRom {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(digest, "digest");
        if ((image == null) == (files == null)) throw new IllegalArgumentException("a ROM is either image-based or inline");
        if (files != null) files = List.copyOf(files);
    }

    /** One file of an inline ROM as sent: {@code encoding} is {@code text} or {@code base64}. */
    public record InlineFile(String path, String encoding, String data) {}

    public boolean inline() {
        return files != null;
    }

    /** What the guest reads as the ROM disk's serial number. */
    public String serial() {
        return SERIAL_PREFIX + name;
    }

    public static final String SERIAL_PREFIX = "ukp_rom_";
}
