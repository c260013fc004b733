package dev.kiln.fs;

/**
 * One path of a tree as writers see it, in {@link Tree#entries()} order.
 *
 * @param path  the normalised path; the root directory comes first with {@link EntryPath#ROOT}
 * @param node  the node; for the second and later paths of a hard-link group this is a
 *              {@link Node.HardLink} to the group's first path (in entry order)
 * @param links how many paths of the tree share this node (1 for most entries; for
 *              directories, 1 as well: writers compute directory link counts themselves)
 */
public record Entry(EntryPath path, Node node, int links) {
    public boolean isHardLink() {
        return node instanceof Node.HardLink;
    }
}
