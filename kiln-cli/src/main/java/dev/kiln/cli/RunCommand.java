package dev.kiln.cli;

import dev.kiln.fs.KilnException;
import dev.kiln.fs.build.Source;
import dev.kiln.oci.ImageReference;
import dev.kiln.oci.OciLayout;
import dev.kiln.oci.pack.PackRequest;
import dev.kiln.oci.pack.Packer;
import dev.kiln.platform.image.ImageCatalog;
import dev.kiln.platform.instance.Instance;
import dev.kiln.platform.instance.InstanceRuntime;
import dev.kiln.platform.instance.InstanceService;
import dev.kiln.platform.instance.InstanceSpec;
import dev.kiln.platform.instance.InstanceState;
import dev.kiln.platform.Platform;
import dev.kiln.platform.instance.InstanceSpec.RomSpec;
import dev.kiln.platform.volume.VolumeService;
import dev.kiln.platform.instance.RestartPolicy;
import dev.kiln.platform.store.JdbcStore;
import dev.kiln.platform.vmm.ConsoleLog;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "run", mixinStandardHelpOptions = true, version = KilnCommand.VERSION, sortOptions = false,
        description = {"Runs one unikernel in the foreground, as kraft run does: the console on stdout, the guest's exit code as kiln's.",
                "IMAGE is oci:DIR[:TAG] (a kraft-dialect image); KERNEL a kernel file, with --initrd FILE or --rootfs SOURCE.",
                "The same platform code as kiln serve, without a server; Ctrl-C stops the guest and cleans up.",
                "Example: kiln run --rootfs ./rootfs.cpio -v ./html:/nginx/html KERNEL"})
