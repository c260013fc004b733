package dev.kiln.oci;

import java.util.Map;
import java.util.Objects;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * A reference to a blob: its media type, digest and size, with optional annotations, platform
 * (in an index) and artifact type. Annotations are kept sorted, so a descriptor always encodes
 * to the same bytes.
 */
public record Descriptor(String mediaType, Digest digest, long size, SortedMap<String, String> annotations, Platform platform,
                         String artifactType) {
    public Descriptor {
        Objects.requireNonNull(mediaType, "mediaType");
        Objects.requireNonNull(digest, "digest");
        if (size < 0) throw new OciException("descriptor " + digest + ": negative size " + size);
        annotations = annotations == null ? new TreeMap<>() : new TreeMap<>(annotations);
    }

    public static Descriptor of(String mediaType, Digest digest, long size) {
        return new Descriptor(mediaType, digest, size, null, null, null);
    }

    /** The descriptor of {@code bytes} as a blob of {@code mediaType}. */
    public static Descriptor of(String mediaType, byte[] bytes) {
        return of(mediaType, Digest.of(bytes), bytes.length);
    }

    public Descriptor withAnnotations(Map<String, String> more) {
        TreeMap<String, String> a = new TreeMap<>(annotations);
        a.putAll(more);
        return new Descriptor(mediaType, digest, size, a, platform, artifactType);
    }

    public Descriptor withPlatform(Platform p) {
        return new Descriptor(mediaType, digest, size, annotations, p, artifactType);
    }

    @Override
    public SortedMap<String, String> annotations() {
        return java.util.Collections.unmodifiableSortedMap(annotations);
    }
}
