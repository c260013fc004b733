package dev.kiln.oci.registry;

import dev.kiln.oci.Descriptor;
import dev.kiln.oci.OciException;
import dev.kiln.oci.OciLayout;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * The bytes of a blob to upload, readable from any offset: an interrupted upload continues from
 * the offset the registry reports, so the source is opened again there.
 */
@FunctionalInterface
public interface BlobSource {
    /** The blob's bytes from {@code offset} to its end. */
    InputStream open(long offset) throws IOException;

    /**
     * A blob of a layout. Its bytes are not hashed on the way out: the registry checks the digest
     * when the upload is finished ({@code PUT ?digest=}), so a damaged blob fails the push there.
     */
    static BlobSource of(OciLayout layout, Descriptor blob) {
        Path file = layout.blobPath(blob.digest());
        return offset -> {
            long size;
            try {
                size = Files.size(file);
            } catch (NoSuchFileException e) {
                throw new OciException(layout.directory() + ": blob " + blob.digest() + " is missing");
            }
            if (size != blob.size()) {
                throw new OciException(layout.directory() + ": blob " + blob.digest() + " has " + size + " bytes, its descriptor gives " + blob.size());
            }
            FileChannel ch = FileChannel.open(file, StandardOpenOption.READ);
            ch.position(offset);
            return Channels.newInputStream(ch);
        };
    }

    static BlobSource of(byte[] bytes) {
        return offset -> new ByteArrayInputStream(bytes, (int) Math.min(offset, bytes.length), bytes.length);
    }
}
