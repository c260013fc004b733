package dev.kiln.oci.pack;

import dev.kiln.fs.Extractor;
import dev.kiln.fs.ImageFormat;
import dev.kiln.fs.Tree;
import dev.kiln.fs.build.ImageBuild;
import dev.kiln.fs.build.MtimePolicy;
import dev.kiln.fs.build.Ownership;
import dev.kiln.fs.build.Source;
import dev.kiln.fs.target.Target;
import dev.kiln.oci.Descriptor;
import dev.kiln.oci.Directories;
import dev.kiln.oci.Digest;
import dev.kiln.oci.ImageConfig;
import dev.kiln.oci.Index;
import dev.kiln.oci.Manifest;
import dev.kiln.oci.MediaTypes;
import dev.kiln.oci.OciException;
import dev.kiln.oci.OciJson;
import dev.kiln.oci.OciLayout;
import dev.kiln.oci.Platform;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * Makes the image a {@link PackRequest} describes and stores it in an {@link OciLayout}: an
 * index with one manifest per dialect, sharing blobs where the layouts agree (with both
 * dialects, the kernel and the initrd sit where kraftkit puts them, so the urunc manifest reuses
 * those layers). Same request, same bytes: layers are kiln-built tars with fixed times and
 * owners (root; a raw rootfs keeps its sources' own), JSON is encoded in a fixed order, and no
 * time is recorded unless the request gives one.
 *
 * <p>kraft layout (kraftkit, Unikraft Cloud): the kernel at {@code /unikraft/bin/kernel} and the
 * initrd at {@code /unikraft/bin/initrd}, each a single-file tar layer with its
 * {@code org.unikraft.kernel.*} annotation, ROMs as raw blobs of media type
 * {@code application/vnd.unikraft.rom.v1}; config {@code architecture} x86_64/arm64, {@code os}
 * the platform, {@code os.version}, {@code os.features}; the index entry's platform says the same.
 *
 * <p>urunc layout (bunny, bunix): a {@code linux/amd64} manifest whose layers put the kernel at
 * {@code binary}, the rootfs (initrd or block image, or the files themselves for {@code raw}) and
 * {@code /urunc.json}; the {@code com.urunc.unikernel.*} keys as manifest annotations, config
 * labels and base64 values in {@code /urunc.json}, which all agree.
 */
public final class Packer {
    public static final String KERNEL_PATH = "/unikraft/bin/kernel";
    public static final String INITRD_PATH = "/unikraft/bin/initrd";
    public static final String ANNOTATION_KERNEL = "org.unikraft.kernel.image";
    public static final String ANNOTATION_INITRD = "org.unikraft.kernel.initrd";
    public static final String ANNOTATION_KERNEL_VERSION = "org.unikraft.kernel.version";
    public static final String ANNOTATION_TITLE = "org.opencontainers.image.title";
    public static final String ANNOTATION_CREATED = "org.opencontainers.image.created";
    /**
     * Config label saying which guest the kernel is ({@code unikraft}, the default, or {@code linux}):
     * a Linux guest gets a Linux initramfs here, and kiln serve boots it as Linux.
     */
    public static final String GUEST_LABEL = "dev.kiln.guest";
    /** kraftkit's rule for ROM files: whole pages. */
    public static final int ROM_ALIGNMENT = 4096;

    /** What was stored: the index, and each dialect's manifest in it. */
    public record Result(Descriptor index, Map<Dialect, Descriptor> manifests) {}

    private Packer() {}

    /** Packs {@code r} into {@code layout} and tags the index {@code tag} (only once everything is stored). */
    public static Result pack(PackRequest r, OciLayout layout, String tag, Path temporaryDirectory) throws IOException {
        OciLayout.checkTag(tag);
        Path tmp = temporaryDirectory == null ? Files.createTempDirectory("kiln-pack-") : Files.createTempDirectory(temporaryDirectory, "kiln-pack-");
        try {
            return new Run(r, layout, tmp).pack(tag);
        } finally {
            Directories.deleteTree(tmp);
        }
    }

    /** The state of one pack. */
    private static final class Run {
        private final PackRequest r;
        private final OciLayout layout;
        private final Path tmp;
        private int files;
        /** Layers already stored, by what they hold, so both dialects share them. */
        private final Map<String, Descriptor> fileLayers = new LinkedHashMap<>();
        private Path rootfsImage;

        Run(PackRequest r, OciLayout layout, Path tmp) {
            this.r = r;
            this.layout = layout;
            this.tmp = tmp;
        }

        Result pack(String tag) throws IOException {
            Map<Dialect, Descriptor> manifests = new EnumMap<>(Dialect.class);
            List<Descriptor> entries = new ArrayList<>();
            // urunc's linux/amd64 entry first: a runtime that picks the first match finds it.
            if (r.urunc() != null) {
                Descriptor m = uruncManifest();
                manifests.put(Dialect.URUNC, m);
                entries.add(m);
            }
            if (r.kraft() != null) {
                Descriptor m = kraftManifest();
                manifests.put(Dialect.KRAFT, m);
                entries.add(m);
            }
            SortedMap<String, String> ann = new TreeMap<>();
            if (r.created() != null) ann.put(ANNOTATION_CREATED, created());
            Index index = new Index(MediaTypes.OCI_INDEX, null, entries, ann);
            Descriptor top = layout.putBlob(MediaTypes.OCI_INDEX, OciJson.encode(index));
            layout.tag(tag, top);
            return new Result(top, manifests);
        }

        private Descriptor kraftManifest() throws IOException {
            PackRequest.Kraft k = r.kraft();
            List<Descriptor> layers = new ArrayList<>();
            List<Digest> diffIds = new ArrayList<>();
            if (r.kernel() != null) {
                Descriptor kernel = fileLayer(r.kernel(), KERNEL_PATH).withAnnotations(Map.of(ANNOTATION_KERNEL, KERNEL_PATH));
                layers.add(kernel);
                diffIds.add(kernel.digest());
            }
            if (r.rootfs() != null) {
                Descriptor initrd = fileLayer(rootfsImage(), INITRD_PATH).withAnnotations(Map.of(ANNOTATION_INITRD, INITRD_PATH));
                layers.add(initrd);
                diffIds.add(initrd.digest());
            }
            for (PackRequest.Rom rom : r.roms()) layers.add(rom(rom));
            Platform platform = new Platform(k.architecture(), k.platform(), k.kernelVersion(), k.kconfig(), null);
            ImageConfig config = new ImageConfig(k.architecture(), k.platform(), k.kernelVersion(), k.kconfig(), null, created(),
                    r.entrypoint(), r.cmd(), r.env(), r.workingDir(), null, r.labels(), diffIds);
            SortedMap<String, String> ann = new TreeMap<>();
            if (k.kernelVersion() != null) ann.put(ANNOTATION_KERNEL_VERSION, k.kernelVersion());
            if (r.created() != null) ann.put(ANNOTATION_CREATED, created());
            return manifest(config, layers, ann).withPlatform(platform);
        }

        private Descriptor uruncManifest() throws IOException {
            PackRequest.Urunc u = r.urunc();
            List<String> args = new ArrayList<>();
            if (r.entrypoint() != null) args.addAll(r.entrypoint());
            if (r.cmd() != null) args.addAll(r.cmd());
            SortedMap<String, String> keys = UruncRules.annotations(u, args);
            List<Descriptor> layers = new ArrayList<>();
            layers.add(fileLayer(r.kernel(), u.binaryPath()));
            if (r.rootfs() != null) {
                layers.add(switch (u.rootfsType()) {
                    case INITRD -> fileLayer(rootfsImage(), u.rootfsPath());
                    case BLOCK -> fileLayer(blockImage(u), u.rootfsPath());
                    case RAW -> rawLayer();
                });
            }
            layers.add(uruncJsonLayer(keys));
            SortedMap<String, String> labels = new TreeMap<>(r.labels());
            labels.putAll(keys);
            String arch = r.kraft() != null && r.kraft().architecture().equals("arm64") ? "arm64" : "amd64";
            List<Digest> diffIds = layers.stream().map(Descriptor::digest).toList();
            ImageConfig config = new ImageConfig(arch, "linux", null, null, null, created(), r.entrypoint(), r.cmd(), r.env(),
                    r.workingDir(), null, labels, diffIds);
            SortedMap<String, String> ann = new TreeMap<>(keys);
            if (r.created() != null) ann.put(ANNOTATION_CREATED, created());
            return manifest(config, layers, ann).withPlatform(Platform.of("linux", arch));
        }

        private Descriptor manifest(ImageConfig config, List<Descriptor> layers, SortedMap<String, String> ann) throws IOException {
            Descriptor cfg = layout.putBlob(MediaTypes.OCI_CONFIG, OciJson.encode(config));
            Manifest m = new Manifest(MediaTypes.OCI_MANIFEST, null, cfg, layers, ann);
            return layout.putBlob(MediaTypes.OCI_MANIFEST, OciJson.encode(m));
        }

        private String created() {
            return r.created() == null ? null : Instant.ofEpochSecond(r.created()).toString();
        }

        /** A tar layer holding one host file at {@code inImage}, root-owned, mtime 0 (stored once per file and path). */
        private Descriptor fileLayer(Path file, String inImage) throws IOException {
            String key = file.toAbsolutePath() + "\0" + inImage;
            Descriptor d = fileLayers.get(key);
            if (d != null) return d;
            d = tarLayer(ImageBuild.builder().source(Source.hostPath(file, inImage)));
            fileLayers.put(key, d);
            return d;
        }

        /**
         * urunc's {@code raw} rootfs: the files themselves, in the image's own root. Owners are
         * each source's (host files root, images and a Containerfile's {@code COPY --chown} their
         * own), since the guest sees these files as they are.
         */
        private Descriptor rawLayer() throws IOException {
            ImageBuild.Builder b = ImageBuild.builder();
            if (r.rootfs().prebuilt() != null) b.source(Source.image(r.rootfs().prebuilt()));
            else b.sources(r.rootfs().sources());
            return tarLayer(b, null);
        }

        /** {@code /urunc.json}: every key with its value in standard base64, as urunc decodes it. */
        private Descriptor uruncJsonLayer(SortedMap<String, String> keys) throws IOException {
            StringBuilder json = new StringBuilder("{");
            for (Map.Entry<String, String> e : keys.entrySet()) {
                if (json.length() > 1) json.append(',');
                json.append('"').append(e.getKey()).append("\":\"")
                        .append(Base64.getEncoder().encodeToString(e.getValue().getBytes(StandardCharsets.UTF_8))).append('"');
            }
            json.append("}\n");
            return tarLayer(ImageBuild.builder().source(Source.memory().file("/urunc.json", json.toString().getBytes(StandardCharsets.UTF_8)).build()));
        }

        private Descriptor tarLayer(ImageBuild.Builder b) throws IOException {
            return tarLayer(b, Ownership.ROOT);
        }

        /** A tar layer of {@code b}'s tree; {@code owners} null keeps each source's own. */
        private Descriptor tarLayer(ImageBuild.Builder b, Ownership owners) throws IOException {
            Path out = tmp.resolve("layer" + files++ + ".tar");
            b.format(ImageFormat.TAR).owners(owners).mtime(MtimePolicy.fixed(0)).temporaryDirectory(tmp).build().writeTo(out);
            try (InputStream in = Files.newInputStream(out)) {
                return layout.putBlob(MediaTypes.OCI_LAYER, in);
            } finally {
                Files.deleteIfExists(out);
            }
        }

        /** The rootfs image: the prebuilt file, or built once from the sources for the guest that reads it. */
        private Path rootfsImage() throws IOException {
            if (rootfsImage != null) return rootfsImage;
            PackRequest.Rootfs fs = r.rootfs();
            if (fs.prebuilt() != null) return rootfsImage = fs.prebuilt();
            // A Linux guest, by urunc's key or by the label kiln serve reads, gets a Linux initramfs.
            boolean linuxGuest = r.urunc() != null && r.urunc().unikernelType().equals("linux")
                    || "linux".equals(r.labels().get(GUEST_LABEL));
            Target target = fs.format() == ImageFormat.EROFS ? (linuxGuest ? Target.LINUX : Target.GENERIC)
                    : linuxGuest ? Target.LINUX : Target.UNIKRAFT;
            Path out = tmp.resolve("rootfs." + fs.format().id());
            ImageBuild.builder().sources(fs.sources()).format(fs.format()).target(target).mtime(MtimePolicy.fixed(0))
                    .temporaryDirectory(tmp).build().writeTo(out);
            return rootfsImage = out;
        }

        /** A block image of the rootfs tree: ext4/ext2 through e2fsprogs' {@code mke2fs -d}, or EROFS. */
        private Path blockImage(PackRequest.Urunc u) throws IOException {
            Path prebuilt = r.rootfs().prebuilt();
            // A file kiln cannot read as a tree (an ext2/ext4 image, bunny's only block rootfs)
            // is a finished block image: used as it is.
            if (prebuilt != null && ImageFormat.detect(prebuilt).isEmpty()) return prebuilt;
            ImageBuild.Builder b = ImageBuild.builder().mtime(MtimePolicy.fixed(0)).temporaryDirectory(tmp);
            if (r.rootfs().prebuilt() != null) b.source(Source.image(r.rootfs().prebuilt()));
            else b.sources(r.rootfs().sources());
            if (u.blockFilesystem().equals("erofs")) {
                Path out = tmp.resolve("block.erofs");
                b.format(ImageFormat.EROFS).target(Target.LINUX).build().writeTo(out);
                return out;
            }
            // The tree as a tar first: its digest names the content (for a UUID and hash seed that
            // make the same tree give the same image), and it is what is extracted for mke2fs -d.
            Path tar = tmp.resolve("block-tree.tar");
            b.format(ImageFormat.TAR).build().writeTo(tar);
            Path dir = tmp.resolve("block-tree");
            long bytes;
            int entries;
            try (Tree tree = dev.kiln.fs.Images.read(tar)) {
                new Extractor(Extractor.runningAsRoot()).extract(tree, dir);
                bytes = tree.contentBytes();
                entries = tree.size();
            }
            String uuid;
            try (InputStream in = Files.newInputStream(tar)) {
                java.security.MessageDigest h = Digest.sha256();
                byte[] buf = new byte[1 << 16];
                for (int n; (n = in.read(buf)) > 0; ) h.update(buf, 0, n);
                uuid = UUID.nameUUIDFromBytes(h.digest()).toString();
            }
            Files.delete(tar);
            // Room for the data, its metadata and the journal; mke2fs fails, naming the
            // problem, if the tree does not fit.
            long mib = Math.max(16, (bytes + bytes / 5 + (long) entries * 8192) / (1 << 20) + 8);
            Path out = tmp.resolve("block." + u.blockFilesystem());
            ProcessBuilder pb = new ProcessBuilder("mke2fs", "-q", "-F", "-t", u.blockFilesystem(), "-d", dir.toString(),
                    "-U", uuid, "-E", "hash_seed=" + uuid + ",root_owner=0:0", "-L", "rootfs", out.toString(), mib + "M");
            pb.environment().put("E2FSPROGS_FAKE_TIME", "1");
            pb.redirectErrorStream(true);
            Process p;
            try {
                p = pb.start();
            } catch (IOException e) {
                throw new OciException("block rootfs: mke2fs not found (Debian: apt-get install e2fsprogs)", e);
            }
            String log = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            try {
                if (p.waitFor() != 0) throw new OciException("block rootfs: mke2fs failed: " + log.strip());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new java.io.InterruptedIOException("interrupted while making the block rootfs");
            }
            return out;
        }

        /** A ROM blob: a file padded to whole pages, or a tree built as its format. */
        private Descriptor rom(PackRequest.Rom rom) throws IOException {
            Path file;
            if (rom.prebuilt() != null) {
                file = rom.prebuilt();
                if (!Files.isRegularFile(file)) throw new OciException("rom " + rom.name() + ": " + file + ": no such file");
            } else {
                file = tmp.resolve("rom" + files++ + "." + rom.format().id());
                ImageBuild.builder().sources(rom.sources()).format(rom.format()).mtime(MtimePolicy.fixed(0)).owners(Ownership.ROOT)
                        .target(rom.format() == ImageFormat.CPIO ? Target.UNIKRAFT : Target.GENERIC).temporaryDirectory(tmp)
                        .build().writeTo(file);
            }
            long size = Files.size(file);
            long pad = (ROM_ALIGNMENT - size % ROM_ALIGNMENT) % ROM_ALIGNMENT;
            Descriptor d;
            try (InputStream in = padded(Files.newInputStream(file), pad)) {
                d = layout.putBlob(MediaTypes.UNIKRAFT_ROM, in);
            }
            return d.withAnnotations(Map.of(ANNOTATION_TITLE, rom.name()));
        }
    }

    private static InputStream padded(InputStream in, long zeros) {
        return new java.io.SequenceInputStream(in, new InputStream() {
            private long left = zeros;

            @Override
            public int read() {
                if (left <= 0) return -1;
                left--;
                return 0;
            }
        });
    }

}
