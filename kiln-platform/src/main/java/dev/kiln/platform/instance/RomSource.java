package dev.kiln.platform.instance;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * Where ROM contents come from and live, as the instance rules need them: inline ROMs built and
 * stored by content, ROM images resolved in the image store (or pulled). Implemented over the
 * ROM store and the image layout ({@code dev.kiln.platform.rom}); failures are 400s naming
 * {@code field}.
 */
public interface RomSource {
    /** Builds (or finds) the EROFS image of these inline files ({@code field}: the ROM, {@code roms[i]}); returns its digest ({@code sha256:…}). */
    String putInline(String field, List<InstanceRom.InlineFile> files) throws IOException;

    /** A ROM image: the reference pinned to its manifest, and its ROM blob's digest. */
    record Resolved(String pinned, String digest) {}

    Resolved resolveImage(String field, String reference) throws IOException;

    /** The ROM's image file, to attach to the guest and to read its tree from. */
    Path path(InstanceRom rom) throws IOException;

    /** Deletes an inline ROM's blob (no instance references it any more). */
    void delete(String digest) throws IOException;

    /** Deletes every inline ROM blob not in {@code keep}; returns how many. */
    int collect(java.util.Set<String> keep) throws IOException;
}
