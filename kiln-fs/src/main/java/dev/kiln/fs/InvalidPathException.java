package dev.kiln.fs;

/** A path that cannot be part of a tree: NUL bytes, empty components, or escaping the root. */
public final class InvalidPathException extends KilnException {
    public InvalidPathException(String message) {
        super(message);
    }
}
