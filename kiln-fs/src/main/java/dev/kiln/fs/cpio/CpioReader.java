package dev.kiln.fs.cpio;

import dev.kiln.fs.ImageReader;
import dev.kiln.fs.KilnException;
import dev.kiln.fs.Tree;
import java.nio.file.Path;

/** Placeholder: being implemented. */
public final class CpioReader implements ImageReader {
    @Override
    public Tree read(Path image, String name) {
        throw new KilnException(name + ": reading this format is not implemented yet");
    }
}
