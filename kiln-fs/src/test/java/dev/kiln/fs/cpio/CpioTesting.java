package dev.kiln.fs.cpio;

import dev.kiln.fs.Progress;
import dev.kiln.fs.Tree;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/** Small shared helpers of the cpio tests. */
final class CpioTesting {
    private CpioTesting() {}

    static Path write(Tree tree, CpioWriter.Options options, Path file) throws IOException {
        return write(tree, options, file, Progress.NONE);
    }

    static Path write(Tree tree, CpioWriter.Options options, Path file, Progress progress) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            new CpioWriter(options).write(tree, ch, progress);
        }
        return file;
    }

    static CpioWriter.Options newc() {
        return CpioWriter.Options.defaults();
    }
}
