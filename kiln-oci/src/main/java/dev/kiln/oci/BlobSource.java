package dev.kiln.oci;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Where the blobs of an image are: an OCI layout, an archive indexed in place, a registry. Every
 * stream it opens is checked against its descriptor (size and digest) as it is read, so what
 * reaches a tree or an archive was what the manifest promised; a mismatch fails at the end of
 * the stream, naming the digest.
 */
public interface BlobSource extends AutoCloseable {
    /** Where the blobs are, for messages ({@code oci:/images/app}, {@code oci-archive:app.tar}). */
    String describe();

    /** The blob {@code d}, verified as it is read; fails naming the digest when it is missing. */
    InputStream open(Descriptor d) throws IOException;

    /** A small blob (a manifest, a config) read whole and verified. */
    default byte[] read(Descriptor d) throws IOException {
        if (d.size() > OciJson.MAX_DOCUMENT) {
            throw new OciException(describe() + ": blob " + d.digest() + " of " + d.size() + " bytes is too large to read whole");
        }
        try (InputStream in = open(d)) {
            return in.readAllBytes();
        }
    }

    /**
     * A host file that holds exactly the blob's bytes, when there is one (a layout's
     * {@code blobs/sha256/HEX}), so an uncompressed layer can be read where it lies instead of
     * copied. Not verified: whoever uses it reads it through {@link #open} once to check it.
     */
    default Optional<Path> file(Descriptor d) throws IOException {
        return Optional.empty();
    }

    /** Releases what the source holds open (an archive's index, a decompressed copy). */
    @Override
    default void close() throws IOException {}
}
