package dev.kiln.fs.source;

import dev.kiln.fs.ImageFormat;
import dev.kiln.fs.Images;
import dev.kiln.fs.Tree;
import java.io.IOException;
import java.nio.file.Path;

/**
 * An existing image or archive (cpio, tar, EROFS; compressed or not) laid over the tree. Tar
 * archives are treated as image layers: their OCI whiteouts delete what earlier sources added.
 */
public record ImageSource(Path image, ImageFormat format, Ownership ownership) implements Source {
    @Override
    public String describe() {
        return image.toString();
    }

    @Override
    public void addTo(Tree tree, Excludes excludes) throws IOException {
        Tree upper = Images.read(image);
        Layers.apply(tree, upper, format == ImageFormat.TAR, ownership);
    }
}
