package dev.kiln.oci.registry;

import dev.kiln.oci.ImageReference;
import dev.kiln.oci.OciException;

/** A repository in a registry: {@code registry} is a host with an optional port, {@code name} the path in it. */
public record Repository(String registry, String name) {
    public Repository {
        if (registry == null || registry.isEmpty() || registry.contains("/")) {
            throw new OciException("registry \"" + registry + "\": expected a host with an optional port");
        }
        if (name == null || !ImageReference.REPOSITORY.matcher(name).matches()) {
            throw new OciException("repository \"" + name + "\": lowercase letters, digits and separators (. _ __ - /) only");
        }
    }

    public static Repository of(ImageReference.Registry ref) {
        return new Repository(ref.registry(), ref.repository());
    }

    /** This repository's image {@code tag}. */
    public ImageReference.Registry tag(String tag) {
        return new ImageReference.Registry(registry, name, tag, null);
    }

    @Override
    public String toString() {
        return registry + "/" + name;
    }
}
