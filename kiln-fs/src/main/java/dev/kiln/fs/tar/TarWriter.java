package dev.kiln.fs.tar;

import dev.kiln.fs.Compression;
import dev.kiln.fs.ImageWriter;
import dev.kiln.fs.KilnException;
import dev.kiln.fs.Progress;
import dev.kiln.fs.Tree;
import java.nio.channels.SeekableByteChannel;

/** Placeholder: being implemented. Writes POSIX pax tar archives. */
public final class TarWriter implements ImageWriter {
    private final Compression compression;

    public TarWriter(Compression compression) {
        this.compression = compression;
    }

    @Override
    public void write(Tree tree, SeekableByteChannel out, Progress progress) {
        throw new KilnException("tar writing is not implemented yet");
    }
}
