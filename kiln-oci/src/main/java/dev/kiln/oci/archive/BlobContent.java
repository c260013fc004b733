package dev.kiln.oci.archive;

import dev.kiln.fs.Content;
import dev.kiln.oci.BlobSource;
import dev.kiln.oci.Descriptor;
import java.io.IOException;
import java.io.InputStream;

/** A blob as a file's content in a tree: streamed from its source when the writer reaches it, verified on the way. */
record BlobContent(BlobSource blobs, Descriptor descriptor) implements Content {
    @Override
    public long size() {
        return descriptor.size();
    }

    @Override
    public InputStream open() throws IOException {
        return blobs.open(descriptor);
    }

    @Override
    public String toString() {
        return blobs.describe() + " blob " + descriptor.digest();
    }
}
