package dev.kiln.fs;

/** Told how far a long operation got; the CLI draws a bar from it, the library ignores it. */
public interface Progress {
    Progress NONE = (bytes, entries) -> {};

    /** {@code bytes} more content bytes and {@code entries} more entries are done. */
    void advance(long bytes, int entries);
}
