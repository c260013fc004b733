package dev.kiln.platform.image;

import dev.kiln.fs.Images;
import dev.kiln.fs.Node;
import dev.kiln.fs.Tree;
import dev.kiln.oci.Descriptor;
import dev.kiln.oci.Digest;
import dev.kiln.oci.ImageConfig;
import dev.kiln.oci.Inspection;
import dev.kiln.oci.MediaTypes;
import dev.kiln.oci.OciException;
import dev.kiln.oci.OciLayout;
import dev.kiln.platform.instance.InstanceException;
import dev.kiln.oci.Directories;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * The platform's images: an OCI layout under the data directory ({@code kiln pack -o
 * oci:DATA/images:app:latest} writes into it), whose entries are named {@code NAME:TAG}. An
 * instance's image must be a kraft-dialect unikernel image with a manifest for the Unikraft
 * platform QEMU runs ({@code qemu/x86_64}); its kernel and initrd are taken out of their layers
 * once per manifest into {@code cache/<digest>/} and shared by every instance of it.
 */
public final class ImageCatalog {
    /** Config label saying which guest the kernel is ({@code unikraft}, the default, or {@code linux}). */
    public static final String GUEST_LABEL = dev.kiln.oci.pack.Packer.GUEST_LABEL;
    private static final String KERNEL_ANNOTATION = "org.unikraft.kernel.image";
    private static final String INITRD_ANNOTATION = "org.unikraft.kernel.initrd";

    private final OciLayout layout;
    private final Path cache;
    private final java.util.concurrent.ConcurrentHashMap<Digest, Object> extracting = new java.util.concurrent.ConcurrentHashMap<>();

    private ImageCatalog(OciLayout layout, Path cache) {
        this.layout = layout;
        this.cache = cache;
    }

    /** The catalog in {@code dir} (an OCI layout, created if missing). */
    public static ImageCatalog open(Path dir) throws IOException {
        OciLayout layout = OciLayout.create(dir);
        Path cache = Files.createDirectories(dir.resolve("cache"));
        return new ImageCatalog(layout, cache);
    }

    public OciLayout layout() {
        return layout;
    }

    /**
     * A runnable image: the reference pinned to its digest, the guest kind, and the kernel and
     * initrd files on disk.
     */
    public record Runnable(String pinned, Digest digest, String guest, Path kernel, Path initrd, long initrdSize,
                           ImageConfig config, int unikraftMiB) {}

    /**
     * Resolves {@code ref} ({@code NAME[:TAG]}, {@code NAME@sha256:…} or
     * {@code NAME:TAG@sha256:…}, the digest then checked) to a runnable image; fails with a
     * 400 naming the field {@code image} when it is unknown or not a unikernel image.
     */
    public Runnable resolve(String ref) throws IOException {
        if (ref == null || ref.isBlank()) throw new InstanceException(400, "image", "image: required");
        // Every create resolves its image: remembered until index.json changes (a pack or a pull).
        Path index = layout.directory().resolve("index.json");
        // index.json is replaced by a rename on every change, so its inode tells a new one apart.
        var attrs = Files.readAttributes(index, java.nio.file.attribute.BasicFileAttributes.class);
        String stamp = attrs.fileKey() + ":" + attrs.lastModifiedTime().toMillis() + ":" + attrs.size();
        Resolved hit = resolved.get(ref);
        if (hit != null && hit.stamp.equals(stamp)) return hit.image;
        Runnable r = resolveNow(ref);
        if (resolved.size() > 1000) resolved.clear();
        resolved.put(ref, new Resolved(stamp, r));
        return r;
    }

    private record Resolved(String stamp, Runnable image) {}

    private final java.util.concurrent.ConcurrentHashMap<String, Resolved> resolved = new java.util.concurrent.ConcurrentHashMap<>();

    private Runnable resolveNow(String ref) throws IOException {
        String name = ref;
        Digest pinned = null;
        int at = ref.indexOf('@');
        if (at >= 0) {
            name = ref.substring(0, at);
            try {
                pinned = Digest.parse(ref.substring(at + 1), "image digest");
            } catch (OciException e) {
                throw new InstanceException(400, "image", e.getMessage());
            }
        }
        if (name.startsWith("oci://")) name = name.substring(6);
        String tag = name.contains(":") ? name : name + ":latest";
        Descriptor top = find(tag, name, pinned)
                .orElseThrow(() -> new InstanceException(400, "image", "image '" + ref + "': no such image in " + layout.directory()));
        Inspection in;
        try {
            in = Inspection.of(layout, top);
        } catch (OciException e) {
            throw new InstanceException(400, "image", "image '" + ref + "': " + e.getMessage());
        }
        Inspection.Entry e;
        try {
            e = in.forPlatform("qemu", "x86_64");
        } catch (OciException ex) {
            throw new InstanceException(400, "image", "image '" + ref + "' is not a unikernel image for qemu/x86_64: " + ex.getMessage());
        }
        Descriptor kernelLayer = null, initrdLayer = null;
        for (Descriptor l : e.manifest().layers()) {
            if (l.annotations().containsKey(KERNEL_ANNOTATION) || l.mediaType().equals(MediaTypes.UNIKRAFT_KERNEL)) kernelLayer = l;
            else if (l.annotations().containsKey(INITRD_ANNOTATION) || l.mediaType().equals(MediaTypes.UNIKRAFT_INITRD)) initrdLayer = l;
        }
        if (kernelLayer == null) {
            throw new InstanceException(400, "image", "image '" + ref + "' has no kernel layer (" + KERNEL_ANNOTATION + "): not a unikernel image");
        }
        Path dir = extract(e.descriptor().digest(), kernelLayer, initrdLayer);
        Path initrd = initrdLayer == null ? null : dir.resolve("initrd");
        String guest = e.config() != null ? e.config().labels().getOrDefault(GUEST_LABEL, "unikraft") : "unikraft";
        return new Runnable(name.contains(":") || name.contains("@") ? name + "@" + top.digest() : name + ":latest@" + top.digest(),
                top.digest(), guest, dir.resolve("kernel"), initrd, initrd == null ? 0 : Files.size(initrd), e.config(),
                Integer.parseInt(Files.readString(dir.resolve("unikraft-memory")).strip()));
    }

