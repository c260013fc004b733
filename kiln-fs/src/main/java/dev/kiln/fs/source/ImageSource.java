package dev.kiln.fs.source;

import dev.kiln.fs.ImageFormat;
import dev.kiln.fs.Images;
import dev.kiln.fs.Tree;
import dev.kiln.fs.build.Source;
import java.io.IOException;
import java.nio.file.Path;

/**
 * An existing image or archive (cpio, tar, EROFS; compressed or not) laid over the tree. Tar
 * archives are treated as image layers: their OCI whiteouts delete what earlier sources added.
 * A compressed image is decompressed into the build's temporary directory, and the file is
 * removed when the build's tree is closed.
 */
public record ImageSource(Path image, ImageFormat format) implements Source {
    @Override
    public String describe() {
        return image.toString();
    }

    @Override
    public void addTo(Tree tree, Context context) throws IOException {
        Tree upper = Images.read(image, context.temporaryDirectory());
        try {
            context.overlay(tree, upper, format == ImageFormat.TAR);
        } catch (RuntimeException e) {
            upper.close();
            throw e;
        }
    }
}
