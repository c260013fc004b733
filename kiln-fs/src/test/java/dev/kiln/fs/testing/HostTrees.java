package dev.kiln.fs.testing;

import dev.kiln.fs.Entry;
import dev.kiln.fs.EntryPath;
import dev.kiln.fs.Node;
import dev.kiln.fs.Tree;
import dev.kiln.fs.source.HostSource;
import java.io.IOException;
import java.nio.file.Path;

/** Host directories as trees, through the real directory source, for tests of every format. */
public final class HostTrees {
    private HostTrees() {}

    /** Reads {@code dir} exactly as it is: owners, nanosecond mtimes, xattrs, hard links, devices. */
    public static Tree read(Path dir) throws IOException {
        return HostSource.read(dir);
    }

    /**
     * Copies every entry of {@code payload} into {@code into} below {@code at}; the payload's
     * root becomes the directory {@code at}. Hard links stay links (retargeted under {@code at}).
     * Contents are shared handles, not copies.
     */
    public static void graft(Tree into, EntryPath at, Tree payload) {
        for (Entry e : payload.entries()) {
            EntryPath target = at.resolve(e.path());
            Node n = e.node() instanceof Node.HardLink h ? new Node.HardLink(at.resolve(h.target())) : e.node();
            into.put(target, n);
        }
    }
}