final class RunCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "IMAGE|KERNEL") String what;
    @Parameters(index = "1..*", paramLabel = "ARGS") List<String> args = new ArrayList<>();
    @Option(names = "--initrd", paramLabel = "FILE") Path initrd;
    @Option(names = "--rootfs", paramLabel = "SOURCE", description = "Builds the initrd from SOURCE (as kiln build takes them); repeatable.") List<String> rootfs = new ArrayList<>();
    @Option(names = {"-m", "--memory"}, paramLabel = "MiB", description = "Guest memory (default: what the initrd needs, at least 128).") Integer memory;
    @Option(names = {"-e", "--env"}, paramLabel = "K=V") List<String> env = new ArrayList<>();
    @Option(names = "--guest", paramLabel = "KIND", defaultValue = "unikraft", description = "For a KERNEL: unikraft (default) or linux.") String guest;
    @Option(names = {"-v", "--volume"}, paramLabel = "HOSTDIR:/PATH[:ro]",
            description = "Shares a host directory with the guest over 9p at PATH (read-only with :ro); repeatable.") List<String> volumes = new ArrayList<>();
    @Option(names = "--rom", paramLabel = "NAME=SOURCE[,at=PATH]",
            description = {"Attaches a ROM: SOURCE is a file (attached as it is), a directory (built into EROFS) or an image (oci:DIR[:TAG],",
                    "docker://…); with at=PATH its files are also in place at PATH when the guest starts; repeatable."}) List<String> roms = new ArrayList<>();

    @Override
    public Integer call() throws Exception {
        Path data = Files.createTempDirectory("kiln-run-");
        Thread cleanup = new Thread(() -> deleteQuietly(data), "kiln-run-cleanup");
        Runtime.getRuntime().addShutdownHook(cleanup);
        try (JdbcStore store = JdbcStore.sqlite(data.resolve("kiln.db"))) {
            Platform.Services platform = Platform.Services.open(data, store, Set.of());
            ImageCatalog images = platform.images();
            String image = image(images);
            InstanceService service = platform.instances();
            InstanceRuntime runtime = platform.runtime();
            List<InstanceSpec.RomSpec> romSpecs = new ArrayList<>();
            for (String r : roms) romSpecs.add(rom(images.layout(), r));
            List<InstanceSpec.VolumeSpec> volumeSpecs = new ArrayList<>();
            for (String v : volumes) volumeSpecs.add(volume(platform, v, volumeSpecs.size()));
            TreeMap<String, String> e = new TreeMap<>();
            for (String kv : env) {
                int eq = kv.indexOf('=');
                if (eq <= 0) throw new KilnException("--env \"" + kv + "\": expected KEY=VALUE");
                e.put(kv.substring(0, eq), kv.substring(eq + 1));
            }
            Instance i = service.create(new InstanceSpec("run", image, memory, 1, args, e, RestartPolicy.NEVER, Set.of(), false, null, List.of(),
                    romSpecs, volumeSpecs));
            // Ctrl-C: the guest is stopped (not left behind) before the JVM goes.
            Thread stopper = new Thread(() -> runtime.close(false), "kiln-run-stop");
            Runtime.getRuntime().addShutdownHook(stopper);
            runtime.start(i, false);
            long offset = 0;
            PrintStream out = System.out;
            while (true) {
                InstanceRuntime.Waited w = runtime.await(i.uuid(), InstanceState.STOPPED, 50);
                ConsoleLog.Chunk c = runtime.log(i, offset, 1 << 20);
                if (c.data().length > 0) {
                    out.write(c.data());
                    out.flush();
                    offset = c.range().end();
                }
                if (w.reached() && c.data().length == 0) {
                    Runtime.getRuntime().removeShutdownHook(stopper);
                    Instance done = w.instance();
                    runtime.close(false);
                    return done.exitCode() != null ? done.exitCode() : 0;
                }
            }
        } finally {
            Runtime.getRuntime().removeShutdownHook(cleanup);
            deleteQuietly(data);
        }
    }

    /** The image reference in the run's own store: an oci: image copied in, or one packed from a kernel. */
    private String image(ImageCatalog images) throws Exception {
        OciLayout store = images.layout();
        if (what.startsWith("oci:")) {
            copyImage(what, store, "run:latest");
            return "run:latest";
        }
        Path kernel = Path.of(what);
        if (!Files.isRegularFile(kernel)) throw new KilnException(what + ": no such kernel file or oci: image");
        PackRequest.Builder b = PackRequest.builder().kernel(kernel).label(ImageCatalog.GUEST_LABEL, guest);
        if (initrd != null) b.rootfsFile(initrd);
        for (String s : rootfs) b.rootfsSource(Source.parse(s));
        if (guest.equals("linux")) b.rootfsFormat(dev.kiln.fs.ImageFormat.CPIO);
        Packer.pack(b.build(), store, "run:latest", null);
        return "run:latest";
    }

    /**
     * {@code NAME=SOURCE[,at=PATH]}: a file or directory is packed as a ROM image into the run's
     * own store (a directory built into EROFS in-process), an oci: image copied in, a docker://
     * one left for the platform to pull.
     */
    private RomSpec rom(OciLayout store, String arg) throws Exception {
        AttachArgs.Rom a = AttachArgs.Rom.parse("--rom", "NAME=SOURCE[,at=PATH]", arg);
        String name = a.name(), rest = a.source(), at = a.at();
        String ref = "rom-" + name.toLowerCase(java.util.Locale.ROOT) + ":latest";
        if (rest.startsWith("docker://")) return new RomSpec(name, at, rest, null);
        if (rest.startsWith("oci:")) {
            copyImage(rest, store, ref);
            return new RomSpec(name, at, ref, null);
        }
        Path p = Path.of(rest);
        if (!Files.exists(p)) throw new KilnException("--rom " + arg + ": " + rest + " is no file, directory or image reference");
        PackRequest r = PackRequest.builder().rom(PackRequest.Rom.of(name, p, dev.kiln.fs.ImageFormat.EROFS)).build();
        Packer.pack(r, store, ref, null);
        return new RomSpec(name, at, ref, null);
    }

    /** Copies the image {@code ref} (oci:DIR[:TAG]) into the run's store as {@code as}. */
    private static void copyImage(String ref, OciLayout store, String as) throws Exception {
        if (!(ImageReference.parse(ref) instanceof ImageReference.OciDirectory(Path dir, String tag))) throw new KilnException(ref + ": not an OCI layout reference");
        OciLayout src = OciLayout.open(dir);
        var top = OciRefs.top(src, tag, ref);
        var in = dev.kiln.oci.Inspection.of(src, top);
        for (var m : in.manifests()) {
            copy(src, store, m.descriptor());
            copy(src, store, m.manifest().config());
            for (var l : m.manifest().layers()) copy(src, store, l);
        }
        copy(src, store, top);
        store.tag(as, top);
    }

    /** {@code HOSTDIR:/PATH[:ro]}: the host directory as a host_path volume of the run. */
    private static InstanceSpec.VolumeSpec volume(Platform.Services platform, String arg, int index) throws Exception {
        AttachArgs.Mount m = AttachArgs.Mount.parse("-v", "HOSTDIR:/PATH[:ro]", arg);
        Path host = Path.of(m.source()).toAbsolutePath().normalize();
        if (!Files.isDirectory(host)) throw new KilnException("-v " + arg + ": " + m.source() + " is not a directory");
        String name = "v" + index;
        platform.volumes().create(new VolumeService.Spec(name, null, null, host.toString()));
        return new InstanceSpec.VolumeSpec(null, name, null, null, m.at(), m.readonly());
    }

    private static void copy(OciLayout from, OciLayout to, dev.kiln.oci.Descriptor d) throws java.io.IOException {
        if (to.hasBlob(d.digest())) return;
        try (var in = from.openBlob(d)) {
            to.putBlob(d, in);
        }
    }

    private static void deleteQuietly(Path dir) {
        try {
            dev.kiln.oci.Directories.deleteTree(dir);
        } catch (java.io.IOException ignored) {
            // a temporary directory that could not be removed is left for the system's cleaner
        }
    }
}
