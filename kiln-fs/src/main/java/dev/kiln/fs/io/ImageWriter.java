package dev.kiln.fs.io;

import dev.kiln.fs.Progress;
import dev.kiln.fs.Tree;
import java.io.IOException;
import java.nio.channels.SeekableByteChannel;

/**
 * Writes a whole tree as one image. A writer is configured through its constructor and holds
 * no state between calls: everything about one image lives in the call (and in the feed the
 * call was given), so one writer serves any number of concurrent builds.
 */
public interface ImageWriter {
    /**
     * Writes {@code tree} to {@code out.channel()}, an empty channel positioned at 0. Writers that
     * need random access (EROFS) may seek; stream formats write sequentially. {@code fed} is what
     * {@link #feed} returned for this image, or null; the write takes it over, and the caller
     * still closes it.
     */
    void write(Tree tree, Output out, FileFeed fed) throws IOException;

    /** {@link #write(Tree, Output, FileFeed)} without a feed, on threads of its own. */
    default void write(Tree tree, SeekableByteChannel out, Progress progress) throws IOException {
        write(tree, new Output(out, null, progress, Workers.defaults()), null);
    }

    /**
     * A feed for the files of the tree that the next {@link #write} to {@code out} will be
     * given, so the writer can start on their data before the tree is complete; null (the
     * default) when the writer has no use for one. A writer may put data in {@code out} already
     * (only where the finished tree will want it, which {@code write} checks). The caller
     * closes the feed once the image is written or the build failed.
     */
    default FileFeed feed(Output out) {
        return null;
    }
}
