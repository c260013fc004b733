package dev.kiln.fs.source;

import dev.kiln.fs.EntryPath;
import dev.kiln.fs.Tree;
import dev.kiln.fs.build.MtimePolicy;
import dev.kiln.fs.build.Ownership;
import dev.kiln.fs.build.Source;
import dev.kiln.fs.io.FileFeed;
import dev.kiln.fs.io.Workers;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * A file or directory on the host placed at {@code dest} in the image: a directory source
 * ("rootfs/") is the case dest = root; an include mapping ("SRC:DST") is any other dest.
 *
 * <p>Metadata comes from statx: all 12 mode bits, owners (through the build's owner policy,
 * root by default), nanosecond mtimes, device numbers, and extended attributes of every
 * namespace the caller can read. Hard links are recognised by (device, inode) and become shared
 * nodes. Symlinks are stored, never followed.
 */
public record HostSource(Path path, EntryPath dest) implements Source {
    /**
     * A host directory exactly as it is (owners kept, nothing excluded, times untouched): how
     * inspection commands and tests see a directory next to an image.
     */
    public static Tree read(Path dir) throws IOException {
        return Sources.build(List.of(new HostSource(dir, EntryPath.ROOT)), Excludes.NONE, MtimePolicy.KEEP,
                Ownership.KEEP, null, null, Workers.defaults());
    }

    @Override
    public Ownership defaultOwnership() {
        return Ownership.ROOT;
    }

    @Override
    public String describe() {
        return dest.isRoot() ? path.toString() : path + ":" + dest.display();
    }

    @Override
    public void addTo(Tree tree, Context context) throws IOException {
        addTo(tree, Excludes.matching(context::excluded), context.ownership(), null, Workers.defaults());
    }

    /**
     * Adds the entries, telling {@code feed} (if not null) each regular file as it goes into the
     * tree, listing directories on {@code workers}.
     */
    void addTo(Tree tree, Excludes excludes, Ownership ownership, FileFeed feed, Workers workers) throws IOException {
        try (HostWalk walk = new HostWalk(tree, excludes, ownership, feed, workers)) {
            walk.add(path, dest);
        }
    }
}
