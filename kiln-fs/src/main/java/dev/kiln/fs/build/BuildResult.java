package dev.kiln.fs.build;

import dev.kiln.fs.target.Finding;
import java.util.List;

/**
 * What a build produced.
 *
 * @param findings  what the target said: warnings about what it adapted, notes (such as the
 *                  guest memory an initrd needs); never errors, which fail the build
 * @param imageSize the image's size in bytes
 * @param entries   the entries written (each path of a hard-link group counts)
 */
public record BuildResult(List<Finding> findings, long imageSize, int entries) {
    public BuildResult {
        findings = List.copyOf(findings);
    }
}
