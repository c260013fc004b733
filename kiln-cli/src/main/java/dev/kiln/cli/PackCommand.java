package dev.kiln.cli;

import dev.kiln.fs.ImageFormat;
import dev.kiln.fs.build.MtimePolicy;
import dev.kiln.fs.build.Source;
import dev.kiln.oci.Descriptor;
import dev.kiln.oci.ImageReference;
import dev.kiln.oci.OciException;
import dev.kiln.oci.OciLayout;
import dev.kiln.oci.pack.Dialect;
import dev.kiln.oci.pack.PackRequest;
import dev.kiln.oci.pack.Packer;
import dev.kiln.oci.pack.RootfsType;
import dev.kiln.oci.spec.SpecFile;
import dev.kiln.oci.spec.SpecNote;
import dev.kiln.oci.spec.SpecOptions;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "pack", mixinStandardHelpOptions = true, version = KilnCommand.VERSION, sortOptions = false,
        description = {"Packages a unikernel (kernel, rootfs, ROMs) or ROMs alone as an OCI image.",
                "--dialect kraft: kraftkit / Unikraft Cloud; urunc: what bunny and bunix make; kraft,urunc: one image both run.",
                "-f reads a bunnyfile, a Containerfile or a Kraftfile; flags given with it override what it says.",
                "Arguments after -- become the image's Cmd."})
final class PackCommand implements Callable<Integer> {
    @Option(names = {"-o", "--output"}, required = true, paramLabel = "REF", description = "Where the image goes: oci:DIR[:TAG] (default tag latest).")
    String output;

    @Option(names = {"-f", "--file"}, paramLabel = "FILE", description = "A bunnyfile, Containerfile/Dockerfile or Kraftfile (told apart by name, else by content).")
    Path file;

    @Option(names = "--build-arg", paramLabel = "K=V", description = "A Containerfile ARG's value (repeatable).")
    List<String> buildArgs = new ArrayList<>();

    @Option(names = "--dialect", paramLabel = "D", description = "kraft, urunc or kraft,urunc (default kraft; with -f, what the file is for).")
    String dialect;

    @Option(names = "--kernel", paramLabel = "FILE", description = "The unikernel (or Linux kernel) image.")
    Path kernel;

    @Option(names = "--rootfs", paramLabel = "SOURCE", description = "Builds the rootfs from SOURCE (as kiln build takes them); repeatable, later ones win.")
    List<String> rootfs = new ArrayList<>();

    @Option(names = "--initrd", paramLabel = "FILE", description = "A prebuilt initrd (or block image), used as it is.")
    Path initrd;

    @Option(names = "--rootfs-format", paramLabel = "F", description = "cpio (default) or erofs, for a rootfs kiln builds.")
    String rootfsFormat;

    @Option(names = "--rom", paramLabel = "[NAME=]PATH", description = "A ROM: a file (padded to 4 KiB pages) or a directory (built as --rom-format); repeatable. Without a kernel, a ROM-only image.")
    List<String> roms = new ArrayList<>();

    @Option(names = "--rom-format", paramLabel = "F", defaultValue = "erofs", description = "erofs (default) or cpio, for ROMs built from directories.")
    String romFormat;

    @Option(names = "--plat", paramLabel = "P", description = "kraft: the Unikraft platform (qemu, fc, xen, kraftcloud; default qemu).")
    String platform;

    @Option(names = "--arch", paramLabel = "A", description = "x86_64 (default) or arm64.")
    String arch;

    @Option(names = "--kernel-version", paramLabel = "V", description = "kraft: the Unikraft version (os.version).")
    String kernelVersion;

    @Option(names = "--kconfig", paramLabel = "FILE", description = "kraft: the kernel's .config; its CONFIG_ lines become os.features.")
    Path kconfig;

    @Option(names = "--entrypoint", paramLabel = "ARG", description = "Entrypoint words (repeatable).")
    List<String> entrypoint;

    @Option(names = {"-e", "--env"}, paramLabel = "K=V", description = "An environment variable (repeatable).")
    List<String> env = new ArrayList<>();

    @Option(names = "--label", paramLabel = "K=V", description = "A config label (repeatable).")
    List<String> labels = new ArrayList<>();

    @Option(names = "--workdir", paramLabel = "DIR", description = "WorkingDir.")
    String workdir;

    @Option(names = "--unikernel-type", paramLabel = "T", description = "urunc: unikraft, rumprun, mirage, mewz, linux, hermit (default unikraft with kraft,urunc).")
    String unikernelType;

    @Option(names = "--hypervisor", paramLabel = "H", description = "urunc: qemu (default), firecracker, hvt, spt, cloud-hypervisor, hyperlight.")
    String hypervisor;

    @Option(names = "--unikernel-version", paramLabel = "V", description = "urunc: the framework version.")
    String unikernelVersion;

    @Option(names = "--binary", paramLabel = "PATH", description = "urunc: where the kernel goes in the image (default /.boot/kernel; /unikraft/bin/kernel with kraft,urunc).")
    String binary;

