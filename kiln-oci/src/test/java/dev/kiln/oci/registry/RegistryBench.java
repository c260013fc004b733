package dev.kiln.oci.registry;

import dev.kiln.oci.Descriptor;
import dev.kiln.oci.ImageConfig;
import dev.kiln.oci.ImageReference;
import dev.kiln.oci.Manifest;
import dev.kiln.oci.MediaTypes;
import dev.kiln.oci.OciException;
import dev.kiln.oci.OciJson;
import dev.kiln.oci.OciLayout;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.zip.Deflater;
import java.util.zip.GZIPOutputStream;

/**
 * What bench/registry.sh runs on kiln's side, one operation per JVM as the CLI will:
 * <pre>
 *   image DIR MB LAYERS          an image of LAYERS random layers, MB in all, tagged "bench"
 *   push DIR docker://HOST/REPO:TAG
 *   pull docker://HOST/REPO:TAG DIR
 *   train DIR docker://HOST/REPO:TAG OUT   a push then a pull, for a JDK AOT cache (-XX:AOTCacheOutput)
 * </pre>
 * The layers are gzip streams of stored blocks: skopeo would gzip plain layers on the way (CPU
 * work kiln does not do, and new digests), so both tools move the same bytes.
 */
public final class RegistryBench {
    private RegistryBench() {}

    public static void main(String[] args) throws Exception {
        try {
            switch (args.length > 0 ? args[0] : "") {
                case "image" -> image(Path.of(args[1]), Integer.parseInt(args[2]), Integer.parseInt(args[3]));
                case "push" -> push(Path.of(args[1]), ref(args[2]));
                case "pull" -> pull(ref(args[1]), Path.of(args[2]));
                case "train" -> {
                    push(Path.of(args[1]), ref(args[2]));
                    pull(ref(args[2]), Path.of(args[3]));
                }
                default -> {
                    System.err.println("usage: RegistryBench image DIR MB LAYERS | push DIR docker://… | pull docker://… DIR | train DIR docker://… OUT");
                    System.exit(2);
                }
            }
        } catch (OciException e) {
            System.err.println("RegistryBench: " + e.getMessage());
            System.exit(1);
        }
    }

    private static ImageReference.Registry ref(String s) {
        if (!(ImageReference.parse(s) instanceof ImageReference.Registry r)) throw new OciException(s + ": not a docker:// reference");
        return r;
    }

    /** The defaults, or -Dbench.parallelism / -Dbench.chunk (MiB) to try others. */
    private static RegistryClient.Options options() {
        RegistryClient.Options o = RegistryClient.Options.defaults();
        String p = System.getProperty("bench.parallelism"), c = System.getProperty("bench.chunk");
        if (p != null) o = o.withParallelism(Integer.parseInt(p));
        if (c != null) o = o.withChunkSize(Long.parseLong(c) << 20);
        return o;
    }

    private static RegistryClient client() {
        return RegistryClient.create(RegistryClient.Config.defaults().withCredentials(CredentialStore.none()).withInsecure(true));
    }

    private static void push(Path dir, ImageReference.Registry dst) throws IOException {
        phase("main");
        OciLayout layout = OciLayout.open(dir);
        Descriptor top = layout.resolve("bench").orElseThrow(() -> new OciException(dir + ": no image tagged bench"));
        phase("layout read (JSON)");
        try (RegistryClient c = client(); ProgressBar bar = ProgressBar.forTerminal("push")) {
            phase("client made");
            c.push(layout, top, dst, options().withProgress(bar));
            phase("pushed");
        }
    }

    private static void pull(ImageReference.Registry src, Path dir) throws IOException {
        phase("main");
        OciLayout layout = OciLayout.create(dir);
        phase("layout made (JSON)");
        try (RegistryClient c = client(); ProgressBar bar = ProgressBar.forTerminal("pull")) {
            phase("client made");
            c.pull(src, layout, src.tag(), options().withProgress(bar));
            phase("pulled");
        }
    }

    /** With -Dbench.timeline=true: the JVM's uptime at each phase, on stderr, to see where a run's time goes. */
    private static void phase(String name) {
        if (Boolean.getBoolean("bench.timeline")) {
            System.err.printf("%6d ms  %s%n", java.lang.management.ManagementFactory.getRuntimeMXBean().getUptime(), name);
        }
    }

    private static void image(Path dir, int megabytes, int count) throws IOException {
        OciLayout layout = OciLayout.create(dir);
        long each = (long) megabytes * 1_000_000 / count;
        List<Descriptor> layers = new ArrayList<>();
        byte[] buf = new byte[1 << 20];
        for (int i = 0; i < count; i++) {
            SplittableRandom random = new SplittableRandom(1000 + i);
            Path tmp = Files.createTempFile(dir, ".layer", ".tmp");
            try {
                try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(tmp), 1 << 16) {
                    {
                        def.setLevel(Deflater.NO_COMPRESSION);
                    }
                }) {
                    for (long left = each; left > 0; ) {
                        int n = (int) Math.min(buf.length, left);
                        random.nextBytes(buf);
                        out.write(buf, 0, n);
                        left -= n;
                    }
                }
                try (var in = Files.newInputStream(tmp)) {
                    layers.add(layout.putBlob(MediaTypes.OCI_LAYER_GZIP, in));
                }
            } finally {
                Files.deleteIfExists(tmp);
            }
        }
        // diff_ids name the gzip blobs rather than the tars inside: neither tool checks them in a copy
        ImageConfig config = new ImageConfig("amd64", "linux", null, null, null, null, List.of("/bench"), null, null, null, null, null,
                layers.stream().map(Descriptor::digest).toList());
        Descriptor c = layout.putBlob(MediaTypes.OCI_CONFIG, OciJson.encode(config));
        Descriptor m = layout.putBlob(MediaTypes.OCI_MANIFEST, OciJson.encode(new Manifest(MediaTypes.OCI_MANIFEST, null, c, layers, null)));
        layout.tag("bench", m);
        System.out.println(m.digest());
    }
}
