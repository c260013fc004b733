package dev.kiln.platform.rom;

import dev.kiln.oci.Descriptor;
import dev.kiln.oci.Digest;
import dev.kiln.oci.ImageReference;
import dev.kiln.oci.Inspection;
import dev.kiln.oci.MediaTypes;
import dev.kiln.oci.OciException;
import dev.kiln.oci.OciLayout;
import dev.kiln.oci.registry.RegistryClient;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Image ROMs: a reference ({@code NAME[:TAG]}, {@code NAME@sha256:…}, {@code NAME:TAG@sha256:…})
 * resolved in the platform's OCI layout to the one ROM blob of a kraft ROM-only image, as
 * {@code kiln pack --dialect kraft --rom …} writes it: a manifest whose only layer has media type
 * {@value MediaTypes#UNIKRAFT_ROM}. The blob is used where it is, read-only, never copied.
 *
 * <p>A blob's size and sha256 are checked against its descriptor the first time it is used (its
 * digest then remembered): the layout's blobs are written only by verified pulls and packs, and
 * this catches a file damaged since, at the cost of one read per blob per process.
 *
 * <p>A reference that the layout lacks but that names a registry ({@code docker://HOST/REPO:TAG},
 * or {@code HOST[:PORT]/REPO:TAG} whose first component looks like a host) is pulled into the
 * layout, tagged with the reference as written (without {@code docker://}), so the next use
 * finds it there. Registries in {@code insecure} are spoken to over plain HTTP.
 */
public final class RomImages {
    private final OciLayout layout;
    private final Set<String> insecure;
    private final Set<Digest> verified = ConcurrentHashMap.newKeySet();
    private final ConcurrentHashMap<String, Object> pulling = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, Cached> resolved = new ConcurrentHashMap<>();

    /**
     * A ROM image resolved: {@code pinned} the reference pinned to what its tag named
     * ({@code name:tag@sha256:<manifest or index digest>}), the ROM blob's digest, file and size.
     */
    public record Resolved(String pinned, Digest blob, Path path, long size) {}

    private record Cached(String stamp, Resolved rom) {}

    public RomImages(OciLayout layout, Set<String> insecureRegistries) {
        this.layout = layout;
        this.insecure = Set.copyOf(insecureRegistries);
    }

    /**
     * Resolves {@code ref}, pulling it first when it is not in the layout and names a registry;
     * refusals are {@link RomException}s naming {@code field} (such as {@code roms[1].image}).
     */
    public Resolved resolve(String field, String ref) throws IOException {
        if (ref == null || ref.isBlank()) throw new RomException(field, "required");
        // Creates resolve their ROMs each time: remembered until index.json changes (a pack or a
        // pull replaces it by a rename, so its inode tells a new one apart).
        String stamp = stamp();
        Cached hit = resolved.get(ref);
        if (hit != null && hit.stamp.equals(stamp)) {
            verify(field, ref, hit.rom.blob, hit.rom.size);
            return hit.rom;
        }
        Resolved r = resolveNow(field, ref);
        if (resolved.size() > 1000) resolved.clear();
        resolved.put(ref, new Cached(stamp(), r));
        return r;
    }

    private String stamp() throws IOException {
        BasicFileAttributes a = Files.readAttributes(layout.directory().resolve("index.json"), BasicFileAttributes.class);
        return a.fileKey() + ":" + a.lastModifiedTime().toMillis() + ":" + a.size();
    }

    private Resolved resolveNow(String field, String ref) throws IOException {
        Name n = Name.parse(field, ref);
        Optional<Descriptor> top = find(n);
        if (top.isEmpty() && n.registry != null) {
            pull(field, ref, n);
            top = find(n);
        }
        Descriptor d = top.orElseThrow(() -> new RomException(field, "image " + RomException.quote(ref) + ": no such image in "
                + layout.directory() + (n.registry == null ? " (a reference that starts with a registry host is pulled)" : "")));
        Descriptor rom = romLayer(field, ref, d);
        verify(field, ref, rom.digest(), rom.size());
        return new Resolved(n.pinnedName() + "@" + d.digest(), rom.digest(), layout.blobPath(rom.digest()), rom.size());
    }

    /** The one ROM layer of the image {@code top} names, or a refusal saying what the image is instead. */
    private Descriptor romLayer(String field, String ref, Descriptor top) throws IOException {
        String image = "image " + RomException.quote(ref);
        Inspection in;
        try {
            in = Inspection.of(layout, top);
        } catch (OciException e) {
            throw new RomException(field, image + ": " + e.getMessage(), e);
        }
        Inspection.Entry e;
        try {
            e = in.forPlatform("qemu", "x86_64");
        } catch (OciException ex) {
            throw new RomException(field, image + " is not a ROM image for qemu/x86_64: " + ex.getMessage(), ex);
        }
        List<Descriptor> layers = e.manifest().layers();
        List<Descriptor> roms = layers.stream().filter(l -> l.mediaType().equals(MediaTypes.UNIKRAFT_ROM)).toList();
        if (roms.size() == 1 && layers.size() == 1) return roms.getFirst();
        String why;
        if (roms.isEmpty()) {
            List<String> kinds = new ArrayList<>();
            for (Descriptor l : layers) kinds.add(kind(l));
            why = layers.isEmpty() ? "it has no layers" : "its layers are " + String.join(", ", kinds);
        } else if (roms.size() > 1) {
            why = "it holds " + roms.size() + " ROMs (" + String.join(", ", roms.stream().map(RomImages::title).toList())
                    + "); a ROM of an instance is an image with exactly one";
        } else {
            why = "besides its ROM it has " + String.join(", ", layers.stream().filter(l -> !roms.contains(l)).map(RomImages::kind).toList());
        }
        throw new RomException(field, image + " is not a ROM image: " + why + " (a ROM image has one layer of type "
                + MediaTypes.UNIKRAFT_ROM + ")");
    }

    private static String kind(Descriptor l) {
        if (l.mediaType().equals(MediaTypes.UNIKRAFT_KERNEL) || l.annotations().containsKey("org.unikraft.kernel.image")) return "a kernel";
        if (l.mediaType().equals(MediaTypes.UNIKRAFT_INITRD) || l.annotations().containsKey("org.unikraft.kernel.initrd")) return "an initrd";
        return "a " + l.mediaType() + " layer";
    }

    private static String title(Descriptor l) {
        return l.annotations().getOrDefault("org.opencontainers.image.title", l.digest().brief());
    }

    /** Checks the blob's size and digest, once per digest per process. */
    private void verify(String field, String ref, Digest blob, long size) throws IOException {
        if (verified.contains(blob)) return;
        String what = "image " + RomException.quote(ref) + ": ROM blob " + blob;
        try (InputStream in = layout.openBlob(Descriptor.of(MediaTypes.UNIKRAFT_ROM, blob, size))) {
            in.transferTo(java.io.OutputStream.nullOutputStream());
        } catch (NoSuchFileException e) {
            throw new RomException(field, what + " is missing from " + layout.directory(), e);
        } catch (OciException e) {
            throw new RomException(field, what + " does not match its descriptor (" + e.getMessage() + ")", e);
        }
        verified.add(blob);
    }

    private Optional<Descriptor> find(Name n) throws IOException {
        String wanted = n.tagged();
        for (Descriptor d : layout.index().manifests()) {
            String refName = d.annotations().get(OciLayout.REF_NAME);
            if (n.digest != null) {
                if (!d.digest().equals(n.digest)) continue;
                if (n.tag == null || wanted.equals(refName)) return Optional.of(d);
            } else if (wanted.equals(refName)) {
                return Optional.of(d);
            }
        }
        return Optional.empty();
    }

    private void pull(String field, String ref, Name n) throws IOException {
        ImageReference.Registry from;
        try {
            from = ImageReference.registry(n.name + (n.tag != null ? ":" + n.tag : "") + (n.digest != null ? "@" + n.digest : ""), ref);
        } catch (OciException e) {
            throw new RomException(field, e.getMessage(), e);
        }
        // One pull per reference at a time; the others wait and then find it in the layout.
        synchronized (pulling.computeIfAbsent(n.tagged(), k -> new Object())) {
            if (find(n).isPresent()) return;
            // Fewer, quicker retries than the CLI's: a create waits on this, and an unreachable registry should fail it in about a second.
            RegistryClient.Config config = RegistryClient.Config.defaults().withInsecure(insecure.contains(from.registry()))
                    .withRetries(3, java.time.Duration.ofMillis(200));
            try (RegistryClient client = RegistryClient.create(config)) {
                client.pull(from, layout, n.tagged());
            } catch (OciException e) {
                throw new RomException(field, "image " + RomException.quote(ref) + ": pull failed: " + e.getMessage(), e);
            }
        }
    }

    /**
     * A reference taken apart: {@code name} without {@code docker://} or {@code oci://}, the tag
     * (null when only a digest is given), the digest, and the registry host when the first
     * component looks like one (has a '.' or ':', or is {@code localhost}), or it was given with
     * {@code docker://}.
     */
    private record Name(String name, String tag, Digest digest, String registry) {
        static Name parse(String field, String ref) {
            String s = ref;
            boolean docker = s.startsWith("docker://");
            if (docker) s = s.substring(9);
            else if (s.startsWith("oci://")) s = s.substring(6);
            Digest digest = null;
            int at = s.indexOf('@');
            if (at >= 0) {
                try {
                    digest = Digest.parse(s.substring(at + 1), "digest");
                } catch (OciException e) {
                    throw new RomException(field, "image " + RomException.quote(ref) + ": " + e.getMessage(), e);
                }
                s = s.substring(0, at);
            }
            int slash = s.lastIndexOf('/');
            int colon = s.indexOf(':', slash + 1);
            String name = colon >= 0 ? s.substring(0, colon) : s;
            String tag = colon >= 0 ? s.substring(colon + 1) : digest == null ? "latest" : null;
            if (name.isEmpty() || (tag != null && tag.isEmpty())) {
                throw new RomException(field, "image " + RomException.quote(ref) + ": expected NAME[:TAG][@sha256:…]");
            }
            int first = name.indexOf('/');
            String host = first < 0 ? null : name.substring(0, first);
            boolean looksLikeHost = host != null && (host.contains(".") || host.contains(":") || host.equals("localhost"));
            String registry = looksLikeHost ? host : docker ? "docker.io" : null;
            return new Name(name, tag, digest, registry);
        }

        /** How the image is named in the layout: {@code NAME:TAG}, or {@code NAME@DIGEST} without a tag. */
        String tagged() {
            return tag != null ? name + ":" + tag : name + "@" + digest;
        }

        /** The pinned reference's name part, {@code NAME:TAG} or just {@code NAME} when only a digest was given. */
        String pinnedName() {
            return tag != null ? name + ":" + tag : name;
        }
    }
}
