package dev.kiln.fs.source;

import dev.kiln.fs.Tree;
import java.io.IOException;

/**
 * Something that contributes entries to a tree. Sources apply in order and later ones win,
 * like image layers; see {@link Sources#parse} for the command-line forms.
 */
public sealed interface Source permits HostSource, ImageSource {
    /**
     * Adds this source's entries to {@code tree}. {@code excludes} lets a source skip work for
     * paths that will be removed anyway; the caller still applies the excludes to the result.
     */
    void addTo(Tree tree, Excludes excludes) throws IOException;

    /** How the source was given, for messages. */
    String describe();
}
