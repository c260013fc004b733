package dev.kiln.oci;

import java.util.List;
import java.util.Objects;

/**
 * Where an image runs: OCI's platform object. kraftkit puts the Unikraft platform in {@code os}
 * ({@code qemu}, {@code fc}, {@code xen}, {@code kraftcloud}), {@code x86_64} or {@code arm64} in
 * {@code architecture}, the kernel version in {@code os.version} and KConfig lines in
 * {@code os.features}; urunc images are ordinary {@code linux/amd64}.
 */
public record Platform(String architecture, String os, String osVersion, List<String> osFeatures, String variant) {
    public Platform {
        Objects.requireNonNull(architecture, "architecture");
        Objects.requireNonNull(os, "os");
        osFeatures = osFeatures == null ? List.of() : List.copyOf(osFeatures);
    }

    public static Platform of(String os, String architecture) {
        return new Platform(architecture, os, null, List.of(), null);
    }

    /** {@code os/architecture[/variant]}, as tools print a platform. */
    @Override
    public String toString() {
        return os + "/" + architecture + (variant != null ? "/" + variant : "");
    }
}
