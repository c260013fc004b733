package dev.kiln.fs;

/**
 * What lives at a path. A closed set: every format reads into and writes from these kinds.
 * {@link HardLink} names another path of the same tree that holds the shared node.
 */
public sealed interface Node {
    int S_IFMT = 0170000, S_IFSOCK = 0140000, S_IFLNK = 0120000, S_IFREG = 0100000,
            S_IFBLK = 0060000, S_IFDIR = 0040000, S_IFCHR = 0020000, S_IFIFO = 0010000;

    /** The metadata; for a hard link, the metadata of the node it links to is authoritative. */
    Metadata meta();

    /** A copy of this node with other metadata (hard links are returned unchanged). */
    Node withMeta(Metadata m);

    /** The st_mode type bits (S_IFREG etc.); 0 for a hard link. */
    int typeBits();

    /** st_mode: type bits plus permissions. */
    default int mode() {
        return typeBits() | meta().permissions();
    }

    record File(Metadata meta, Content content) implements Node {
        public Node withMeta(Metadata m) { return new File(m, content); }
        public int typeBits() { return S_IFREG; }
    }

    record Directory(Metadata meta) implements Node {
        public Node withMeta(Metadata m) { return new Directory(m); }
        public int typeBits() { return S_IFDIR; }
    }

    /** A symbolic link; the target is kept verbatim (it may be absolute or dangle). */
    record Symlink(Metadata meta, String target) implements Node {
        public Symlink {
            if (target.isEmpty() || target.indexOf('\0') >= 0) {
                throw new InvalidPathException("symlink target \"" + EntryPath.printable(target) + "\" is empty or has a NUL");
            }
        }
        public Node withMeta(Metadata m) { return new Symlink(m, target); }
        public int typeBits() { return S_IFLNK; }
    }

    enum DeviceKind { CHAR, BLOCK }

    record Device(Metadata meta, DeviceKind kind, int major, int minor) implements Node {
        public Device {
            if (major < 0 || minor < 0) throw new KilnException("negative device number " + major + ":" + minor);
        }
        public Node withMeta(Metadata m) { return new Device(m, kind, major, minor); }
        public int typeBits() { return kind == DeviceKind.CHAR ? S_IFCHR : S_IFBLK; }
    }

    record Fifo(Metadata meta) implements Node {
        public Node withMeta(Metadata m) { return new Fifo(m); }
        public int typeBits() { return S_IFIFO; }
    }

    record Socket(Metadata meta) implements Node {
        public Node withMeta(Metadata m) { return new Socket(m); }
        public int typeBits() { return S_IFSOCK; }
    }

    /**
     * Another name for the node at {@code target}. Only {@link Tree#entries()} produces these
     * with a resolvable target; sources pass them to {@link Tree#put} to link to an existing path.
     */
    record HardLink(EntryPath target) implements Node {
        public Metadata meta() { throw new UnsupportedOperationException("a hard link has no metadata of its own; resolve it"); }
        public Node withMeta(Metadata m) { return this; }
        public int typeBits() { return 0; }
        @Override public int mode() { return 0; }
    }

    /** The kind in words: "file", "directory", "symlink", "char", "block", "fifo", "socket", "hardlink". */
    static String kindName(Node n) {
        return switch (n) {
            case File f -> "file";
            case Directory d -> "directory";
            case Symlink s -> "symlink";
            case Device d -> d.kind() == DeviceKind.CHAR ? "char" : "block";
            case Fifo f -> "fifo";
            case Socket s -> "socket";
            case HardLink h -> "hardlink";
        };
    }

    /** Single-letter kind as in ls -l: '-', 'd', 'l', 'c', 'b', 'p', 's', 'h' (hard link). */
    static char letter(Node n) {
        return switch (n) {
            case File f -> '-';
            case Directory d -> 'd';
            case Symlink s -> 'l';
            case Device d -> d.kind() == DeviceKind.CHAR ? 'c' : 'b';
            case Fifo f -> 'p';
            case Socket s -> 's';
            case HardLink h -> 'h';
        };
    }
}
