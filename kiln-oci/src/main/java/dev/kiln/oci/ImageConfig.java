package dev.kiln.oci;

import java.util.List;
import java.util.Objects;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * An image's configuration blob: the platform fields, what runs ({@code Entrypoint}, {@code Cmd},
 * {@code Env}, {@code WorkingDir}, {@code User}, {@code Labels}) and the layers' uncompressed
 * digests ({@code rootfs.diff_ids}). {@code created} is left out unless given, so the same
 * inputs give the same config.
 */
public record ImageConfig(String architecture, String os, String osVersion, List<String> osFeatures, String variant,
                          String created, List<String> entrypoint, List<String> cmd, List<String> env, String workingDir,
                          String user, SortedMap<String, String> labels, List<Digest> diffIds) {
    public ImageConfig {
        Objects.requireNonNull(architecture, "architecture");
        Objects.requireNonNull(os, "os");
        osFeatures = osFeatures == null ? List.of() : List.copyOf(osFeatures);
        entrypoint = entrypoint == null ? null : List.copyOf(entrypoint);
        cmd = cmd == null ? null : List.copyOf(cmd);
        env = env == null ? List.of() : List.copyOf(env);
        labels = labels == null ? new TreeMap<>() : new TreeMap<>(labels);
        diffIds = diffIds == null ? List.of() : List.copyOf(diffIds);
    }

    public Platform platform() {
        return new Platform(architecture, os, osVersion, osFeatures, variant);
    }

    @Override
    public SortedMap<String, String> labels() {
        return java.util.Collections.unmodifiableSortedMap(labels);
    }
}
