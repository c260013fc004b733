package dev.kiln.oci.archive;

import dev.kiln.fs.Content;
import dev.kiln.oci.BlobSource;
import dev.kiln.oci.Descriptor;
import dev.kiln.oci.Digest;
import dev.kiln.oci.OciException;
import java.io.IOException;
import java.io.InputStream;
import java.util.Map;
import java.util.function.Function;

/**
 * Blobs that are members of an indexed archive: {@code blobs/ALG/HEX} in an OCI archive, or
 * the files a Docker archive's {@code manifest.json} names, looked up by digest. Each is checked
 * against its descriptor: the member's size before anything is read, the digest as it is read.
 */
final class ArchiveBlobs implements BlobSource {
    private final ArchiveIndex archive;
    private final Function<Digest, Content> lookup;

    private ArchiveBlobs(ArchiveIndex archive, Function<Digest, Content> lookup) {
        this.archive = archive;
        this.lookup = lookup;
    }

    /** An OCI layout in a tar: blobs at {@code blobs/ALG/HEX}. */
    static ArchiveBlobs layout(ArchiveIndex archive) {
        return new ArchiveBlobs(archive, d -> archive.find("blobs/" + d.algorithm() + "/" + d.encoded()).orElse(null));
    }

    /** Blobs by digest, as a Docker archive's manifest names them. */
    static ArchiveBlobs named(ArchiveIndex archive, Map<Digest, Content> members) {
        return new ArchiveBlobs(archive, members::get);
    }

    @Override
    public String describe() {
        return archive.name();
    }

    @Override
    public InputStream open(Descriptor d) throws IOException {
        Content c = lookup.apply(d.digest());
        if (c == null) throw new OciException(archive.name() + ": blob " + d.digest() + " is not in the archive");
        if (c.size() != d.size()) {
            throw new OciException(archive.name() + ": blob " + d.digest() + " has " + c.size() + " bytes, its descriptor gives " + d.size());
        }
        return Digest.verifying(c.open(), d.digest(), d.size(), archive.name() + ": blob " + d.digest());
    }

    @Override
    public void close() {
        archive.close();
    }
}
