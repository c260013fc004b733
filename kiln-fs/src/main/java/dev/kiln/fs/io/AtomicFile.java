package dev.kiln.fs.io;

import dev.kiln.fs.host.Posix;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * Writes a file through a temporary sibling that is renamed into place only when the writer
 * finished, so a failed or interrupted build never leaves a partial image under the real name.
 *
 * <p>Two details keep ext4 from flushing the whole new image to disk before kiln can exit (its
 * "auto_da_alloc" heuristics for replace-by-truncate and replace-by-rename, measured at about
 * 0.45 s for a 680 MB image): the fresh temporary file is opened without O_TRUNC, and an
 * existing image is replaced by exchanging the two names (renameat2 RENAME_EXCHANGE, still one
 * atomic step) and then deleting the old one, rather than by renaming over it.
 */
public final class AtomicFile {
    private AtomicFile() {}

    public interface Body {
        void write(FileChannel out) throws IOException;
    }

    /** A body that also wants the temporary's path, to open it again (for direct I/O, say). */
    public interface BodyAt {
        void write(FileChannel out, Path temporary) throws IOException;
    }

    public static void write(Path target, Body body) throws IOException {
        write(target, (BodyAt) (out, temporary) -> body.write(out));
    }

    public static void write(Path target, BodyAt body) throws IOException {
        Path abs = target.toAbsolutePath();
        Path dir = abs.getParent();
        if (dir != null) Files.createDirectories(dir);
        Path tmp = Files.createTempFile(dir, "." + abs.getFileName() + ".", ".kiln-tmp");
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
                body.write(ch, tmp);
            }
            // createTempFile makes 0600 files; an image is an ordinary output file.
            try {
                Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-r--r--"));
            } catch (UnsupportedOperationException ignored) {
                // non-POSIX file system
            }
            // After an exchange, tmp names the old image; the finally block deletes it.
            if (!(Files.isRegularFile(abs, LinkOption.NOFOLLOW_LINKS) && Posix.exchange(tmp, abs))) {
                try {
                    Files.move(tmp, abs, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                } catch (AtomicMoveNotSupportedException e) {
                    Files.move(tmp, abs, StandardCopyOption.REPLACE_EXISTING);
                }
            }
        } finally {
            // The partial image after a failure, the old one after an exchange, nothing after a move.
            Files.deleteIfExists(tmp);
        }
    }
}
