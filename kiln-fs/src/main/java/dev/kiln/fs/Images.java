package dev.kiln.fs;

import dev.kiln.fs.cpio.CpioReader;
import dev.kiln.fs.erofs.ErofsReader;
import dev.kiln.fs.tar.TarReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;

/** Entry point for reading any supported image, whatever its format and compression. */
public final class Images {
    private Images() {}

    /** Detects format and compression of {@code image} and reads it. */
    public static Tree read(Path image) throws IOException {
        return read(image, null);
    }

    /**
     * Like {@link #read(Path)}; for a cpio archive, {@code cpioMembers} (when not null) also
     * receives every member in archive order, for checks of how the archive is laid out.
     */
    public static Tree read(Path image, java.util.function.Consumer<CpioReader.Member> cpioMembers) throws IOException {
        String name = image.toString();
        if (!Files.isRegularFile(image)) throw new KilnException(name + ": not a file");
        Compression c = Compression.detect(image);
        Path plain = image;
        if (c != Compression.NONE) plain = spool(image, c);
        ImageFormat f = ImageFormat.detect(plain).orElseThrow(() ->
                new FormatException(name + ": not a cpio, tar or EROFS image (unrecognised magic)"));
        ImageReader reader = f == ImageFormat.CPIO && cpioMembers != null ? new CpioReader(cpioMembers) : reader(f);
        return reader.read(plain, name);
    }

    public static ImageReader reader(ImageFormat f) {
        return switch (f) {
            case CPIO -> new CpioReader();
            case TAR -> new TarReader();
            case EROFS -> new ErofsReader();
        };
    }

    /**
     * Decompresses a whole-stream-compressed archive to a temporary file, so that its members
     * can be read lazily as slices without holding anything in memory. The file is removed when
     * the JVM exits.
     */
    private static Path spool(Path image, Compression c) throws IOException {
        Path tmp = Files.createTempFile("kiln-", ".spool");
        tmp.toFile().deleteOnExit();
        try (InputStream in = c.decompress(Files.newInputStream(image)); OutputStream out = Files.newOutputStream(tmp)) {
            in.transferTo(out);
        } catch (IOException e) {
            Files.deleteIfExists(tmp);
            throw new FormatException(image + ": corrupt " + c.name().toLowerCase(java.util.Locale.ROOT) + " stream: " + e.getMessage(), e);
        }
        return tmp;
    }
}
