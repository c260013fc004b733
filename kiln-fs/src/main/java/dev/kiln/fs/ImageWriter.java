package dev.kiln.fs;

import java.io.IOException;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.Path;

/** Writes a whole tree as one image. Implementations are configured through their constructors. */
public interface ImageWriter {
    /**
     * Writes {@code tree} to {@code out}, an empty channel positioned at 0. Writers that need
     * random access (EROFS) may seek; stream formats write sequentially. {@code progress} is told
     * about content bytes as they are written.
     */
    void write(Tree tree, SeekableByteChannel out, Progress progress) throws IOException;

    /**
     * As {@link #write(Tree, SeekableByteChannel, Progress)}, where {@code file} is the file
     * {@code out} writes (or null), which a writer may open again: the EROFS writer does, for
     * direct I/O.
     */
    default void write(Tree tree, SeekableByteChannel out, Path file, Progress progress) throws IOException {
        write(tree, out, progress);
    }

    /**
     * A feed for the files of the tree this writer will be given next, so it can start on their
     * data before the tree is complete; null (the default) when the writer has no use for one.
     * {@code out} is the channel that {@link #write} will be given: a writer may put data in it
     * already (only where the finished tree will want it, which {@code write} checks).
     * {@code file} is the file {@code out} writes, which the writer may open again (the EROFS
     * writer does, for direct I/O), or null. The caller closes the feed once the image is
     * written or the build failed.
     */
    default FileFeed feed(SeekableByteChannel out, Path file) {
        return null;
    }
}
