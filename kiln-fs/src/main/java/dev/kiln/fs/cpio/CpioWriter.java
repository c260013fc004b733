package dev.kiln.fs.cpio;

import dev.kiln.fs.Compression;
import dev.kiln.fs.ImageWriter;
import dev.kiln.fs.KilnException;
import dev.kiln.fs.Progress;
import dev.kiln.fs.Tree;
import java.nio.channels.SeekableByteChannel;

/** Placeholder: being implemented. Writes SVR4 newc (070701) or crc (070702) archives. */
public final class CpioWriter implements ImageWriter {
    /**
     * @param crc            write 070702 headers with the data checksum instead of 070701
     * @param copyHardLinks  write every link of a hard-link group as an independent full copy
     *                       (Unikraft before Aug 2025 cannot link); otherwise the newc convention
     *                       (shared ino and nlink, data on the last link)
     * @param compression    whole-archive compression (Linux initramfs reads gzip and zstd)
     */
    public record Options(boolean crc, boolean copyHardLinks, Compression compression) {
        public static Options defaults() {
            return new Options(false, false, Compression.NONE);
        }
    }

    private final Options options;

    public CpioWriter(Options options) {
        this.options = options;
    }

    @Override
    public void write(Tree tree, SeekableByteChannel out, Progress progress) {
        throw new KilnException("cpio writing is not implemented yet");
    }
}
