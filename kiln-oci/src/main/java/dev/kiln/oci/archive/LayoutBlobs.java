package dev.kiln.oci.archive;

import dev.kiln.oci.BlobSource;
import dev.kiln.oci.Descriptor;
import dev.kiln.oci.OciLayout;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.Optional;

/** The blobs of an OCI layout directory; a blob's file is offered for reading in place. */
record LayoutBlobs(OciLayout layout, String name) implements BlobSource {
    @Override
    public String describe() {
        return name;
    }

    @Override
    public InputStream open(Descriptor d) throws IOException {
        return layout.openBlob(d);
    }

    @Override
    public Optional<Path> file(Descriptor d) {
        return layout.hasBlob(d.digest()) ? Optional.of(layout.blobPath(d.digest())) : Optional.empty();
    }
}
