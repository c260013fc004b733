package dev.kiln.fs.io;

import dev.kiln.fs.Tree;
import dev.kiln.fs.FormatException;

import java.io.IOException;
import java.nio.file.Path;

/**
 * Reads an uncompressed image back into a tree. File contents stay lazy: they are slices of the
 * image, read only when someone asks. Bad input throws {@link FormatException} naming
 * {@code name}, the offset and the entry. Whole-stream compression is undone by {@link Images}
 * before a reader sees the file.
 */
public interface ImageReader {
    Tree read(Path image, String name) throws IOException;

    default Tree read(Path image) throws IOException {
        return read(image, image.getFileName().toString());
    }
}
