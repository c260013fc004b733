package dev.kiln.fs.io;

import dev.kiln.fs.EntryPath;
import dev.kiln.fs.Node;

/**
 * Regular files told as a source finds them, in the order a depth-first walk of the finished
 * tree will meet them, so a writer can start on their data while the rest of the tree is still
 * being read (an EROFS build compresses, or copies uncompressed data to its place, during the
 * walk). It is a hint: the writer checks it
 * against the finished tree and does without it when the two differ. Told from one thread.
 */
public interface FileFeed extends AutoCloseable {
    /**
     * The next regular file, at its first path (further hard links to it are not told), with the
     * metadata it will have in the finished tree unless something changes the tree afterwards.
     */
    void file(EntryPath path, Node.File file);

    /** Every file has been told. */
    void end();

    /** Stops what the feed started, unless the writer has taken it over. */
    @Override
    void close();
}
