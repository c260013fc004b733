package dev.kiln.oci;

import java.util.List;
import java.util.Objects;
import java.util.SortedMap;
import java.util.TreeMap;

/** An image manifest (OCI, or Docker schema 2 when read): a config and layers. */
public record Manifest(String mediaType, String artifactType, Descriptor config, List<Descriptor> layers,
                       SortedMap<String, String> annotations) {
    public Manifest {
        Objects.requireNonNull(mediaType, "mediaType");
        Objects.requireNonNull(config, "config");
        layers = List.copyOf(layers);
        annotations = annotations == null ? new TreeMap<>() : new TreeMap<>(annotations);
    }

    @Override
    public SortedMap<String, String> annotations() {
        return java.util.Collections.unmodifiableSortedMap(annotations);
    }
}
