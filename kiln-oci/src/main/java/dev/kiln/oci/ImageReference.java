package dev.kiln.oci;

import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Where an image lives, spelled as skopeo spells it: {@code oci:DIR[:TAG]},
 * {@code oci-archive:FILE[:TAG]}, {@code docker-archive:FILE[:NAME:TAG]} and
 * {@code docker://[REGISTRY/]REPOSITORY[:TAG|@DIGEST]}. A registry reference without a registry
 * means Docker Hub ({@code docker.io}, with {@code library/} for a one-word name); without a tag
 * or digest, {@code latest}.
 */
public sealed interface ImageReference {
    /** An OCI layout directory; {@code tag} null means the layout's only image. */
    record OciDirectory(Path directory, String tag) implements ImageReference {
        @Override
        public String toString() {
            return "oci:" + directory + (tag != null ? ":" + tag : "");
        }
    }

    /** An OCI layout in a tar file. */
    record OciArchive(Path file, String tag) implements ImageReference {
        @Override
        public String toString() {
            return "oci-archive:" + file + (tag != null ? ":" + tag : "");
        }
    }

    /** A {@code docker save} tarball; {@code name} (e.g. {@code app:1}) picks one of its images. */
    record DockerArchive(Path file, String name) implements ImageReference {
        @Override
        public String toString() {
            return "docker-archive:" + file + (name != null ? ":" + name : "");
        }
    }

    /**
     * An image in a registry. {@code registry} is a host with an optional port; {@code tag} or
     * {@code digest} (or both, the digest winning) names the image.
     */
    record Registry(String registry, String repository, String tag, Digest digest) implements ImageReference {
        public Registry {
            if (!REPOSITORY.matcher(repository).matches()) {
                throw new OciException("repository \"" + repository + "\": lowercase letters, digits and separators (. _ __ - /) only");
            }
            if (tag != null && !tag.matches("[A-Za-z0-9_][A-Za-z0-9._-]{0,127}")) {
                throw new OciException("tag \"" + tag + "\": letters, digits, '_', '.' and '-', at most 128, not starting with '.' or '-'");
            }
            if (tag == null && digest == null) tag = "latest";
        }

        /** The tag or the digest, as the registry API's manifest reference. */
        public String reference() {
            return digest != null ? digest.toString() : tag;
        }

        public Registry withTag(String t) {
            return new Registry(registry, repository, t, null);
        }

        public Registry withDigest(Digest d) {
            return new Registry(registry, repository, tag, d);
        }

        @Override
        public String toString() {
            return "docker://" + registry + "/" + repository + (tag != null ? ":" + tag : "") + (digest != null ? "@" + digest : "");
        }
    }

    Pattern REPOSITORY = Pattern.compile("[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*");

    /** Parses one of the forms above; fails naming the part that is wrong. */
    static ImageReference parse(String s) {
        if (s.startsWith("oci:")) {
            PathAndTag pt = PathAndTag.split(s.substring(4), s);
            return new OciDirectory(pt.path, pt.tag);
        }
        if (s.startsWith("oci-archive:")) {
            PathAndTag pt = PathAndTag.split(s.substring(12), s);
            return new OciArchive(pt.path, pt.tag);
        }
        if (s.startsWith("docker-archive:")) {
            String rest = s.substring(15);
            int colon = rest.indexOf(':');
            if (colon < 0) return new DockerArchive(Path.of(rest), null);
            return new DockerArchive(Path.of(rest.substring(0, colon)), rest.substring(colon + 1));
        }
        if (s.startsWith("docker://")) return registry(s.substring(9), s);
        throw new OciException("\"" + s + "\": an image reference starts with oci:, oci-archive:, docker-archive: or docker://");
    }

    /** {@code [REGISTRY/]REPOSITORY[:TAG][@DIGEST]}, the part after {@code docker://}. */
    static Registry registry(String name, String given) {
        Matcher m = Pattern.compile("^(?:([^/]+)/)?([^:@]+(?:/[^:@]+)*)(?::([^@]+))?(?:@(.+))?$").matcher(name);
        if (!m.matches()) throw new OciException("\"" + given + "\": expected [REGISTRY/]REPOSITORY[:TAG][@DIGEST]");
        String first = m.group(1), repo = m.group(2);
        String registry;
        // Docker's rule: the first component is a registry only if it looks like a host.
        if (first != null && (first.contains(".") || first.contains(":") || first.equals("localhost"))) {
            registry = first;
        } else {
            registry = "docker.io";
            if (first != null) repo = first + "/" + repo;
            else repo = "library/" + repo;
        }
        Digest digest = m.group(4) == null ? null : Digest.parse(m.group(4), "\"" + given + "\" digest");
        try {
            return new Registry(registry, repo, m.group(3), digest);
        } catch (OciException e) {
            throw new OciException("\"" + given + "\": " + e.getMessage());
        }
    }

    /**
     * A path with an optional {@code :REF} after it, split at the first colon as skopeo splits
     * it (a path holds no colon; a reference may, as in {@code app:latest}).
     */
    record PathAndTag(Path path, String tag) {
        static PathAndTag split(String s, String given) {
            if (s.isEmpty()) throw new OciException("\"" + given + "\": no path");
            int colon = s.indexOf(':');
            if (colon == 0) throw new OciException("\"" + given + "\": no path before ':'");
            if (colon > 0) {
                String tag = s.substring(colon + 1);
                OciLayout.checkTag(tag);
                return new PathAndTag(Path.of(s.substring(0, colon)), tag);
            }
            return new PathAndTag(Path.of(s), null);
        }
    }
}