    @Option(names = "--rootfs-type", paramLabel = "T", description = "urunc: initrd (default), raw (the files in the image) or block (an ext4/EROFS image kiln builds).")
    String rootfsType;

    @Option(names = "--rootfs-path", paramLabel = "PATH", description = "urunc: where the initrd or block image goes (default /.boot/rootfs).")
    String rootfsPath;

    @Option(names = "--blk-mnt-point", paramLabel = "PATH", description = "urunc: where the guest mounts a block rootfs (default /, /data for rumprun).")
    String blkMntPoint;

    @Option(names = "--block-fs", paramLabel = "FS", description = "urunc: ext4 (default), ext2 (rumprun) or erofs (linux guests).")
    String blockFs;

    @Parameters(paramLabel = "ARGS", description = "The image's Cmd (after --).")
    List<String> cmd;

    @Override
    public Integer call() throws Exception {
        ImageReference ref = ImageReference.parse(output);
        if (!(ref instanceof ImageReference.OciDirectory(Path dir, String tag))) {
            throw new OciException(output + ": pack writes to an OCI layout (oci:DIR[:TAG]); push it from there");
        }
        PackRequest.Builder b = PackRequest.builder();
        if (file != null) {
            SpecFile spec = SpecFile.read(file, new SpecOptions(buildArgs(), kernel, platform, arch));
            spec.applyTo(b);
            for (SpecNote n : spec.notes()) System.err.println("kiln: " + n);
        } else if (!buildArgs.isEmpty()) {
            throw new OciException("--build-arg: only for a Containerfile given with -f");
        }
        // Flags after the file: each one given replaces what the file said (env and labels per key).
        if (dialect != null) b.dialects(Dialect.parse(dialect));
        if (kernel != null) b.kernel(kernel);
        if (initrd != null || !rootfs.isEmpty()) b.clearRootfs();
        if (initrd != null) b.rootfsFile(initrd);
        for (String s : rootfs) b.rootfsSource(Source.parse(s));
        if (rootfsFormat != null) b.rootfsFormat(ImageFormat.parse(rootfsFormat));
        ImageFormat rf = ImageFormat.parse(romFormat);
        if (!roms.isEmpty()) b.clearRoms();
        for (String r : roms) b.rom(rom(r, rf));
        if (kconfig != null) b.kconfig(kconfig);
        if (platform != null) b.platform(platform);
        if (arch != null) b.architecture(arch);
        if (kernelVersion != null) b.kernelVersion(kernelVersion);
        if (entrypoint != null) b.entrypoint(entrypoint);
        if (cmd != null) b.cmd(cmd);
        if (workdir != null) b.workingDir(workdir);
        for (String e : env) b.env(e);
        for (String l : labels) {
            int eq = l.indexOf('=');
            if (eq <= 0) throw new OciException("--label \"" + l + "\": expected KEY=VALUE");
            b.label(l.substring(0, eq), l.substring(eq + 1));
        }
        if (unikernelType != null) b.unikernelType(unikernelType);
        if (hypervisor != null) b.hypervisor(hypervisor);
        if (unikernelVersion != null) b.unikernelVersion(unikernelVersion);
        if (binary != null) b.binaryPath(binary);
        if (rootfsPath != null) b.rootfsPath(rootfsPath);
        if (blkMntPoint != null) b.blkMntPoint(blkMntPoint);
        if (blockFs != null) b.blockFilesystem(blockFs);
        if (rootfsType != null) b.rootfsType(RootfsType.parse(rootfsType));
        String epoch = System.getenv("SOURCE_DATE_EPOCH");
        if (epoch != null && !epoch.isBlank()) b.created(MtimePolicy.epoch(epoch, "SOURCE_DATE_EPOCH"));
        Packer.Result r = Packer.pack(b.build(), OciLayout.create(dir), tag == null ? "latest" : tag, null);
        System.err.printf("kiln: packed %s (%s", ref, r.index().digest());
        for (Map.Entry<Dialect, Descriptor> e : r.manifests().entrySet()) {
            System.err.printf(", %s %s", e.getKey().name().toLowerCase(), e.getValue().platform());
        }
        System.err.println(")");
        return KilnCommand.OK;
    }

    /** {@code [NAME=]PATH}: a file is used as it is, a directory is built. */
    private static PackRequest.Rom rom(String spec, ImageFormat format) {
        int eq = spec.indexOf('=');
        try {
            return PackRequest.Rom.of(eq > 0 ? spec.substring(0, eq) : null, Path.of(eq > 0 ? spec.substring(eq + 1) : spec), format);
        } catch (OciException e) {
            throw new OciException("--rom " + spec + ": " + e.getMessage(), e);
        }
    }

    private Map<String, String> buildArgs() {
        Map<String, String> out = new LinkedHashMap<>();
        for (String a : buildArgs) {
            int eq = a.indexOf('=');
            if (eq <= 0) throw new OciException("--build-arg \"" + a + "\": expected KEY=VALUE");
            out.put(a.substring(0, eq), a.substring(eq + 1));
        }
        return out;
    }
}
