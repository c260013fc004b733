package dev.kiln.fs.source;

import dev.kiln.fs.build.Ownership;
import dev.kiln.fs.Entry;
import dev.kiln.fs.EntryPath;
import dev.kiln.fs.Node;
import dev.kiln.fs.Tree;

/**
 * Puts one tree on top of another, as a container runtime stacks image layers. With
 * {@code whiteouts}, the OCI markers of the upper tree act on the lower one and are not copied:
 * {@code .wh.NAME} deletes NAME, {@code .wh..wh..opq} empties its directory.
 */
public final class Layers {
    public static final String WHITEOUT_PREFIX = ".wh.";
    public static final String OPAQUE = ".wh..wh..opq";

    private Layers() {}

    public static void apply(Tree lower, Tree upper, boolean whiteouts, Ownership ownership) {
        if (whiteouts) {
            // Markers act on the lower layers only, so apply all of them before adding anything
            // of this layer: "-x" sorts before ".wh.-x" and must survive its own layer's marker.
            for (Entry e : upper.entries()) {
                String name = e.path().name();
                if (name.equals(OPAQUE)) {
                    lower.clearDirectory(e.path().parent());
                } else if (name.startsWith(WHITEOUT_PREFIX)) {
                    lower.remove(e.path().parent().resolve(EntryPath.parse(name.substring(WHITEOUT_PREFIX.length()))));
                }
            }
        }
        for (Entry e : upper.entries()) {
            if (whiteouts && e.path().name().startsWith(WHITEOUT_PREFIX)) continue;
            Node n = e.node();
            lower.put(e.path(), n instanceof Node.HardLink ? n : n.withMeta(ownership.apply(n.meta())));
        }
    }
}
