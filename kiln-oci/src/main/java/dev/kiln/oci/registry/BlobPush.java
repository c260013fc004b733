package dev.kiln.oci.registry;

import dev.kiln.oci.Digest;
import java.util.List;

/**
 * How one blob reached a repository. {@code bytesSent} counts the blob's bytes put on the wire,
 * resends included; {@code resumedAt} holds, for each failure during the upload, the offset the
 * upload went on from (the registry's offset, or 0 when the registry had lost the upload and it
 * started over).
 */
public record BlobPush(Digest digest, long size, Outcome outcome, long bytesSent, List<Long> resumedAt) {
    public enum Outcome {
        /** The repository had it already. */
        EXISTED,
        /** Linked from another repository of the registry, no bytes sent. */
        MOUNTED,
        /** Uploaded. */
        UPLOADED
    }

    public BlobPush {
        resumedAt = List.copyOf(resumedAt);
    }
}
