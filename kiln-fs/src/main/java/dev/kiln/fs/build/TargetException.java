package dev.kiln.fs.build;

import dev.kiln.fs.KilnException;
import dev.kiln.fs.target.Finding;
import dev.kiln.fs.target.Target;
import java.util.List;

/** The target refused the tree; the message lists its errors, one per line. Nothing was written. */
public final class TargetException extends KilnException {
    private final transient List<Finding> findings;

    TargetException(Target target, List<Finding> findings) {
        super("the image does not suit target " + target.id() + ":\n" + String.join("\n",
                findings.stream().filter(Finding::isError).map(Finding::toString).toList()));
        this.findings = List.copyOf(findings);
    }

    /** Everything the target said, errors and warnings. */
    public List<Finding> findings() {
        return findings;
    }
}