    private Optional<Descriptor> find(String tag, String name, Digest pinned) throws IOException {
        for (Descriptor d : layout.index().manifests()) {
            String refName = d.annotations().get(OciLayout.REF_NAME);
            boolean named = tag.equals(refName) || name.equals(refName);
            if (pinned != null) {
                if (d.digest().equals(pinned) && (named || name.isEmpty() || !name.contains(":"))) return Optional.of(d);
            } else if (named) {
                return Optional.of(d);
            }
        }
        return Optional.empty();
    }

    /** Takes the kernel and initrd out of their single-file layers into {@code cache/<manifest hex>}, once. */
    private Path extract(Digest manifest, Descriptor kernel, Descriptor initrd) throws IOException {
        Path dir = cache.resolve(manifest.encoded());
        if (Files.isRegularFile(dir.resolve("done"))) return dir;
        // One extraction per manifest at a time; the others wait for it and find it done.
        synchronized (extracting.computeIfAbsent(manifest, d -> new Object())) {
            if (Files.isRegularFile(dir.resolve("done"))) return dir;
            return extractNow(dir, kernel, initrd);
        }
    }

    private Path extractNow(Path dir, Descriptor kernel, Descriptor initrd) throws IOException {
        Path tmp = Files.createTempDirectory(cache, ".extract-");
        try {
            single(kernel, tmp, "kernel");
            int mib = 16;
            if (initrd != null) {
                single(initrd, tmp, "initrd");
                // What a Unikraft guest needs for this initrd, by the measured rule kiln build --target
                // unikraft prints; worked out once, here, since it reads the whole archive's tree.
                try (Tree t = Images.read(tmp.resolve("initrd"), tmp)) {
                    mib = (int) dev.kiln.fs.target.UnikraftMemory.requiredMiB(t, Files.size(tmp.resolve("initrd")));
                } catch (dev.kiln.fs.KilnException ex) {
                    mib = -1; // not an archive Unikraft reads (EROFS, say): the rule does not apply
                }
            }
            Files.writeString(tmp.resolve("unikraft-memory"), Integer.toString(mib));
            Files.createFile(tmp.resolve("done"));
            // A directory left by an extraction that a crash cut short has no "done": replace it.
            if (Files.exists(dir)) Directories.deleteTree(dir);
            Files.move(tmp, dir, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Directories.deleteTree(tmp);
        }
        return dir;
    }

    /** The one regular file a kraft layer holds, copied to {@code dir/name} (the layer's digest is checked as it is read). */
    private void single(Descriptor layer, Path dir, String name) throws IOException {
        Path tar = dir.resolve(name + ".layer");
        try (InputStream in = layout.openBlob(layer)) {
            Files.copy(in, tar);
        }
        try (Tree t = Images.read(tar, dir)) {
            Node.File file = null;
            for (var e : t.entries()) {
                if (e.node() instanceof Node.File f) {
                    if (file != null) throw new InstanceException(400, "image", "layer " + layer.digest() + " holds more than one file");
                    file = f;
                }
            }
            if (file == null) throw new InstanceException(400, "image", "layer " + layer.digest() + " holds no file");
            try (InputStream in = file.content().open()) {
                Files.copy(in, dir.resolve(name));
            }
        } finally {
            Files.deleteIfExists(tar);
        }
    }

    /** An entry of the catalog, for {@code GET /v1/images}. */
    public record Entry(String url, Digest digest, Instant createdAt, boolean initrdOrRom, long sizeInBytes, List<String> args,
                        List<String> env, List<String> tags) {}

    /** Every named image. */
    public List<Entry> list() throws IOException {
        List<Entry> out = new ArrayList<>();
        for (Descriptor d : layout.index().manifests()) {
            String refName = d.annotations().get(OciLayout.REF_NAME);
            if (refName == null) continue;
            try {
                Inspection in = Inspection.of(layout, d);
                long size = 0;
                boolean initrdOrRom = false;
                List<String> args = List.of(), env = List.of();
                for (Inspection.Entry e : in.manifests()) {
                    for (Descriptor l : e.manifest().layers()) {
                        size += l.size();
                        if (l.annotations().containsKey(INITRD_ANNOTATION) || l.mediaType().equals(MediaTypes.UNIKRAFT_ROM)) initrdOrRom = true;
                    }
                    if (e.config() != null && e.config().cmd() != null) args = e.config().cmd();
                    if (e.config() != null) env = e.config().env();
                }
                Instant created = Files.getLastModifiedTime(layout.blobPath(d.digest())).toInstant();
                out.add(new Entry(refName + "@" + d.digest(), d.digest(), created, initrdOrRom, size, args, env, List.of(refName)));
            } catch (OciException e) {
                // an entry the catalog cannot read is left out of the list, not fatal to it
            }
        }
        out.sort(Comparator.comparing(Entry::url));
        return out;
    }

}
