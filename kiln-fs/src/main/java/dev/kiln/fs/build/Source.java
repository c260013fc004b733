package dev.kiln.fs.build;

import dev.kiln.fs.EntryPath;
import dev.kiln.fs.Tree;
import dev.kiln.fs.source.HostSource;
import dev.kiln.fs.source.ImageSource;
import dev.kiln.fs.source.Sources;
import java.io.IOException;
import java.nio.file.Path;

/**
 * Something that contributes entries to the tree of a build. Sources apply in order and later
 * ones win, like image layers. kiln provides host directories and files, images of every format
 * it reads, and files held in memory ({@link #memory()}); other modules add their own (a
 * container image's layers, say) by implementing this interface.
 */
public interface Source {
    /**
     * Adds this source's entries to {@code tree}. Entries get the owners {@code context} says;
     * {@link Context#excluded} lets a source skip work for paths the build will drop anyway.
     */
    void addTo(Tree tree, Context context) throws IOException;

    /** How the source was given, for messages. */
    String describe();

    /**
     * The owners this source's entries get when the build sets no policy: a build must not depend
     * on who runs it, so host files default to root, while images and in-memory files keep
     * the owners they record.
     */
    default Ownership defaultOwnership() {
        return Ownership.KEEP;
    }

    /** What a build tells each source. */
    interface Context {
        /** The owner policy for this source's entries (the build's, or the source's default). */
        Ownership ownership();

        /** Whether the build drops {@code path} (and what lies below it). */
        boolean excluded(EntryPath path);

        /**
         * Lays {@code upper} over {@code tree} as a container runtime stacks a layer: with
         * {@code whiteouts}, {@code .wh.NAME} deletes NAME below and {@code .wh..wh..opq} empties
         * its directory. The owner policy applies to the entries laid. {@code tree} takes over what
         * {@code upper} holds open (a decompressed image, say) and releases it when it is closed.
         */
        void overlay(Tree tree, Tree upper, boolean whiteouts);

        /** Where the build may put temporary files (a compressed image is decompressed there). */
        Path temporaryDirectory();
    }

    /** A host directory, whose contents become the image root. */
    static Source directory(Path dir) {
        return new HostSource(dir, EntryPath.ROOT);
    }

    /**
     * A host file or directory placed at {@code destination} (the bunnyfile {@code include} form);
     * a destination ending in '/' receives it under its own name.
     */
    static Source hostPath(Path path, String destination) throws IOException {
        return Sources.include(path, destination, path + ":" + destination);
    }

    /** An image or archive (cpio, tar or EROFS; plain, gzip, zstd or xz); tar whiteouts apply. */
    static Source image(Path image) throws IOException {
        return Sources.image(image, image.toString());
    }

    /**
     * A source given as one command-line word: a directory, an image, or {@code SRC:DST} (a host
     * file or directory placed at DST).
     */
    static Source parse(String argument) throws IOException {
        return Sources.parse(argument);
    }

    /** Files, directories and symlinks held in memory; see {@link MemorySource}. */
    static MemorySource.Builder memory() {
        return MemorySource.builder();
    }
}
