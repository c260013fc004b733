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

    /** Parses {@code OS/ARCH} ({@code linux/amd64}), as the CLI's {@code --platform} takes it; {@code what} names it in the message. */
    public static Platform parse(String s, String what) {
        String[] p = s.split("/");
        if (p.length < 2) throw new OciException(what + " \"" + s + "\": expected OS/ARCH, as linux/amd64");
        return of(p[0], p[1]);
    }

    /** {@code os/architecture[/variant]}, as tools print a platform. */
    @Override
    public String toString() {
        return os + "/" + architecture + (variant != null ? "/" + variant : "");
    }
}
