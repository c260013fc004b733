package dev.kiln.platform.rom;

import java.util.Arrays;
import java.util.Objects;

/**
 * One file of an inline ROM as the API received it: {@code path} inside the ROM (a leading '/'
 * means the ROM's root) and {@code data} already decoded from its text or base64 encoding. The
 * bytes are not copied: the request owns them and nothing changes them afterwards.
 */
public record InlineFile(String path, byte[] data) {
    public InlineFile {
        Objects.requireNonNull(data, "data");
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof InlineFile f && Objects.equals(path, f.path) && Arrays.equals(data, f.data);
    }

    @Override
    public int hashCode() {
        return 31 * Objects.hashCode(path) + Arrays.hashCode(data);
    }

    @Override
    public String toString() {
        return "InlineFile[" + path + ", " + data.length + " bytes]";
    }
}
