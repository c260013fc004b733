package dev.kiln.fs.target;

import dev.kiln.fs.Tree;
import java.util.ArrayList;
import java.util.List;

/** No particular consumer: the format's own rules only. */
public record GenericTarget() implements Target {
    public String id() { return "generic"; }

    public List<Finding> checkKind(ImageKind kind) { return List.of(); }

    public List<Finding> prepare(Tree tree) { return List.of(); }

    public List<Finding> lint(Tree tree) {
        List<Finding> out = new ArrayList<>();
        Limits.names(tree, out, "most file systems");
        // Over-long names are legal in the formats; only say so.
        out.replaceAll(f -> Finding.warning(f.path(), f.message()));
        return out;
    }
}
