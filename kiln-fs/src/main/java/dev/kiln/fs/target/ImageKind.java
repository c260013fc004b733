package dev.kiln.fs.target;

import dev.kiln.fs.Compression;
import dev.kiln.fs.ImageFormat;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The container-level facts a consumer cares about before it looks at a single entry.
 *
 * @param format      the image format
 * @param compression whole-stream compression
 * @param cpioMagic   for cpio, the magic of the first header ("070701" newc, "070702" crc, "070707" odc)
 * @param erofsKernel for an existing EROFS image, the oldest kernel that mounts it; null otherwise
 */
public record ImageKind(ImageFormat format, Compression compression, String cpioMagic, ErofsKernel erofsKernel) {
    public static ImageKind of(ImageFormat format, Compression compression, boolean crc) {
        return new ImageKind(format, compression, format == ImageFormat.CPIO ? (crc ? "070702" : "070701") : null, null);
    }

    public static ImageKind detect(Path image) throws IOException {
        Compression c = Compression.detect(image);
        ImageFormat f = ImageFormat.detect(image).orElse(null);
        String magic = null;
        if (f == ImageFormat.CPIO) {
            try (InputStream in = c.decompress(Files.newInputStream(image))) {
                magic = new String(in.readNBytes(6), java.nio.charset.StandardCharsets.US_ASCII);
            }
        }
        ErofsKernel kernel = f == ImageFormat.EROFS && c == Compression.NONE ? ErofsKernel.of(image) : null;
        return new ImageKind(f, c, magic, kernel);
    }
}
