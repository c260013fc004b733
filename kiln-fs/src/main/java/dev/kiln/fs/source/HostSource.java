package dev.kiln.fs.source;

import dev.kiln.fs.EntryPath;
import dev.kiln.fs.FileFeed;
import dev.kiln.fs.Tree;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;


/**
 * A file or directory on the host placed at {@code dest} in the image: a directory source
 * ("rootfs/") is the case dest = root; an include mapping ("SRC:DST") is any other dest.
 *
 * <p>Metadata comes from statx: all 12 mode bits, owners (through {@code ownership}),
 * nanosecond mtimes, device numbers, and extended attributes of every namespace the caller can
 * read. Hard links are recognised by (device, inode) and become shared nodes. Symlinks are
 * stored, never followed.
 */
public record HostSource(Path path, EntryPath dest, Ownership ownership) implements Source {
    /**
     * A host directory exactly as it is (owners kept, nothing excluded, times untouched): how
     * inspection commands and tests see a directory next to an image.
     */
    public static Tree read(Path dir) throws IOException {
        return Sources.build(List.of(new HostSource(dir, EntryPath.ROOT, Ownership.KEEP)), Excludes.NONE, new MtimePolicy.Keep());
    }

    @Override
    public String describe() {
        return dest.isRoot() ? path.toString() : path + ":" + dest.display();
    }

    @Override
    public void addTo(Tree tree, Excludes excludes) throws IOException {
        addTo(tree, excludes, null);
    }

    /** Adds the entries, telling {@code feed} (if not null) each regular file as it goes into the tree. */
    void addTo(Tree tree, Excludes excludes, FileFeed feed) throws IOException {
        try (HostWalk walk = new HostWalk(tree, excludes, ownership, feed)) {
            walk.add(path, dest);
        }
    }
}
