package dev.kiln.oci.pack;

import dev.kiln.fs.ImageFormat;
import dev.kiln.fs.build.Source;
import dev.kiln.oci.OciException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * What {@code kiln pack} makes, whichever way it was asked for (flags, a bunnyfile, a
 * Containerfile, a Kraftfile): a kernel, a root filesystem, ROMs, what runs, and each dialect's
 * own fields. {@link Builder#build()} applies the defaults and checks the request the way the
 * consumers would (urunc's annotation rules, kraftkit's ROM rules), naming the field.
 */
public record PackRequest(Set<Dialect> dialects, Path kernel, Rootfs rootfs, List<Rom> roms, List<String> cmd,
                          List<String> entrypoint, List<String> env, SortedMap<String, String> labels, String workingDir,
                          Kraft kraft, Urunc urunc, Long created) {

    /**
     * The root filesystem: a prebuilt image file used as it is, or sources kiln builds into
     * {@code format} (cpio newc or EROFS; for urunc's {@code raw} type, the files themselves).
     */
    public record Rootfs(Path prebuilt, List<Source> sources, ImageFormat format) {
        public Rootfs {
            sources = sources == null ? List.of() : List.copyOf(sources);
            if ((prebuilt == null) == sources.isEmpty()) throw new OciException("rootfs: give either a prebuilt image or sources");
        }
    }

    /**
     * A ROM: a raw blob of media type {@code application/vnd.unikraft.rom.v1}. A file is used as it
     * is, padded with zeros to a multiple of 4096 bytes (what kraftkit requires of ROM files); a
     * directory or other sources are built as {@code format} (EROFS by default).
     */
    public record Rom(String name, Path prebuilt, List<Source> sources, ImageFormat format) {
        public Rom {
            sources = sources == null ? List.of() : List.copyOf(sources);
            if ((prebuilt == null) == sources.isEmpty()) throw new OciException("rom " + name + ": give either a file or sources");
        }

        /**
         * A ROM from a host path, as {@code --rom [NAME=]PATH} and a Kraftfile's {@code roms} give
         * one: a file is used as it is, a directory is built as {@code directoryFormat}. Without a
         * name, the file name up to its first dot names it.
         */
        public static Rom of(String name, Path path, ImageFormat directoryFormat) {
            if (name == null) {
                Path fileName = path.toAbsolutePath().normalize().getFileName();
                String f = fileName == null ? "" : fileName.toString();
                name = f.contains(".") ? f.substring(0, f.indexOf('.')) : f;
            }
            if (!name.matches("[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}")) {
                throw new OciException("rom " + path + ": name \"" + name + "\": letters, digits, '_', '.', '-' (at most 64)");
            }
            if (Files.isDirectory(path)) return new Rom(name, null, List.of(Source.directory(path)), directoryFormat);
            if (!Files.isRegularFile(path)) throw new OciException("rom " + path + ": no such file or directory");
            return new Rom(name, path, null, null);
        }
    }

    /**
     * kraftkit's fields. {@code platform} is the Unikraft platform ({@code qemu}, {@code fc},
     * {@code xen}, {@code kraftcloud}), which kraftkit puts in the config's and the index's
     * {@code os}; {@code architecture} is {@code x86_64} or {@code arm64}; {@code kconfig} holds the
     * {@code CONFIG_X=y} lines for {@code os.features}.
     */
    public record Kraft(String platform, String architecture, String kernelVersion, List<String> kconfig) {
        public Kraft {
            kconfig = kconfig == null ? List.of() : List.copyOf(kconfig);
        }
    }

    /**
     * urunc's fields, written as {@code com.urunc.unikernel.*} annotations, labels and
     * {@code /urunc.json}: the framework ({@code unikernelType}), the monitor
     * ({@code hypervisor}), the kernel's path in the image ({@code binary}), and how the rootfs is
     * given. {@code blockFilesystem} is {@code ext4} or {@code erofs} for a block rootfs.
     */
    public record Urunc(String unikernelType, String hypervisor, String unikernelVersion, String binaryPath, RootfsType rootfsType,
                        String rootfsPath, String blkMntPoint, String blockFilesystem) {}

    public static Builder builder() {
        return new Builder();
    }

    /** Collects a request; {@link #build()} applies defaults and checks it. */
    public static final class Builder {
        private Set<Dialect> dialects = EnumSet.of(Dialect.KRAFT);
        private Path kernel;
        private Path rootfsFile;
        private final List<Source> rootfsSources = new ArrayList<>();
        private ImageFormat rootfsFormat;
        private final List<Rom> roms = new ArrayList<>();
        private List<String> cmd;
        private List<String> entrypoint;
        private final List<String> env = new ArrayList<>();
        private final SortedMap<String, String> labels = new TreeMap<>();
        private String workingDir;
        private String platform;
        private String architecture;
        private String kernelVersion;
        private final List<String> kconfig = new ArrayList<>();
        private String unikernelType;
        private String hypervisor;
        private String unikernelVersion;
        private String binaryPath;
        private RootfsType rootfsType;
        private String rootfsPath;
        private String blkMntPoint;
        private String blockFilesystem;
        private Long created;

        private Builder() {}

        public Builder dialects(Set<Dialect> d) {
            if (d.isEmpty()) throw new OciException("dialect: at least one of kraft, urunc");
            this.dialects = EnumSet.copyOf(d);
            return this;
        }

        public Builder kernel(Path kernel) {
            this.kernel = kernel;
            return this;
        }

        /** A prebuilt initrd or block image, used as it is. */
        public Builder rootfsFile(Path file) {
            this.rootfsFile = file;
            return this;
        }

        /** Sources kiln builds the rootfs from (directories, images, in-memory files), in order. */
        public Builder rootfsSource(Source s) {
            rootfsSources.add(Objects.requireNonNull(s));
            return this;
        }

        /** Forgets the rootfs given so far: what a flag does to the one a spec file gave. */
        public Builder clearRootfs() {
            rootfsFile = null;
            rootfsSources.clear();
            return this;
        }

        /** Forgets the ROMs given so far: what {@code --rom} does to those a spec file gave. */
        public Builder clearRoms() {
            roms.clear();
            return this;
        }

        /** cpio (default) or EROFS, for a rootfs kiln builds. */
        public Builder rootfsFormat(ImageFormat f) {
            this.rootfsFormat = f;
            return this;
        }

        public Builder rom(Rom rom) {
            roms.add(rom);
            return this;
        }

        public Builder cmd(List<String> cmd) {
            this.cmd = cmd == null ? null : List.copyOf(cmd);
            return this;
        }

        public Builder entrypoint(List<String> entrypoint) {
            this.entrypoint = entrypoint == null ? null : List.copyOf(entrypoint);
            return this;
        }

        /** {@code KEY=VALUE}; a later one for the same key replaces the earlier. */
        public Builder env(String keyValue) {
            int eq = keyValue.indexOf('=');
            if (eq <= 0) throw new OciException("env \"" + keyValue + "\": expected KEY=VALUE");
            String key = keyValue.substring(0, eq + 1);
            env.removeIf(e -> e.startsWith(key));
            env.add(keyValue);
            return this;
        }

        public Builder label(String key, String value) {
            labels.put(key, value);
            return this;
        }

        public Builder workingDir(String dir) {
            this.workingDir = dir;
            return this;
        }

        public Builder platform(String p) {
            this.platform = p;
            return this;
        }

        public Builder architecture(String a) {
            this.architecture = a;
            return this;
        }

        public Builder kernelVersion(String v) {
            this.kernelVersion = v;
            return this;
        }

        /**
         * The kernel's KConfig (a {@code .config} file): its {@code CONFIG_X=y} lines become the
         * kraft config's {@code os.features}, sorted, without {@code CONFIG_UK_APP} and
         * {@code CONFIG_UK_BASE} (paths of the build machine), as kraftkit does.
         */
        public Builder kconfig(Path file) throws IOException {
            for (String line : Files.readAllLines(file)) {
                String l = line.strip();
                if (l.isEmpty() || l.startsWith("#") || !l.startsWith("CONFIG_")) continue;
                if (l.startsWith("CONFIG_UK_APP=") || l.startsWith("CONFIG_UK_BASE=")) continue;
                kconfig.add(l);
            }
            return this;
        }

        public Builder unikernelType(String t) {
            this.unikernelType = t;
            return this;
        }

        public Builder hypervisor(String h) {
            this.hypervisor = h;
            return this;
        }

        public Builder unikernelVersion(String v) {
            this.unikernelVersion = v;
            return this;
        }

        public Builder binaryPath(String p) {
            this.binaryPath = p;
            return this;
        }

        public Builder rootfsType(RootfsType t) {
            this.rootfsType = t;
            return this;
        }

        public Builder rootfsPath(String p) {
            this.rootfsPath = p;
            return this;
        }

        public Builder blkMntPoint(String p) {
            this.blkMntPoint = p;
            return this;
        }

        public Builder blockFilesystem(String fs) {
            this.blockFilesystem = fs;
            return this;
        }

        /** Seconds since 1970 for {@code created}; unset, images carry no time (same inputs, same digest). */
        public Builder created(Long epoch) {
            this.created = epoch;
            return this;
        }

        public PackRequest build() {
            boolean kraftToo = dialects.contains(Dialect.KRAFT);
            boolean urunc = dialects.contains(Dialect.URUNC);
            if (kernel == null && roms.isEmpty()) throw new RequestException("kernel", "kernel: none given (an image without a kernel must carry ROMs)");
            if (kernel != null && !Files.isRegularFile(kernel)) throw new RequestException("kernel", "kernel " + kernel + ": no such file");
            if (rootfsFile != null && !rootfsSources.isEmpty()) throw new RequestException("rootfs", "rootfs: give a prebuilt file or sources, not both");
            if (rootfsFile != null && !Files.isRegularFile(rootfsFile)) throw new RequestException("rootfs", "rootfs " + rootfsFile + ": no such file");
            Rootfs rootfs = rootfsFile != null || !rootfsSources.isEmpty()
                    ? new Rootfs(rootfsFile, rootfsSources, rootfsFormat == null ? ImageFormat.CPIO : rootfsFormat) : null;
            if (rootfs != null && rootfs.format() == ImageFormat.TAR) throw new RequestException("rootfsFormat", "rootfs format: cpio or erofs, not tar");
            if (kernel == null && rootfs != null) throw new RequestException("rootfs", "rootfs: an image without a kernel carries ROMs only");
            if (kernel == null && urunc) throw new RequestException("kernel", "kernel: urunc images need one (ROM-only images are a kraft feature)");

            Kraft k = null;
            if (kraftToo) {
                String arch = architecture == null ? "x86_64" : normaliseArch(architecture);
                k = new Kraft(platform == null ? "qemu" : platform, arch, kernelVersion, kconfig.stream().sorted().distinct().toList());
            }
            Urunc u = null;
            if (urunc) {
                String type = unikernelType != null ? unikernelType : kraftToo ? "unikraft" : null;
                if (type == null) throw new RequestException("unikernelType", "unikernelType: required by urunc (unikraft, rumprun, mirage, mewz, linux, hermit)");
                String hv = hypervisor != null ? hypervisor : "qemu";
                RootfsType rt = rootfsType != null ? rootfsType : RootfsType.INITRD;
                if (rootfs == null && rt != RootfsType.INITRD) throw new RequestException("rootfsType", "rootfs type " + rt.id() + ": needs a rootfs");
                // One image for both: the kernel and initrd sit where kraftkit puts them, so the
                // urunc manifest shares those layers with the kraft one.
                String bin = binaryPath != null ? binaryPath : kraftToo ? "/unikraft/bin/kernel" : "/.boot/kernel";
                String rootPath = rootfsPath != null ? rootfsPath : kraftToo && rt == RootfsType.INITRD ? "/unikraft/bin/initrd" : "/.boot/rootfs";
                String mnt = blkMntPoint;
                if (rt == RootfsType.BLOCK && mnt == null) mnt = type.equals("rumprun") ? "/data" : "/";
                String bfs = blockFilesystem != null ? blockFilesystem : type.equals("rumprun") ? "ext2" : "ext4";
                u = new Urunc(type, hv, unikernelVersion, bin, rt, rootfs == null ? null : rootPath, mnt, bfs);
                UruncRules.check(u, rootfs != null);
            }
            Set<String> romNames = new java.util.HashSet<>();
            for (Rom r : roms) if (!romNames.add(r.name())) throw new RequestException("rom", "rom " + r.name() + ": given twice");
            return new PackRequest(EnumSet.copyOf(dialects), kernel, rootfs, List.copyOf(roms), cmd, entrypoint, List.copyOf(env),
                    new TreeMap<>(labels), workingDir, k, u, created);
        }

        /** kraftkit's names: {@code x86_64} (not {@code amd64}) and {@code arm64} (not {@code aarch64}). */
        private static String normaliseArch(String a) {
            return switch (a) {
                case "amd64", "x86_64" -> "x86_64";
                case "arm64", "aarch64" -> "arm64";
                default -> throw new RequestException("architecture", "architecture \"" + a + "\": x86_64 or arm64");
            };
        }
    }
}
