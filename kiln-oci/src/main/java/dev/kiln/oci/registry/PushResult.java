package dev.kiln.oci.registry;

import dev.kiln.oci.Descriptor;
import dev.kiln.oci.Digest;
import java.util.List;

/**
 * What a push did: the image's top descriptor (the manifest or index now at the destination), how
 * each blob got there, and how many manifests and indexes were put (children the repository
 * already had are not put again).
 */
public record PushResult(Descriptor top, List<BlobPush> blobs, int manifestsPut) {
    public PushResult {
        blobs = List.copyOf(blobs);
    }

    public List<Digest> uploaded() {
        return with(BlobPush.Outcome.UPLOADED);
    }

    public List<Digest> mounted() {
        return with(BlobPush.Outcome.MOUNTED);
    }

    public List<Digest> existing() {
        return with(BlobPush.Outcome.EXISTED);
    }

    public long bytesSent() {
        return blobs.stream().mapToLong(BlobPush::bytesSent).sum();
    }

    private List<Digest> with(BlobPush.Outcome o) {
        return blobs.stream().filter(b -> b.outcome() == o).map(BlobPush::digest).toList();
    }
}
