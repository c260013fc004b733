package dev.kiln.fs.lz4;

/** A malformed LZ4 block. */
public final class Lz4Exception extends RuntimeException {
    public Lz4Exception(String message) {
        super(message);
    }
}
