package dev.kiln.oci.spec;

import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;

/**
 * What the caller adds to a spec file, because the file cannot say it: {@code buildArgs} for a
 * Containerfile's {@code ARG}s ({@code --build-arg}); the {@code kernel}, which a Kraftfile never
 * names (it comes from the build) and which replaces the one a Containerfile {@code COPY}s;
 * {@code platform} and {@code architecture} to choose among a Kraftfile's targets. Each may be
 * null (or empty).
 */
public record SpecOptions(Map<String, String> buildArgs, Path kernel, String platform, String architecture) {
    public static final SpecOptions NONE = new SpecOptions(Map.of(), null, null, null);

    public SpecOptions {
        buildArgs = buildArgs == null ? Map.of() : java.util.Collections.unmodifiableMap(new TreeMap<>(buildArgs));
    }

    public SpecOptions withKernel(Path k) {
        return new SpecOptions(buildArgs, k, platform, architecture);
    }

    public SpecOptions withBuildArgs(Map<String, String> args) {
        return new SpecOptions(args, kernel, platform, architecture);
    }

    public SpecOptions withTarget(String plat, String arch) {
        return new SpecOptions(buildArgs, kernel, plat, arch);
    }
}
