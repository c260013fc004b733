package dev.kiln.oci.spec;

import dev.kiln.fs.build.Source;
import dev.kiln.oci.pack.Dialect;
import dev.kiln.oci.pack.PackRequest;
import dev.kiln.oci.pack.RootfsType;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * bunny's bunnyfile (API v0.1): a urunc image of a kernel and a rootfs, with bunny's rules and
 * defaults. {@code platforms.framework} is urunc's {@code unikernelType},
 * {@code platforms.monitor} its {@code hypervisor}, {@code platforms.version} its
 * {@code unikernelVersion}; the kernel goes to {@code /.boot/kernel} and an initrd or block rootfs
 * to {@code /.boot/rootfs}, where bunny puts them. Paths are relative to the bunnyfile's directory.
 *
 * <p>Keys outside v0.1 are refused (bunny's YAML decoder would drop them silently): the schema is
 * small and versioned, so an unknown key is a typo or a field of another bunny version, and
 * packing without it would make an image that lacks what the file asks for.
 *
 * <p>Refused for now: {@code from} naming a container image (for the kernel, the rootfs or an
 * include), until kiln can read images as sources.
 */
public final class Bunnyfile extends SpecFile {
    /** The newest API version kiln (and bunny) read. */
    public static final String API_VERSION = "v0.1";
    private static final int[] MAX = {0, 1};
    private static final Pattern VERSION = Pattern.compile("v?(\\d{1,9}(?:\\.\\d{1,9})*)(?:[-+].*)?");
    private static final Set<String> TOP = Set.of("version", "platforms", "rootfs", "kernel", "cmd", "entrypoint", "envs", "cmdline");
    private static final Set<String> PLATFORMS = Set.of("framework", "monitor", "version", "architecture", "arch");
    private static final Set<String> ROOTFS = Set.of("from", "path", "type", "include");
    private static final Set<String> KERNEL = Set.of("from", "path");
    private static final Set<String> INCLUDE = Set.of("from", "source", "destination");
    private static final String STRICT = "a bunnyfile v0.1 has no such field, and kiln does not drop what it cannot read";

    /** A host file or directory placed at {@code destination} in the rootfs. */
    public record Include(Path source, String destination, int line) {}

    private String version;
    private String framework;
    private String monitor;
    private String frameworkVersion;
    private String architecture;
    private Path kernel;
    private Path rootfsFile;
    private RootfsType rootfsType;
    private final List<Include> includes = new ArrayList<>();
    private List<String> cmd;
    private List<String> entrypoint;
    private final List<String> envs = new ArrayList<>();

    private Bunnyfile(Path path) {
        super(path);
    }

    @Override
    public SpecKind kind() {
        return SpecKind.BUNNYFILE;
    }

    public String version() {
        return version;
    }

    /** urunc's unikernelType. */
    public String framework() {
        return framework;
    }

    /** urunc's hypervisor. */
    public String monitor() {
        return monitor;
    }

    public Path kernel() {
        return kernel;
    }

    /** The rootfs type after bunny's defaults; null when the file gives no rootfs. */
    public RootfsType rootfsType() {
        return rootfsType;
    }

    public List<Include> includes() {
        return List.copyOf(includes);
    }

    public List<String> cmd() {
        return cmd;
    }

    @Override
    public void applyTo(PackRequest.Builder b) throws IOException {
        b.dialects(EnumSet.of(Dialect.URUNC)).kernel(kernel).unikernelType(framework).hypervisor(monitor);
        if (frameworkVersion != null) b.unikernelVersion(frameworkVersion);
        if (architecture != null) b.architecture(architecture);
        if (rootfsFile != null) b.rootfsFile(rootfsFile);
        for (Include i : includes) b.rootfsSource(Source.hostPath(i.source(), i.destination()));
        if (rootfsType != null) b.rootfsType(rootfsType);
        if (cmd != null) b.cmd(cmd);
        if (entrypoint != null) b.entrypoint(entrypoint);
        for (String e : envs) b.env(e);
    }

    static Bunnyfile parse(Path file, SpecOptions options) throws IOException {
        Bunnyfile f = new Bunnyfile(file);
        f.read(Yaml.read(file));
        return f;
    }

    private void read(Yaml.Mapping root) {
        Yaml.Fields y = new Yaml.Fields(this);
        Path dir = path().toAbsolutePath().getParent();
        y.keys(root, "", TOP, true, STRICT);

        version = y.string(root.value("version"), "version");
        if (version == null) throw error(0, "version", "required (the bunnyfile API version, " + API_VERSION + ")");
        checkVersion(root.value("version"));

        Yaml.Mapping platforms = y.mapping(root.value("platforms"), "platforms");
        if (platforms == null) throw error(0, "platforms", "required (framework and monitor)");
        y.keys(platforms, "platforms.", PLATFORMS, true, STRICT);
        framework = y.string(platforms.value("framework"), "platforms.framework");
        if (framework == null) throw error(root.get("platforms").line(), "platforms.framework", "required (urunc's unikernelType: unikraft, rumprun, linux...)");
        located("unikernelType", platforms.get("framework").line(), "platforms.framework");
        monitor = y.string(platforms.value("monitor"), "platforms.monitor");
        if (monitor == null) throw error(root.get("platforms").line(), "platforms.monitor", "required (urunc's hypervisor: qemu, firecracker, hvt...)");
        located("hypervisor", platforms.get("monitor").line(), "platforms.monitor");
        frameworkVersion = y.string(platforms.value("version"), "platforms.version");
        String archKey = platforms.get("architecture") != null ? "architecture" : "arch";
        if (platforms.get("architecture") != null && platforms.get("arch") != null) {
            throw error(platforms.get("arch").line(), "platforms.arch", "give architecture or arch (its older name), not both");
        }
        architecture = y.string(platforms.value(archKey), "platforms." + archKey);
        if (architecture != null) {
            int line = platforms.get(archKey).line();
            located("architecture", line, "platforms." + archKey);
            if (!Set.of("amd64", "x86_64", "arm64", "aarch64").contains(architecture)) {
                throw error(line, "platforms." + archKey, "\"" + architecture + "\": amd64 (x86_64) or arm64 (aarch64)");
            }
            if (architecture.equals("arm64") || architecture.equals("aarch64")) {
                note(line, "platforms." + archKey + " " + architecture + ": a urunc-only image is linux/amd64 in kiln for now"
                        + " (bunny ignores this field too); with --dialect kraft,urunc it sets the kraft architecture");
            }
        }

        Yaml.Mapping k = y.mapping(root.value("kernel"), "kernel");
        if (k == null) throw error(0, "kernel", "required (from and path)");
        y.keys(k, "kernel.", KERNEL, true, STRICT);
        String kernelFrom = y.string(k.value("from"), "kernel.from");
        if (kernelFrom == null) throw error(root.get("kernel").line(), "kernel.from", "required (local, or a container image)");
        String kernelPath = y.string(k.value("path"), "kernel.path");
        if (kernelPath == null) throw error(root.get("kernel").line(), "kernel.path", "required (the kernel file)");

        readRootfs(y, root, dir);

        if (!kernelFrom.equals("local")) {
            throw error(k.get("from").line(), "kernel.from", "\"" + kernelFrom + "\": kiln takes the kernel from a local file"
                    + " (from: local) for now; container images as sources are not supported yet");
        }
        int kernelLine = k.get("path").line();
        kernel = dir.resolve(kernelPath).normalize();
        if (!Files.isRegularFile(kernel)) throw error(kernelLine, "kernel.path", kernel + ": no such file");
        located("kernel", kernelLine, "kernel.path");
        located("binary", kernelLine, "kernel.path");

        cmd = y.strings(root.value("cmd"), "cmd");
        entrypoint = y.strings(root.value("entrypoint"), "entrypoint");
        List<String> e = y.strings(root.value("envs"), "envs");
        if (e != null) {
            for (int i = 0; i < e.size(); i++) {
                if (e.get(i).indexOf('=') <= 0) {
                    throw error(((Yaml.Sequence) root.value("envs")).items().get(i).line(), "envs[" + i + "]",
                            "\"" + e.get(i) + "\": expected KEY=VALUE (what goes into the image's Env; bunny's README says KEY:VALUE, but Env needs '=')");
                }
                envs.add(e.get(i));
            }
        }
        String cmdline = y.string(root.value("cmdline"), "cmdline");
        if (cmdline != null) {
            int line = root.get("cmdline").line();
            if (cmd == null || cmd.isEmpty()) {
                cmd = Arrays.stream(cmdline.split(" ")).filter(s -> !s.isEmpty()).toList();
                note(line, "cmdline: deprecated; taken as cmd, split at spaces (as bunny does); write cmd as a list");
            } else {
                note(line, "cmdline: deprecated and ignored, since cmd is given (as bunny does)");
            }
        }
    }

    private void checkVersion(Yaml.Node n) {
        Matcher m = VERSION.matcher(version);
        if (!m.matches()) throw error(n.line(), "version", "\"" + version + "\": not a version (expected " + API_VERSION + ")");
        int[] v = Arrays.stream(m.group(1).split("\\.")).mapToInt(Integer::parseInt).toArray();
        int c = 0;
        for (int i = 0; i < Math.max(v.length, MAX.length) && c == 0; i++) {
            c = Integer.compare(i < v.length ? v[i] : 0, i < MAX.length ? MAX[i] : 0);
        }
        // A pre-release of v0.1 (v0.1-rc1) comes before v0.1, so only a newer number is refused.
        if (c > 0) throw error(n.line(), "version", "\"" + version + "\": kiln reads bunnyfiles up to " + API_VERSION + " (as bunny does)");
    }

    private void readRootfs(Yaml.Fields y, Yaml.Mapping root, Path dir) {
        Yaml.Mapping r = y.mapping(root.value("rootfs"), "rootfs");
        if (r == null) return;
        y.keys(r, "rootfs.", ROOTFS, true, STRICT);
        String from = y.string(r.value("from"), "rootfs.from");
        String path = y.string(r.value("path"), "rootfs.path");
        String type = y.string(r.value("type"), "rootfs.type");
        boolean scratch = from == null || from.equals("scratch");
        boolean local = "local".equals(from);
        int line = root.get("rootfs").line();
        int typeLine = r.get("type") == null ? line : r.get("type").line();
        int fromLine = r.get("from") == null ? line : r.get("from").line();
        RootfsType t = null;
        if (type != null) {
            t = switch (type) {
                case "initrd" -> RootfsType.INITRD;
                case "raw" -> RootfsType.RAW;
                case "block" -> RootfsType.BLOCK;
                default -> throw error(typeLine, "rootfs.type", "\"" + type + "\": initrd, raw or block");
            };
        }
        Yaml.Node inc = r.value("include");
        List<Yaml.Node> items = List.of();
        if (inc != null && !(inc instanceof Yaml.Scalar s && s.text() == null)) {
            if (!(inc instanceof Yaml.Sequence seq)) throw error(inc.line(), "rootfs.include", "expected a list of \"SRC:DST\" strings or {source, destination} mappings");
            items = seq.items();
        }
        int includeLine = r.get("include") == null ? line : r.get("include").line();

        // bunny's rules, in bunny's order, each naming the fields involved.
        if (scratch && path != null) {
            throw error(r.get("path").line(), "rootfs.path", "needs rootfs.from local (a file here) or an image;"
                    + " with from " + (from == null ? "unset (scratch)" : "scratch") + " there is no file to take it from");
        }
        if (path != null && t == RootfsType.RAW) {
            throw error(typeLine, "rootfs.type", "raw cannot be combined with rootfs.path: a raw rootfs is the image's own files, not a file");
        }
        if (local && t == RootfsType.RAW) {
            throw error(typeLine, "rootfs.type", "raw cannot be combined with from: local: a raw rootfs is built from include, not taken from a file");
        }
        if (!items.isEmpty() && local) {
            throw error(includeLine, "rootfs.include", "cannot be combined with from: local (the rootfs is then the file at rootfs.path);"
                    + " drop from to build the rootfs from the included files");
        }
        if (!items.isEmpty() && !scratch && !local && t != RootfsType.RAW) {
            throw error(includeLine, "rootfs.include", "adding files to an existing non-raw rootfs is not supported (bunny refuses it too)");
        }
        if (local && path == null) throw error(fromLine, "rootfs.path", "required with from: local (the rootfs file)");
        boolean unikraft = framework.equals("unikraft");
        if (t != null) {
            Set<RootfsType> ok = unikraft ? EnumSet.of(RootfsType.INITRD, RootfsType.RAW) : EnumSet.allOf(RootfsType.class);
            if (!ok.contains(t)) {
                throw error(typeLine, "rootfs.type", type + ": bunny cannot set a " + type + " rootfs for " + framework + " (it supports initrd and raw)");
            }
        }
        List<Include> incs = new ArrayList<>();
        for (int i = 0; i < items.size(); i++) incs.add(include(y, items.get(i), "rootfs.include[" + i + "]", dir));

        if (!scratch && !local) {
            throw error(fromLine, "rootfs.from", "\"" + from + "\": kiln builds the rootfs from local files (include) or takes"
                    + " a local file (from: local) for now; container images as sources are not supported yet");
        }
        if (local) {
            if (t == null && !unikraft) {
                throw error(line, "rootfs.type", "required with from: local for " + framework + ": bunny would make it raw and leave"
                        + " the file unused; say initrd or block");
            }
            rootfsFile = dir.resolve(path).normalize();
            int pathLine = r.get("path").line();
            if (!Files.isRegularFile(rootfsFile)) throw error(pathLine, "rootfs.path", rootfsFile + ": no such file");
            located("rootfs", pathLine, "rootfs.path");
            rootfsType = t == null ? RootfsType.INITRD : t;
        } else if (!incs.isEmpty()) {
            includes.addAll(incs);
            located("rootfs", includeLine, "rootfs.include");
            rootfsType = t != null ? t : unikraft ? RootfsType.INITRD : RootfsType.RAW;
        } else if (t != null) {
            throw error(typeLine, "rootfs.type", type + ": there is no rootfs to give; add rootfs.include (files) or from: local with rootfs.path");
        }
        for (String f : List.of("rootfsType", "rootfsPath", "blkMntPoint", "blockFilesystem")) located(f, typeLine, "rootfs.type");
    }

    /** {@code "SRC[:DST]"} (DST defaults to SRC) or {@code {from, source, destination}}. */
    private Include include(Yaml.Fields y, Yaml.Node n, String field, Path dir) {
        String src, dst, from = null;
        if (n instanceof Yaml.Scalar s && s.text() != null) {
            int colon = s.text().indexOf(':');
            src = colon < 0 ? s.text() : s.text().substring(0, colon);
            dst = colon < 0 ? "" : s.text().substring(colon + 1);
            if (src.isEmpty()) throw error(n.line(), field, "\"" + s.text() + "\": the part before ':' (the file to include) is empty");
        } else if (n instanceof Yaml.Mapping m) {
            y.keys(m, field + ".", INCLUDE, true, STRICT);
            from = y.string(m.value("from"), field + ".from");
            src = y.string(m.value("source"), field + ".source");
            if (src == null) throw error(n.line(), field + ".source", "required (the file or directory to include)");
            dst = y.string(m.value("destination"), field + ".destination");
            if (dst == null) dst = "";
        } else {
            throw error(n.line(), field, "expected \"SRC:DST\" or {source, destination}, not a " + Yaml.Fields.kind(n));
        }
        if (from != null && !from.equals("local")) {
            throw error(n.line(), field + ".from", "\"" + from + "\": kiln includes local files for now; container images as sources are not supported yet");
        }
        if (dst.isEmpty()) dst = src;
        if (!dst.startsWith("/")) dst = "/" + dst;
        Path source = dir.resolve(src).normalize();
        if (!Files.exists(source, LinkOption.NOFOLLOW_LINKS)) throw error(n.line(), field, source + ": no such file or directory");
        return new Include(source, dst, n.line());
    }
}
