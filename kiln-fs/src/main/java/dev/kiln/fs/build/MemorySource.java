package dev.kiln.fs.build;

import dev.kiln.fs.Content;
import dev.kiln.fs.EntryPath;
import dev.kiln.fs.InvalidPathException;
import dev.kiln.fs.Metadata;
import dev.kiln.fs.Node;
import dev.kiln.fs.Tree;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Files, directories and symlinks held in memory: an inline ROM from {@code {path, bytes}}
 * pairs, a generated config file laid over a root filesystem. Parent directories that are not
 * given are created (0755, root, the build's implied time).
 *
 * <p>Every path is checked when it is added, so a bad request fails before a build starts:
 * {@code ..}, NUL, empty components ({@code a//b}), the root as a file, a path given twice, and
 * a path below a file are refused with {@link InvalidPathException} naming the path. A leading
 * '/' is optional. The bytes are copied on the way in: the source is immutable and can be built
 * from any number of threads at once.
 */
public final class MemorySource implements Source {
    /** Regular files: rw-r--r--. */
    public static final int FILE_MODE = 0644;
    /** Directories: rwxr-xr-x. */
    public static final int DIRECTORY_MODE = 0755;

    private record Item(EntryPath path, Node node) {}

    private final List<Item> items;

    private MemorySource(List<Item> items) {
        this.items = List.copyOf(items);
    }

    public static Builder builder() {
        return new Builder();
    }

    /** How many entries were given (implied parents not counted). */
    public int size() {
        return items.size();
    }

    @Override
    public void addTo(Tree tree, Context context) {
        Ownership owners = context.ownership();
        for (Item i : items) {
            if (context.excluded(i.path)) continue;
            tree.put(i.path, i.node.withMeta(owners.apply(i.node.meta())));
        }
    }

    @Override
    public String describe() {
        return "in-memory files (" + items.size() + ")";
    }

    /** Collects entries; each call checks its path at once. Not for concurrent use. */
    public static final class Builder {
        private final List<Item> items = new ArrayList<>();
        /** What each path given so far is, to refuse duplicates and paths below a file. */
        private final Map<EntryPath, Boolean> isDirectory = new HashMap<>();
        /** Every parent of a path given so far. */
        private final Set<EntryPath> ancestors = new HashSet<>();

        private Builder() {}

        /** A file of {@code data}, mode 0644, owned by root, mtime 0. */
        public Builder file(String path, byte[] data) {
            return file(path, data, Metadata.of(FILE_MODE));
        }

        /** A file of {@code data} with the given permission bits (e.g. 0755), owned by root, mtime 0. */
        public Builder file(String path, byte[] data, int permissions) {
            return file(path, data, Metadata.of(permissions));
        }

        public Builder file(String path, byte[] data, Metadata meta) {
            return add(path, false, new Node.File(meta, Content.of(data)));
        }

        /** A directory, mode 0755, owned by root, mtime 0 (only needed for other metadata, or an empty one). */
        public Builder directory(String path) {
            return directory(path, Metadata.of(DIRECTORY_MODE));
        }

        public Builder directory(String path, Metadata meta) {
            return add(path, true, new Node.Directory(meta));
        }

        /** A symlink to {@code target}, kept verbatim (it may be absolute or dangle). */
        public Builder symlink(String path, String target) {
            return symlink(path, target, Metadata.of(0777));
        }

        public Builder symlink(String path, String target, Metadata meta) {
            return add(path, false, new Node.Symlink(meta, target));
        }

        public MemorySource build() {
            return new MemorySource(items);
        }

        private Builder add(String raw, boolean directory, Node node) {
            if (raw == null || raw.isEmpty()) throw new InvalidPathException("in-memory entry: empty path");
            EntryPath p = EntryPath.parse(raw);
            if (p.isRoot() && !directory) {
                throw new InvalidPathException("in-memory entry \"" + EntryPath.printable(raw) + "\": the root can only be a directory");
            }
            if (isDirectory.containsKey(p)) {
                throw new InvalidPathException("in-memory entry " + p.display() + ": given twice");
            }
            for (EntryPath a = p.isRoot() ? null : p.parent(); a != null; a = a.isRoot() ? null : a.parent()) {
                if (Boolean.FALSE.equals(isDirectory.get(a))) {
                    throw new InvalidPathException("in-memory entry " + p.display() + ": " + a.display() + " is not a directory");
                }
                if (!ancestors.add(a)) break; // the rest were added with it
            }
            if (!directory && ancestors.contains(p)) {
                // A file given after entries below its path would replace their directory.
                throw new InvalidPathException("in-memory entry " + p.display() + ": entries below it were given, so it must be a directory");
            }
            isDirectory.put(p, directory);
            items.add(new Item(p, node));
            return this;
        }
    }
}
