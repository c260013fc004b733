package dev.kiln.oci.spec;

import dev.kiln.fs.ImageFormat;
import dev.kiln.fs.build.Source;
import dev.kiln.oci.pack.Dialect;
import dev.kiln.oci.pack.PackRequest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * kraftkit's Kraftfile (spec v0.6 and v0.7) as {@code kraft pkg} reads it: a kraft image of the
 * kernel the build made (the caller's {@code --kernel}; a Kraftfile never names it), the rootfs
 * and ROMs, {@code cmd}, {@code env} and {@code labels}, for one target. Paths are relative to
 * the Kraftfile's directory.
 *
 * <p>Keys kraftkit reads for the build ({@code unikraft}, {@code libraries}, {@code outdir}) are
 * skipped: the kernel is built by then. Unknown keys are noted, not refused, because kraftkit's
 * schema admits additional keys and a Kraftfile is shared with tools that may know more.
 * {@code volumes} are read and checked and kept in {@link #volumes()}, not in the image: they are
 * mounted by {@code kraft run}, and {@code kraft pkg} leaves them out too. {@code template} is not
 * followed (noted). {@code runtime} (a prebuilt kernel image) and rootfs from a Dockerfile or a
 * container image are refused for now.
 */
public final class Kraftfile extends SpecFile {
    private static final Set<String> TOP = Set.of("spec", "specification", "name", "outdir", "unikraft", "libraries", "targets",
            "template", "runtime", "cmd", "env", "labels", "rootfs", "roms", "volumes");
    private static final Set<String> FS = Set.of("source", "format", "type");
    private static final Set<String> TARGET = Set.of("plat", "platform", "arch", "architecture", "kconfig", "name");
    private static final Set<String> VOLUME = Set.of("driver", "source", "destination", "mode", "readonly");
    private static final Pattern SPEC = Pattern.compile("v?0\\.([67])(?:\\.0)?");
    private static final Pattern LABEL_KEY = Pattern.compile("[a-zA-Z0-9._/-]+");

    /** A build target: kraft's platform ({@code qemu}, {@code fc}, {@code xen}...) and architecture ({@code x86_64}, {@code arm64}). */
    public record Target(String platform, String architecture, int line) {
        @Override
        public String toString() {
            return platform + "/" + architecture;
        }
    }

    /** A runtime mount {@code kraft run} makes; kept as the Kraftfile says it, not packed. */
    public record Volume(String source, String destination, String driver, boolean readonly, int line) {}

    private int minor;
    private String name;
    private final List<Target> targets = new ArrayList<>();
    private Target target;
    private final List<Volume> volumes = new ArrayList<>();
    private Path kernel;
    private Path rootfsFile;
    private final List<Source> rootfsSources = new ArrayList<>();
    private ImageFormat rootfsFormat;
    private final List<PackRequest.Rom> roms = new ArrayList<>();
    private List<String> cmd;
    private final List<String> env = new ArrayList<>();
    private final Map<String, String> labels = new LinkedHashMap<>();

    private Kraftfile(Path path) {
        super(path);
    }

    @Override
    public SpecKind kind() {
        return SpecKind.KRAFTFILE;
    }

    /** {@code v0.6} or {@code v0.7}. */
    public String spec() {
        return "v0." + minor;
    }

    /** The application's name; kiln names the image by {@code -o}, so it is only reported. */
    public Optional<String> name() {
        return Optional.ofNullable(name);
    }

    public List<Target> targets() {
        return List.copyOf(targets);
    }

    /** The target packed: the one the caller's platform/architecture chose, or the first. */
    public Target target() {
        return target;
    }

    public List<Volume> volumes() {
        return List.copyOf(volumes);
    }

    @Override
    public void applyTo(PackRequest.Builder b) {
        b.dialects(EnumSet.of(Dialect.KRAFT)).kernel(kernel).platform(target.platform()).architecture(target.architecture());
        if (rootfsFile != null) b.rootfsFile(rootfsFile);
        for (Source s : rootfsSources) b.rootfsSource(s);
        if (rootfsFormat != null) b.rootfsFormat(rootfsFormat);
        for (PackRequest.Rom r : roms) b.rom(r);
        if (cmd != null) b.cmd(cmd);
        for (String e : env) b.env(e);
        labels.forEach(b::label);
    }

    static Kraftfile parse(Path file, SpecOptions options) throws IOException {
        Kraftfile k = new Kraftfile(file);
        k.read(Yaml.read(file), options);
        return k;
    }

    private void read(Yaml.Mapping root, SpecOptions options) throws IOException {
        Yaml.Fields y = new Yaml.Fields(this);
        Path dir = path().toAbsolutePath().getParent();
        y.keys(root, "", TOP, false, null);

        Yaml.Entry spec = root.get("spec"), specification = root.get("specification");
        if (spec != null && specification != null) {
            throw error(specification.line(), "specification", "give spec or specification, not both");
        }
        Yaml.Entry s = spec != null ? spec : specification;
        if (s == null) throw error(0, "spec", "required (v0.6 or v0.7)");
        String version = y.string(s.value(), s.key());
        var m = version == null ? null : SPEC.matcher(version);
        if (m == null || !m.matches()) {
            throw error(s.line(), s.key(), "\"" + version + "\": kiln reads Kraftfile spec v0.6 and v0.7"
                    + " (v0.5 has no rootfs, cmd or env to pack)");
        }
        minor = Integer.parseInt(m.group(1));
        name = y.string(root.value("name"), "name");

        Yaml.Entry runtime = root.get("runtime");
        if (runtime != null) {
            throw error(runtime.line(), "runtime", "a prebuilt kernel from a container image is not supported yet;"
                    + " pass the kernel file with --kernel and drop runtime");
        }
        Yaml.Entry template = root.get("template");
        if (template != null) {
            note(template.line(), "template: not followed (kiln reads this Kraftfile alone); anything the template would add is not packed");
        }

        readTargets(y, root.get("targets"), options);
        readRootfs(y, root.get("rootfs"), dir);
        readRoms(y, root.get("roms"), dir);
        readCmd(y, root.get("cmd"));
        readEnv(y, root.get("env"));
        readLabels(y, root.get("labels"));
        readVolumes(y, root.get("volumes"));

        kernel = options.kernel();
        if (kernel == null && (rootfsFile != null || !rootfsSources.isEmpty() || roms.isEmpty())) {
            throw error(0, "kernel", "a Kraftfile names no kernel (kraft builds it): pass the built kernel with --kernel"
                    + (roms.isEmpty() ? "" : ", or drop rootfs for a ROM-only image"));
        }
    }

    private void readTargets(Yaml.Fields y, Yaml.Entry e, SpecOptions options) {
        if (e != null && e.value() instanceof Yaml.Sequence seq) {
            for (int i = 0; i < seq.items().size(); i++) {
                Yaml.Node n = seq.items().get(i);
                String field = "targets[" + i + "]";
                String plat, arch;
                if (n instanceof Yaml.Scalar sc && sc.text() != null) {
                    String[] parts = sc.text().split("/", -1);
                    if (parts.length != 2 || parts[0].isEmpty() || parts[1].isEmpty()) {
                        throw error(n.line(), field, "\"" + sc.text() + "\": expected PLAT/ARCH (qemu/x86_64)");
                    }
                    plat = parts[0];
                    arch = parts[1];
                } else if (n instanceof Yaml.Mapping tm) {
                    y.keys(tm, field + ".", TARGET, false, null);
                    plat = either(y, tm, field, "plat", "platform");
                    arch = either(y, tm, field, "arch", "architecture");
                    if (plat == null || arch == null) throw error(n.line(), field, "needs plat and arch");
                } else {
                    throw error(n.line(), field, "expected PLAT/ARCH or {plat, arch}, not a " + Yaml.Fields.kind(n));
                }
                targets.add(new Target(platform(plat), architecture(n.line(), field, arch), n.line()));
            }
        } else if (e != null && !(e.value() instanceof Yaml.Scalar sc && sc.text() == null)) {
            throw error(e.line(), "targets", "expected a list of PLAT/ARCH or {plat, arch}");
        }
        String wantPlat = options.platform() == null ? null : platform(options.platform());
        String wantArch = options.architecture() == null ? null : architecture(0, "--arch", options.architecture());
        if (targets.isEmpty()) {
            target = new Target(wantPlat == null ? "qemu" : wantPlat, wantArch == null ? "x86_64" : wantArch, e == null ? 0 : e.line());
            return;
        }
        List<Target> fit = targets.stream()
                .filter(t -> (wantPlat == null || t.platform().equals(wantPlat)) && (wantArch == null || t.architecture().equals(wantArch)))
                .toList();
        if (fit.isEmpty()) {
            throw error(e.line(), "targets", "none is " + (wantPlat == null ? "*" : wantPlat) + "/" + (wantArch == null ? "*" : wantArch)
                    + " (the file has " + String.join(", ", targets.stream().map(Target::toString).toList()) + ")");
        }
        target = fit.getFirst();
        if (fit.size() > 1) {
            note(target.line(), "targets: packing " + target + ", the first of " + fit.size() + " that fit; kiln packs one target per run"
                    + " (--plat and --arch choose another)");
        }
        located("architecture", target.line(), "targets");
    }

    private String either(Yaml.Fields y, Yaml.Mapping m, String field, String a, String b) {
        if (m.get(a) != null && m.get(b) != null) throw error(m.get(b).line(), field + "." + b, "give " + a + " or " + b + ", not both");
        return m.get(a) != null ? y.string(m.value(a), field + "." + a) : y.string(m.value(b), field + "." + b);
    }

    /** kraftkit's platform names; {@code firecracker} is {@code fc} in images. */
    private static String platform(String p) {
        String l = p.toLowerCase(Locale.ROOT);
        return l.equals("firecracker") ? "fc" : l;
    }

    private String architecture(int line, String field, String a) {
        return switch (a.toLowerCase(Locale.ROOT)) {
            case "x86_64", "amd64" -> "x86_64";
            case "arm64", "aarch64" -> "arm64";
            default -> throw error(line, field, "architecture \"" + a + "\": x86_64 or arm64");
        };
    }

    private void readRootfs(Yaml.Fields y, Yaml.Entry e, Path dir) throws IOException {
        if (e == null || e.value() instanceof Yaml.Scalar sc && sc.text() == null) return;
        Yaml.Node n = e.value();
        if (n instanceof Yaml.Sequence seq) {
            if (seq.items().size() != 1) throw error(e.line(), "rootfs", "a list of " + seq.items().size() + " filesystems: give one rootfs");
            n = seq.items().getFirst();
        }
        Fs fs = fs(y, n, "rootfs", dir);
        located("rootfs", n.line(), "rootfs");
        located("rootfsFormat", n.line(), "rootfs");
        switch (fs.resolve(this, ImageFormat.CPIO)) {
            case Resolved.Prebuilt p -> rootfsFile = p.file();
            case Resolved.Built b -> {
                rootfsSources.add(b.source());
                rootfsFormat = b.format();
            }
        }
    }

    private void readRoms(Yaml.Fields y, Yaml.Entry e, Path dir) throws IOException {
        if (e == null || e.value() instanceof Yaml.Scalar sc && sc.text() == null) return;
        if (!(e.value() instanceof Yaml.Sequence seq)) throw error(e.line(), "roms", "expected a list of paths or {source, format, type}");
        located("rom", e.line(), "roms");
        for (int i = 0; i < seq.items().size(); i++) {
            Yaml.Node n = seq.items().get(i);
            Fs fs = fs(y, n, "roms[" + i + "]", dir);
            try {
                roms.add(switch (fs.resolve(this, ImageFormat.CPIO)) {
                    case Resolved.Prebuilt p -> PackRequest.Rom.of(null, p.file(), null);
                    case Resolved.Built b when b.directory() -> PackRequest.Rom.of(null, fs.path(), b.format());
                    case Resolved.Built b -> new PackRequest.Rom(PackRequest.Rom.of(null, fs.path(), b.format()).name(), null,
                            List.of(b.source()), b.format());
                });
            } catch (SpecException x) {
                throw x;
            } catch (RuntimeException x) {
                throw error(n.line(), "roms[" + i + "]", x.getMessage());
            }
        }
    }

    /** A filesystem entry: {@code PATH} or {@code {source, format, type}}. */
    private record Fs(Path path, String given, ImageFormat format, String type, String field, int line) {
        Resolved resolve(Kraftfile k, ImageFormat defaultFormat) throws IOException {
            if ("oci".equals(type) || !Files.exists(path, LinkOption.NOFOLLOW_LINKS) && looksLikeImage(given)) {
                throw k.error(line, field, "\"" + given + "\": a container image as a filesystem source is not supported yet;"
                        + " give a directory, a tarball, or a cpio/EROFS file");
            }
            if ("dockerfile".equals(type) || type == null && Files.isRegularFile(path)
                    && path.getFileName().toString().toLowerCase(Locale.ROOT).contains("dockerfile")) {
                throw k.error(line, field, "\"" + given + "\": kraft builds this Dockerfile with BuildKit, and kiln runs no builds;"
                        + " build the files beforehand and give their directory (or pack a COPY-only Dockerfile with kiln pack -f)");
            }
            if (!Files.exists(path, LinkOption.NOFOLLOW_LINKS)) throw k.error(line, field, path + ": no such file or directory");
            if (Files.isDirectory(path)) {
                if (type != null && !type.equals("dir")) throw k.error(line, field, "type " + type + ": " + path + " is a directory");
                return new Resolved.Built(Source.directory(path), format != null ? format : defaultFormat, true);
            }
            if (!Files.isRegularFile(path)) throw k.error(line, field, path + ": not a regular file or directory");
            if ("dir".equals(type)) throw k.error(line, field, "type dir: " + path + " is a file");
            Optional<ImageFormat> detected = ImageFormat.detect(path);
            if (type != null && !type.equals("file")) {
                ImageFormat want = switch (type) {
                    case "cpio" -> ImageFormat.CPIO;
                    case "erofs" -> ImageFormat.EROFS;
                    case "tarball" -> ImageFormat.TAR;
                    default -> throw k.error(line, field, "type \"" + type + "\": oci, dir, file, tarball, cpio, erofs or dockerfile");
                };
                if (detected.orElse(null) != want) {
                    throw k.error(line, field, "type " + type + ": " + path + " is " + detected.map(f -> "a " + f.id() + " image").orElse("not one"));
                }
            }
            if ("file".equals(type) || detected.isEmpty()) {
                if (format != null) throw k.error(line, field, "format " + format.id() + ": " + path + " is not a directory or an image kiln can convert");
                return new Resolved.Prebuilt(path);
            }
            ImageFormat is = detected.get();
            if (is != ImageFormat.TAR && (format == null || format == is)) return new Resolved.Prebuilt(path);
            return new Resolved.Built(Source.image(path), format != null ? format : defaultFormat, false);
        }

        /** Not a path that exists, and shaped like {@code registry/name:tag}: an image reference. */
        private static boolean looksLikeImage(String s) {
            return !s.startsWith(".") && !s.startsWith("/") && (s.contains(":") || s.contains("@"));
        }
    }

    private sealed interface Resolved {
        record Prebuilt(Path file) implements Resolved {}

        record Built(Source source, ImageFormat format, boolean directory) implements Resolved {}
    }

    private Fs fs(Yaml.Fields y, Yaml.Node n, String field, Path dir) {
        if (n instanceof Yaml.Scalar sc && sc.text() != null) return new Fs(dir.resolve(sc.text()).normalize(), sc.text(), null, null, field, n.line());
        if (!(n instanceof Yaml.Mapping m)) throw error(n.line(), field, "expected a path or {source, format, type}, not a " + Yaml.Fields.kind(n));
        y.keys(m, field + ".", FS, false, null);
        String source;
        Yaml.Node src = m.value("source");
        if (src instanceof Yaml.Mapping sm) {
            if (sm.get("dockerfile") != null) {
                throw error(sm.get("dockerfile").line(), field + ".source.dockerfile", "kraft builds this Dockerfile with BuildKit, and kiln runs no builds;"
                        + " build the files beforehand and give their directory");
            }
            source = y.string(sm.value("path"), field + ".source.path");
        } else {
            source = y.string(src, field + ".source");
        }
        if (source == null) throw error(n.line(), field + ".source", "required");
        String format = y.string(m.value("format"), field + ".format");
        String type = y.string(m.value("type"), field + ".type");
        // In v0.6, type was the output format; v0.7 moved that to format and made type the source's kind.
        if (minor == 6 && format == null && ("cpio".equals(type) || "erofs".equals(type))) {
            format = type;
            type = null;
        }
        ImageFormat f = null;
        if (format != null) {
            f = switch (format) {
                case "cpio" -> ImageFormat.CPIO;
                case "erofs" -> ImageFormat.EROFS;
                default -> throw error(m.get("format").line(), field + ".format", "\"" + format + "\": cpio or erofs");
            };
        }
        return new Fs(dir.resolve(source).normalize(), source, f, type, field, n.line());
    }

    private void readCmd(Yaml.Fields y, Yaml.Entry e) {
        if (e == null) return;
        if (e.value() instanceof Yaml.Scalar sc) {
            if (sc.text() == null) return;
            try {
                cmd = ShellWords.split(sc.text());
            } catch (IllegalArgumentException x) {
                throw error(e.line(), "cmd", x.getMessage());
            }
        } else {
            cmd = y.strings(e.value(), "cmd");
        }
    }

    private void readEnv(Yaml.Fields y, Yaml.Entry e) {
        if (e == null) return;
        for (Map.Entry<String, Pair> kv : pairs(y, e, "env").entrySet()) {
            if (kv.getValue().value() == null) {
                throw error(kv.getValue().line(), "env." + kv.getKey(), "no value: kraft would take it from the environment of whoever"
                        + " builds, which kiln does not do (the image would depend on who made it); give KEY=VALUE");
            }
            env.add(kv.getKey() + "=" + kv.getValue().value());
        }
    }

    private void readLabels(Yaml.Fields y, Yaml.Entry e) {
        if (e == null) return;
        for (Map.Entry<String, Pair> kv : pairs(y, e, "labels").entrySet()) {
            if (!LABEL_KEY.matcher(kv.getKey()).matches()) {
                throw error(kv.getValue().line(), "labels." + kv.getKey(), "a label key is letters, digits, '.', '_', '/' and '-'");
            }
            labels.put(kv.getKey(), kv.getValue().value() == null ? "" : kv.getValue().value());
        }
    }

    private record Pair(String value, int line) {}

    /** A list of {@code KEY=VALUE} ({@code KEY} alone: no value) or a mapping; in order, later keys replacing earlier. */
    private Map<String, Pair> pairs(Yaml.Fields y, Yaml.Entry e, String field) {
        Map<String, Pair> out = new LinkedHashMap<>();
        switch (e.value()) {
            case Yaml.Scalar sc when sc.text() == null -> {}
            case Yaml.Sequence seq -> {
                for (int i = 0; i < seq.items().size(); i++) {
                    Yaml.Node n = seq.items().get(i);
                    String s = y.string(n, field + "[" + i + "]");
                    if (s == null) continue;
                    int eq = s.indexOf('=');
                    if (eq == 0) throw error(n.line(), field + "[" + i + "]", "\"" + s + "\": empty key");
                    out.remove(eq < 0 ? s : s.substring(0, eq));
                    out.put(eq < 0 ? s : s.substring(0, eq), new Pair(eq < 0 ? null : s.substring(eq + 1), n.line()));
                }
            }
            case Yaml.Mapping m -> {
                for (Yaml.Entry kv : m.entries().values()) {
                    if (!(kv.value() instanceof Yaml.Scalar sc)) throw error(kv.line(), field + "." + kv.key(), "expected a string, not a " + Yaml.Fields.kind(kv.value()));
                    out.put(kv.key(), new Pair(sc.text(), kv.line()));
                }
            }
            default -> throw error(e.line(), field, "expected a list of KEY=VALUE or a mapping");
        }
        return out;
    }

    private void readVolumes(Yaml.Fields y, Yaml.Entry e) {
        if (e == null) return;
        List<Yaml.Node> items = switch (e.value()) {
            case Yaml.Scalar sc when sc.text() == null -> List.of();
            case Yaml.Scalar sc -> List.of(sc);
            case Yaml.Sequence seq -> seq.items();
            default -> throw error(e.line(), "volumes", "expected SRC:DST, a list of them, or {source, destination}");
        };
        for (int i = 0; i < items.size(); i++) {
            Yaml.Node n = items.get(i);
            String field = "volumes[" + i + "]";
            Volume v;
            if (n instanceof Yaml.Scalar sc && sc.text() != null) {
                String[] parts = sc.text().split(":", -1);
                if (parts.length > 3 || parts[0].isEmpty()) throw error(n.line(), field, "\"" + sc.text() + "\": expected SRC[:DST[:ro]]");
                String dst = parts.length > 1 ? parts[1] : "/";
                boolean ro = false;
                if (parts.length == 3) {
                    if (!parts[2].equals("ro") && !parts[2].equals("rw")) throw error(n.line(), field, "mode \"" + parts[2] + "\": ro or rw");
                    ro = parts[2].equals("ro");
                }
                v = new Volume(parts[0], dst, null, ro, n.line());
            } else if (n instanceof Yaml.Mapping m) {
                y.keys(m, field + ".", VOLUME, false, null);
                String src = y.string(m.value("source"), field + ".source");
                String dst = y.string(m.value("destination"), field + ".destination");
                String ro = y.string(m.value("readonly"), field + ".readonly");
                if (ro != null && !ro.equals("true") && !ro.equals("false")) throw error(m.get("readonly").line(), field + ".readonly", "true or false");
                String mode = y.string(m.value("mode"), field + ".mode");
                v = new Volume(src, dst == null ? "/" : dst, y.string(m.value("driver"), field + ".driver"),
                        "true".equals(ro) || "ro".equals(mode), n.line());
            } else {
                throw error(n.line(), field, "expected SRC:DST or {source, destination}, not a " + Yaml.Fields.kind(n));
            }
            if (!v.destination().startsWith("/")) throw error(n.line(), field, "destination \"" + v.destination() + "\": must be absolute");
            volumes.add(v);
        }
        if (!volumes.isEmpty()) {
            note(e.line(), "volumes: read and kept out of the image, as kraft pkg does (kraft run mounts them)");
        }
    }
}
