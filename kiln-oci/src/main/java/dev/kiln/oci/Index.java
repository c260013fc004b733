package dev.kiln.oci;

import java.util.List;
import java.util.Objects;
import java.util.SortedMap;
import java.util.TreeMap;

/** An image index (OCI, or a Docker manifest list when read): manifests, each for a platform. */
public record Index(String mediaType, String artifactType, List<Descriptor> manifests, SortedMap<String, String> annotations) {
    public Index {
        Objects.requireNonNull(mediaType, "mediaType");
        manifests = List.copyOf(manifests);
        annotations = annotations == null ? new TreeMap<>() : new TreeMap<>(annotations);
    }

    public static Index of(List<Descriptor> manifests) {
        return new Index(MediaTypes.OCI_INDEX, null, manifests, null);
    }

    @Override
    public SortedMap<String, String> annotations() {
        return java.util.Collections.unmodifiableSortedMap(annotations);
    }
}
