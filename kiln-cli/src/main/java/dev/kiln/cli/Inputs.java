package dev.kiln.cli;

import dev.kiln.fs.Images;
import dev.kiln.fs.KilnException;
import dev.kiln.fs.Tree;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Opens the images (or plain directories) that inspection commands take. */
final class Inputs {
    private Inputs() {}

    /** The tree of a directory or an image; the caller closes it. */
    static Tree open(String arg) throws IOException {
        Path p = Path.of(arg);
        if (Files.isDirectory(p)) {
            return Images.readDirectory(p);
        }
        if (!Files.exists(p)) throw new KilnException(arg + ": no such file or directory");
        return Images.read(p);
    }
}
