package dev.kiln.fs;

import dev.kiln.fs.cpio.CpioReader;
import dev.kiln.fs.erofs.ErofsReader;
import dev.kiln.fs.io.ImageReader;
import dev.kiln.fs.source.HostSource;
import dev.kiln.fs.tar.TarReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.function.Consumer;

/**
 * Reads any supported image, whatever its format and compression, into a {@link Tree} whose
 * file contents stay lazy (slices of the image, read when asked).
 *
 * <p>A whole-stream-compressed image (gzip, zstd, xz) is first decompressed to a temporary file,
 * so that its members can be read lazily as slices without inflating the stream again for each
 * one or holding anything in memory. The tree owns that file: {@link Tree#close()} deletes it.
 * Close every tree this class returns; for an uncompressed image closing costs nothing.
 */
public final class Images {
    private Images() {}

    /** Detects the format and compression of {@code image} and reads it. */
    public static Tree read(Path image) throws IOException {
        return read(image, null, null);
    }

    /** Like {@link #read(Path)}, decompressing into {@code temporaryDirectory} (null: the JVM's). */
    public static Tree read(Path image, Path temporaryDirectory) throws IOException {
        return read(image, temporaryDirectory, null);
    }

    /**
     * Like {@link #read(Path)}; for a cpio archive, {@code cpioMembers} (when not null) also
     * receives every member in archive order, for checks of how the archive is laid out.
     */
    public static Tree read(Path image, Path temporaryDirectory, Consumer<CpioReader.Member> cpioMembers) throws IOException {
        String name = image.toString();
        if (!Files.isRegularFile(image)) throw new KilnException(name + ": not a file");
        Compression c = Compression.detect(image);
        if (c == Compression.NONE) return readPlain(image, name, cpioMembers);
        Spool spool = Spool.of(image, c, temporaryDirectory);
        try {
            Tree tree = readPlain(spool.path, name, cpioMembers);
            // Closing the tree deletes the copy. (No Cleaner as a safety net: its thread would
            // outlive every call, which the library promises not to do.)
            tree.attach(spool::run);
            return tree;
        } catch (IOException | RuntimeException | Error e) {
            spool.run();
            throw e;
        }
    }

    /**
     * A host directory exactly as it is (owners kept, nothing excluded, times untouched): how
     * inspection and comparison see a directory next to an image.
     */
    public static Tree readDirectory(Path dir) throws IOException {
        return HostSource.read(dir);
    }

    private static Tree readPlain(Path plain, String name, Consumer<CpioReader.Member> cpioMembers) throws IOException {
        ImageFormat f = ImageFormat.detect(plain).orElseThrow(() ->
                new FormatException(name + ": not a cpio, tar or EROFS image (unrecognised magic)"));
        ImageReader reader = f == ImageFormat.CPIO && cpioMembers != null ? new CpioReader(cpioMembers) : reader(f);
        return reader.read(plain, name);
    }

    static ImageReader reader(ImageFormat f) {
        return switch (f) {
            case CPIO -> new CpioReader();
            case TAR -> new TarReader();
            case EROFS -> new ErofsReader();
        };
    }

    /** A decompressed copy of an image; running it deletes the file. Holds no reference to the tree. */
    private record Spool(Path path) implements Runnable {
        static Spool of(Path image, Compression c, Path dir) throws IOException {
            Path tmp = dir == null ? Files.createTempFile("kiln-", ".spool") : Files.createTempFile(dir, "kiln-", ".spool");
            try (InputStream in = c.decompress(Files.newInputStream(image)); OutputStream out = Files.newOutputStream(tmp)) {
                in.transferTo(out);
            } catch (IOException e) {
                Files.deleteIfExists(tmp);
                throw new FormatException(image + ": corrupt " + c.name().toLowerCase(Locale.ROOT) + " stream: " + e.getMessage(), e);
            } catch (RuntimeException | Error e) {
                Files.deleteIfExists(tmp);
                throw e;
            }
            return new Spool(tmp);
        }

        @Override
        public void run() {
            try {
                Files.deleteIfExists(path);
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }
    }
}
