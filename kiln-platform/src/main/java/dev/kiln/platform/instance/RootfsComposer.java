package dev.kiln.platform.instance;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * Puts ROMs' files in place at their {@code at} for a guest that boots from an initrd: the
 * image's initrd with each ROM's tree mounted over its path, as one archive, cached by content
 * (implemented by {@code dev.kiln.platform.rom.InitrdComposer}).
 */
public interface RootfsComposer {
    /** A ROM image (any format kiln reads) whose tree goes at {@code at}; {@code key} names its content. */
    record Placement(Path rom, String key, String at) {}

    /**
     * The composed initrd for {@code base} (null: none) identified by {@code baseKey}, for a
     * guest of kind {@code guest} ({@code unikraft} or {@code linux}).
     */
    Path compose(Path base, String baseKey, List<Placement> placements, String guest) throws IOException;
}
