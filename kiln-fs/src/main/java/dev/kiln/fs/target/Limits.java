package dev.kiln.fs.target;

import dev.kiln.fs.Entry;
import dev.kiln.fs.Tree;
import java.nio.charset.StandardCharsets;
import java.util.List;

/** Name-length limits shared by consumers with NAME_MAX 255 and PATH_MAX 4096. */
final class Limits {
    private Limits() {}

    static void names(Tree tree, List<Finding> out, String consumer) {
        for (Entry e : tree.entries()) {
            if (e.path().isRoot()) continue;
            int nameLen = e.path().name().getBytes(StandardCharsets.UTF_8).length;
            if (nameLen >= 256) {
                out.add(Finding.error(e.path(), "name is " + nameLen + " bytes; " + consumer + " allows at most 255"));
            }
            // The path as the consumer sees it: "/" + path, plus the terminating NUL.
            int pathLen = e.path().bytes().length + 2;
            if (pathLen > 4096) {
                out.add(Finding.error(e.path(), "path is " + pathLen + " bytes with its NUL; " + consumer + " allows at most 4096"));
            }
        }
    }
}
