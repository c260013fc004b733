package dev.kiln.fs;

/**
 * Told how far a long operation got: the CLI draws a bar from it and, when asked, prints where
 * the time went. The library never prints anything itself.
 */
public interface Progress {
    Progress NONE = (bytes, entries) -> {};

    /** {@code bytes} more content bytes and {@code entries} more entries are done. */
    void advance(long bytes, int entries);

    /** The sources are read into {@code tree} and writing starts (a bar sizes itself from it). */
    default void treeRead(Tree tree) {}

    /** A phase of the work ({@code what}) has just ended; for timing traces. */
    default void phase(String what) {}
}
