package dev.kiln.oci.registry;

import dev.kiln.oci.Digest;

/**
 * Told how far each blob of a push or pull is: {@code done} of {@code total} bytes, {@code done ==
 * total} once the blob is complete (also when it needed no transfer: it existed or was mounted).
 * Called from several transfer threads at once, so implementations must be thread-safe; a resumed
 * upload may report a smaller {@code done} than before.
 */
@FunctionalInterface
public interface Progress {
    void blob(Digest digest, long done, long total);

    Progress NONE = (digest, done, total) -> {};
}
