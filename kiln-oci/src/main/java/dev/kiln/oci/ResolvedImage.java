package dev.kiln.oci;

import java.io.IOException;
import java.util.Objects;

/**
 * One image, its reference resolved to a single manifest (an index's entry chosen by platform):
 * the manifest and config as they were stored (their bytes kept, so digests survive a copy),
 * decoded, and where the blobs are. Closing it closes the blob source.
 *
 * @param name               how the image was given, for messages
 * @param manifestDescriptor the manifest's own descriptor (media type, digest, size)
 */
public record ResolvedImage(String name, Descriptor manifestDescriptor, byte[] manifestBytes, Manifest manifest,
                            byte[] configBytes, ImageConfig config, BlobSource blobs) implements AutoCloseable {
    public ResolvedImage {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(manifestDescriptor, "manifestDescriptor");
        Objects.requireNonNull(manifest, "manifest");
        Objects.requireNonNull(config, "config");
        Objects.requireNonNull(blobs, "blobs");
        manifestBytes = manifestBytes.clone();
        configBytes = configBytes.clone();
    }

    @Override
    public byte[] manifestBytes() {
        return manifestBytes.clone();
    }

    @Override
    public byte[] configBytes() {
        return configBytes.clone();
    }

    /** Whether the manifest uses Docker's media types (schema 2) rather than OCI's. */
    public boolean isDocker() {
        return MediaTypes.DOCKER_MANIFEST.equals(manifest.mediaType());
    }

    /** The same image with blobs that this record's {@link #close} leaves open (the caller owns them). */
    public ResolvedImage borrowed() {
        BlobSource inner = blobs;
        BlobSource view = new BlobSource() {
            @Override
            public String describe() {
                return inner.describe();
            }

            @Override
            public java.io.InputStream open(Descriptor d) throws IOException {
                return inner.open(d);
            }

            @Override
            public java.util.Optional<java.nio.file.Path> file(Descriptor d) throws IOException {
                return inner.file(d);
            }
        };
        return new ResolvedImage(name, manifestDescriptor, manifestBytes, manifest, configBytes, config, view);
    }

    @Override
    public void close() throws IOException {
        blobs.close();
    }
}
