package dev.kiln.oci.spec;

import dev.kiln.fs.EntryPath;
import dev.kiln.fs.ImageFormat;
import dev.kiln.fs.build.Ownership;
import dev.kiln.fs.build.Source;
import dev.kiln.oci.pack.Dialect;
import dev.kiln.oci.pack.PackRequest;
import dev.kiln.oci.pack.RootfsType;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * A Containerfile (Dockerfile) that kiln packs without running anything: {@code FROM scratch},
 * then {@code COPY}/{@code ADD} of local files, {@code ENV}, {@code ARG}, {@code LABEL},
 * {@code CMD}, {@code ENTRYPOINT}, {@code WORKDIR} and {@code SHELL}, read with Docker's rules
 * (line continuations, comments, parser directives, quoting and variable substitution). The
 * build context is the Containerfile's directory.
 *
 * <p>It makes a urunc image, with bunny's conventions: the {@code com.urunc.unikernel.*} labels
 * say what urunc needs, and a missing {@code unikernelType} is {@code linux}, a missing
 * {@code hypervisor} {@code qemu}. The kernel is the file a {@code COPY} puts, on its own, at the
 * path the {@code binary} label names (or the caller's {@code --kernel}). The other files make
 * the rootfs: with an {@code initrd} or {@code block} label naming a path no {@code COPY} fills,
 * kiln builds that initrd or block image from them; with the label naming a {@code COPY}'d file,
 * that file is the prebuilt rootfs; with neither, they are the image's own files ({@code raw},
 * {@code mountRootfs=true}), unless {@code mountRootfs} is {@code false}.
 *
 * <p>Refused, each with its reason: {@code RUN} (kiln executes nothing), a base image or a second
 * stage, URLs in {@code ADD}, heredocs, and instructions whose result kiln's image config does
 * not carry ({@code USER}, {@code EXPOSE}, {@code VOLUME}...). Unknown instructions are refused,
 * as Docker refuses them.
 */
public final class Containerfile extends SpecFile {
    public static final String URUNC = "com.urunc.unikernel.";
    private static final Set<String> URUNC_KEYS = Set.of("unikernelType", "hypervisor", "binary", "unikernelVersion", "initrd", "block",
            "blkMntPoint", "mountRootfs", "useDMBlock", "cmdline");
    private static final Pattern DIRECTIVE = Pattern.compile("#\\s*([a-zA-Z][a-zA-Z0-9]*)\\s*=\\s*(.+?)\\s*");
    private static final Pattern URL = Pattern.compile("[a-zA-Z][a-zA-Z0-9+.-]*://.*|git@.*");
    private static final JsonMapper JSON = JsonMapper.builder().build();
    /** What BuildKit gives a declared ARG of these names; kiln's urunc images are linux/amd64. */
    private static final Map<String, String> PLATFORM_ARGS = Map.of("TARGETPLATFORM", "linux/amd64", "TARGETOS", "linux",
            "TARGETARCH", "amd64", "TARGETVARIANT", "", "BUILDPLATFORM", "linux/amd64", "BUILDOS", "linux", "BUILDARCH", "amd64",
            "BUILDVARIANT", "");

    /** One instruction after continuations are joined: its keyword (upper case), its arguments, its first line. */
    record Instruction(String keyword, String args, int line) {}

    /** One source of a COPY or ADD; {@code file} and {@code at} are set when it is a single regular file (a kernel or rootfs candidate). */
    private record Placed(Source source, Path file, String at, int line) {}

    private final Path context;
    private final SpecOptions options;
    private char escape = '\\';
    private boolean from;
    private final Map<String, String> globalArgs = new HashMap<>();
    private final Map<String, String> args = new HashMap<>();
    private final Set<String> declared = new HashSet<>();
    private final LinkedHashMap<String, String> env = new LinkedHashMap<>();
    private final LinkedHashMap<String, String> labels = new LinkedHashMap<>();
    private final Map<String, Integer> labelLines = new HashMap<>();
    private List<String> cmd;
    private List<String> entrypoint;
    private String workdir;
    private List<String> shell = List.of("/bin/sh", "-c");
    private final List<Placed> placed = new ArrayList<>();

    // What the labels and COPYs amount to, for applyTo.
    private Path kernel;
    private String unikernelType = "linux";
    private String hypervisor = "qemu";
    private String unikernelVersion;
    private String binary;
    private Path rootfsFile;
    private final List<Source> rootfsSources = new ArrayList<>();
    private RootfsType rootfsType;
    private String rootfsPath;
    private String blkMntPoint;

    private Containerfile(Path path, SpecOptions options) {
        super(path);
        this.context = path.toAbsolutePath().getParent();
        this.options = options;
    }

    @Override
    public SpecKind kind() {
        return SpecKind.CONTAINERFILE;
    }

    /** The build context: the Containerfile's directory. */
    public Path context() {
        return context;
    }

    /** The image's Env, in order. */
    public List<String> env() {
        return env.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue()).toList();
    }

    /** Labels other than urunc's keys (those become the request's urunc fields). */
    public Map<String, String> labels() {
        Map<String, String> out = new LinkedHashMap<>(labels);
        out.keySet().removeIf(k -> k.startsWith(URUNC));
        return out;
    }

    public List<String> cmd() {
        return cmd;
    }

    public List<String> entrypoint() {
        return entrypoint;
    }

    /** The kernel: the COPY'd file at the {@code binary} label's path, or the caller's. */
    public Path kernel() {
        return kernel;
    }

    @Override
    public void applyTo(PackRequest.Builder b) {
        b.dialects(EnumSet.of(Dialect.URUNC)).kernel(kernel).unikernelType(unikernelType).hypervisor(hypervisor);
        if (unikernelVersion != null) b.unikernelVersion(unikernelVersion);
        if (binary != null) b.binaryPath(binary);
        if (rootfsFile != null) b.rootfsFile(rootfsFile);
        for (Source s : rootfsSources) b.rootfsSource(s);
        if (rootfsType != null) b.rootfsType(rootfsType);
        if (rootfsPath != null) b.rootfsPath(rootfsPath);
        if (blkMntPoint != null) b.blkMntPoint(blkMntPoint);
        if (cmd != null) b.cmd(cmd);
        if (entrypoint != null) b.entrypoint(entrypoint);
        for (String e : env()) b.env(e);
        labels().forEach(b::label);
        if (workdir != null) b.workingDir(workdir);
    }

    static Containerfile parse(Path file, SpecOptions options) throws IOException {
        Containerfile c = new Containerfile(file, options);
        for (Instruction i : c.instructions(Files.readAllLines(file, StandardCharsets.UTF_8))) c.dispatch(i);
        if (!c.from) throw c.error(0, "FROM", "none: a Containerfile starts with FROM scratch");
        c.finish();
        return c;
    }

    /** Lines to instructions: parser directives first, comments dropped, continuations joined. */
    List<Instruction> instructions(List<String> lines) {
        List<Instruction> out = new ArrayList<>();
        boolean directives = true;
        StringBuilder cur = null;
        int start = 0;
        for (int n = 0; n < lines.size(); n++) {
            String line = lines.get(n);
            if (directives) {
                Matcher m = DIRECTIVE.matcher(line);
                if (m.matches()) {
                    String key = m.group(1).toLowerCase(Locale.ROOT);
                    if (key.equals("escape")) {
                        if (!m.group(2).equals("\\") && !m.group(2).equals("`")) throw error(n + 1, "escape", "\"" + m.group(2) + "\": \\ or `");
                        escape = m.group(2).charAt(0);
                        continue;
                    }
                    // syntax= names a BuildKit frontend (bunny's, say), check= configures lints: neither changes what kiln reads.
                    if (key.equals("syntax") || key.equals("check")) continue;
                }
                directives = false;
            }
            String s = line.strip();
            // Docker drops comment and blank lines, also inside a continued instruction.
            if (s.startsWith("#") || s.isEmpty()) continue;
            if (cur == null) {
                cur = new StringBuilder();
                start = n + 1;
            }
            String t = line.stripTrailing();
            if (t.endsWith(String.valueOf(escape))) {
                cur.append(t, 0, t.length() - 1);
                continue;
            }
            cur.append(line);
            out.add(split(cur.toString(), start));
            cur = null;
        }
        if (cur != null) out.add(split(cur.toString(), start));
        return out;
    }

    private static Instruction split(String text, int line) {
        String s = text.strip();
        int sp = 0;
        while (sp < s.length() && !Character.isWhitespace(s.charAt(sp))) sp++;
        return new Instruction(s.substring(0, sp).toUpperCase(Locale.ROOT), s.substring(sp).strip(), line);
    }

    private void dispatch(Instruction i) throws IOException {
        if (!from && !i.keyword().equals("FROM") && !i.keyword().equals("ARG")) {
            throw error(i.line(), i.keyword(), "comes before FROM; only ARG may");
        }
        try {
            switch (i.keyword()) {
                case "FROM" -> from(i);
                case "ARG" -> arg(i);
                case "ENV" -> env(i);
                case "LABEL" -> label(i);
                case "COPY" -> copy(i, false);
                case "ADD" -> copy(i, true);
                case "CMD" -> cmd = command(i);
                case "ENTRYPOINT" -> entrypoint = command(i);
                case "WORKDIR" -> workdir(i);
                case "SHELL" -> shell(i);
                case "RUN" -> throw error(i.line(), "RUN", "kiln builds images without executing anything (there is no container runtime"
                        + " in a pack); build what RUN would make beforehand and COPY the result (a prebuilt binary, a directory)");
                case "MAINTAINER" -> throw error(i.line(), "MAINTAINER", "deprecated by Docker; use LABEL org.opencontainers.image.authors=...");
                case "USER", "EXPOSE", "VOLUME", "STOPSIGNAL", "HEALTHCHECK", "ONBUILD" -> throw error(i.line(), i.keyword(),
                        "not supported: the image config kiln writes carries Entrypoint, Cmd, Env, WorkingDir and Labels only");
                default -> throw error(i.line(), i.keyword(), "unknown instruction");
            }
        } catch (IllegalArgumentException e) {
            throw error(i.line(), i.keyword(), e.getMessage());
        }
    }

    private DockerWords words() {
        return new DockerWords(escape, name -> {
            if (!from) return globalArgs.get(name);
            String v = env.get(name);
            return v != null ? v : args.get(name);
        });
    }

    private void from(Instruction i) {
        if (from) throw error(i.line(), "FROM", "a second FROM: multi-stage builds are not supported (one FROM scratch)");
        List<String> w = new ArrayList<>(Arrays.asList(i.args().split("\\s+")));
        if (i.args().isEmpty()) throw error(i.line(), "FROM", "names no image");
        if (w.getFirst().startsWith("--")) {
            throw error(i.line(), "FROM", w.getFirst() + ": not supported (kiln packs scratch images for the platform the dialect says)");
        }
        String image = words().word(w.getFirst()); // with the ARGs declared before FROM
        from = true;
        if (w.size() != 1 && !(w.size() == 3 && w.get(1).equalsIgnoreCase("AS"))) {
            throw error(i.line(), "FROM", "expected FROM scratch [AS NAME]");
        }
        if (!image.equals("scratch")) {
            throw error(i.line(), "FROM", image + ": a base image is not supported yet (container images as sources are being added);"
                    + " start FROM scratch and COPY the files");
        }
    }

    private void arg(Instruction i) {
        DockerWords w = words();
        List<String> raw = w.rawWords(i.args());
        if (raw.isEmpty()) throw error(i.line(), "ARG", "names no argument");
        for (String r : raw) {
            int eq = w.equalsSign(r);
            String name = eq < 0 ? r : r.substring(0, eq);
            if (!name.matches("[A-Za-z_][A-Za-z0-9_]*")) throw error(i.line(), "ARG", "\"" + name + "\": not a variable name");
            String dflt = eq < 0 ? null : w.word(r.substring(eq + 1));
            declared.add(name);
            String value = options.buildArgs().containsKey(name) ? options.buildArgs().get(name)
                    : dflt != null ? dflt
                    : from && globalArgs.containsKey(name) ? globalArgs.get(name)
                    : PLATFORM_ARGS.get(name);
            (from ? args : globalArgs).put(name, value);
        }
    }

    /** {@code K=V ...} pairs, or the legacy {@code K V} (the rest of the line is the value); all substituted against the state before. */
    private LinkedHashMap<String, String> pairs(Instruction i) {
        DockerWords w = words();
        List<String> raw = w.rawWords(i.args());
        if (raw.isEmpty()) throw error(i.line(), i.keyword(), "gives nothing");
        LinkedHashMap<String, String> out = new LinkedHashMap<>();
        if (w.equalsSign(raw.getFirst()) < 0) {
            String rest = i.args().substring(raw.getFirst().length()).strip();
            if (rest.isEmpty()) throw error(i.line(), i.keyword(), raw.getFirst() + ": no value (write " + raw.getFirst() + "=VALUE)");
            out.put(w.word(raw.getFirst()), w.word(rest));
            return out;
        }
        for (String r : raw) {
            int eq = w.equalsSign(r);
            if (eq < 0) throw error(i.line(), i.keyword(), "\"" + r + "\": expected KEY=VALUE (the legacy KEY VALUE form takes one pair)");
            String key = w.word(r.substring(0, eq));
            if (key.isEmpty()) throw error(i.line(), i.keyword(), "\"" + r + "\": empty key");
            out.put(key, w.word(r.substring(eq + 1)));
        }
        return out;
    }

    private void env(Instruction i) {
        for (Map.Entry<String, String> e : pairs(i).entrySet()) {
            env.remove(e.getKey());
            env.put(e.getKey(), e.getValue());
        }
    }

    private void label(Instruction i) {
        for (Map.Entry<String, String> e : pairs(i).entrySet()) {
            if (e.getKey().startsWith(URUNC) && !URUNC_KEYS.contains(e.getKey().substring(URUNC.length()))) {
                throw error(i.line(), "LABEL " + e.getKey(), "kiln does not write this urunc key (it writes "
                        + String.join(", ", new TreeSet<>(URUNC_KEYS)) + ")");
            }
            labels.remove(e.getKey());
            labels.put(e.getKey(), e.getValue());
            labelLines.put(e.getKey(), i.line());
        }
    }

    /** The exec form (a JSON array) as it is; the shell form as the SHELL (default /bin/sh -c) runs it, as Docker does. */
    private List<String> command(Instruction i) {
        List<String> exec = json(i.args());
        if (exec != null) return exec;
        if (i.args().isEmpty()) throw error(i.line(), i.keyword(), "gives no command");
        List<String> out = new ArrayList<>(shell);
        out.add(i.args());
        return out;
    }

    private void shell(Instruction i) {
        List<String> s = json(i.args());
        if (s == null || s.isEmpty()) throw error(i.line(), "SHELL", "expected a JSON array, [\"/bin/sh\", \"-c\"]");
        shell = s;
    }

    /** A JSON array of strings, or null when the text is not one (then it is the shell form). */
    private static List<String> json(String s) {
        if (!s.startsWith("[")) return null;
        try {
            JsonNode n = JSON.readTree(s);
            if (!n.isArray()) return null;
            List<String> out = new ArrayList<>();
            for (JsonNode e : n) {
                if (!e.isString()) return null;
                out.add(e.asString());
            }
            return out;
        } catch (RuntimeException e) {
            return null;
        }
    }

    private void workdir(Instruction i) {
        String d = words().word(i.args());
        if (d.isEmpty()) throw error(i.line(), "WORKDIR", "names no directory");
        workdir = clean(d.startsWith("/") ? d : (workdir == null ? "/" : workdir) + "/" + d);
    }

    private void copy(Instruction i, boolean add) throws IOException {
        String kw = add ? "ADD" : "COPY";
        String rest = i.args();
        Ownership chown = null;
        Integer chmod = null;
        while (rest.startsWith("--")) {
            int sp = 0;
            while (sp < rest.length() && !Character.isWhitespace(rest.charAt(sp))) sp++;
            String flag = rest.substring(0, sp);
            rest = rest.substring(sp).strip();
            int eq = flag.indexOf('=');
            String name = eq < 0 ? flag : flag.substring(0, eq);
            String value = eq < 0 ? "" : words().word(flag.substring(eq + 1));
            switch (name) {
                case "--chown" -> chown = chown(i, kw, value);
                case "--chmod" -> {
                    if (!value.matches("[0-7]{1,4}")) throw error(i.line(), kw + " --chmod", "\"" + value + "\": an octal mode (0755)");
                    chmod = Integer.parseInt(value, 8);
                }
                case "--link" -> {} // how BuildKit stores the layer; the files are the same
                case "--from" -> throw error(i.line(), kw + " --from", "copying from another stage or an image is not supported"
                        + " (one FROM scratch; container images as sources are being added)");
                default -> throw error(i.line(), kw + " " + name, "not supported (kiln reads --chown, --chmod and --link)");
            }
        }
        List<String> parts = json(rest);
        if (parts == null) parts = Arrays.stream(rest.split("\\s+")).filter(w -> !w.isEmpty()).toList();
        parts = parts.stream().map(words()::word).toList();
        if (parts.size() < 2) throw error(i.line(), kw, "expected SOURCE... DEST");
        if (parts.stream().anyMatch(p -> p.startsWith("<<"))) throw error(i.line(), kw, "heredocs are not supported; put the text in a file and COPY it");
        String dest = parts.getLast();
        if (!dest.startsWith("/")) dest = (workdir == null ? "/" : workdir + "/") + dest;
        boolean dirDest = dest.endsWith("/") || dest.endsWith("/.");
        dest = clean(dest) + (dirDest && !clean(dest).equals("/") ? "/" : "");
        List<Path> sources = new ArrayList<>();
        for (String s : parts.subList(0, parts.size() - 1)) {
            if (URL.matcher(s).matches()) {
                throw error(i.line(), kw, s + ": " + (add ? "kiln fetches nothing (packing needs no network); download it beforehand and COPY the file"
                        : "COPY takes local files; a URL is not a source"));
            }
            sources.addAll(sources(i, kw, s));
        }
        if (sources.size() > 1 && !dest.endsWith("/")) {
            throw error(i.line(), kw, "with more than one source the destination must be a directory ending in '/' (" + dest + ")");
        }
        for (Path p : sources) {
            boolean dir = Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS);
            if (add && !dir && Files.isRegularFile(p) && ImageFormat.detect(p).orElse(null) == ImageFormat.TAR) {
                // ADD unpacks a local tar archive into the destination directory, as Docker does.
                placed.add(new Placed(CopySource.archive(p, EntryPath.parse(dest), chown, chmod), null, null, i.line()));
                continue;
            }
            String at = dest.endsWith("/") && !dir ? dest + p.getFileName() : dest;
            Source s = chown == null && chmod == null ? Source.hostPath(p, dest) : CopySource.host(p, dest, EntryPath.parse(at), chown, chmod);
            boolean single = Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS);
            placed.add(new Placed(s, single ? p : null, single ? clean(at) : null, i.line()));
        }
    }

    private Ownership chown(Instruction i, String kw, String v) {
        Matcher m = Pattern.compile("(\\d{1,10})(?::(\\d{1,10}))?").matcher(v);
        if (!m.matches()) {
            throw error(i.line(), kw + " --chown", "\"" + v + "\": give numbers (UID or UID:GID); names need the /etc/passwd of a base image");
        }
        long uid = Long.parseLong(m.group(1));
        long gid = m.group(2) == null ? uid : Long.parseLong(m.group(2));
        if (uid > 0xFFFFFFFFL || gid > 0xFFFFFFFFL) throw error(i.line(), kw + " --chown", "\"" + v + "\": ids are 0..4294967295");
        return new Ownership.Fixed(uid, gid);
    }

    /** A source in the context: a path, or a pattern with *, ? or [...] matched per name as Docker matches it. */
    private List<Path> sources(Instruction i, String kw, String s) throws IOException {
        String rel = s.startsWith("/") ? s.substring(1) : s;
        Path p = context.resolve(rel.isEmpty() ? "." : rel).normalize();
        if (!p.startsWith(context)) throw error(i.line(), kw, s + ": outside the build context (" + context + ")");
        if (!rel.matches(".*[*?\\[].*")) {
            if (!Files.exists(p, LinkOption.NOFOLLOW_LINKS)) throw error(i.line(), kw, s + ": no such file or directory in " + context);
            return List.of(p);
        }
        String glob = rel.replace("{", "\\{").replace("}", "\\}");
        PathMatcher m = FileSystems.getDefault().getPathMatcher("glob:" + glob);
        int depth = rel.split("/").length;
        List<Path> out;
        try (Stream<Path> walk = Files.walk(context, depth)) {
            out = walk.filter(f -> !f.equals(context) && m.matches(context.relativize(f))).sorted().toList();
        }
        if (out.isEmpty()) throw error(i.line(), kw, s + ": matches no file in " + context);
        return out;
    }

    /** Go's path.Clean for absolute paths: no //, /./ or trailing /; .. resolved. */
    static String clean(String p) {
        Deque<String> parts = new ArrayDeque<>();
        for (String c : p.split("/")) {
            if (c.isEmpty() || c.equals(".")) continue;
            if (c.equals("..")) {
                if (!parts.isEmpty()) parts.removeLast();
            } else {
                parts.addLast(c);
            }
        }
        return "/" + String.join("/", parts);
    }

    /** bunny's label conventions turned into the request's urunc fields; see the class comment. */
    private void finish() {
        Set<String> unused = new TreeSet<>(options.buildArgs().keySet());
        unused.removeAll(declared);
        if (!unused.isEmpty()) note(0, "build arguments not declared by any ARG, so unused: " + String.join(", ", unused));
        if (Files.exists(context.resolve(".dockerignore"))) note(0, ".dockerignore: not read; kiln copies what COPY and ADD name");

        String type = urunc("unikernelType");
        if (type != null) unikernelType = type;
        String hv = urunc("hypervisor");
        if (hv != null) hypervisor = hv;
        int typeLine = line("unikernelType", line("hypervisor", 0));
        located("unikernelType", typeLine, type != null ? label("unikernelType") : "LABEL " + URUNC + "hypervisor (unikernelType linux by default)");
        located("hypervisor", line("hypervisor", typeLine), label("hypervisor"));
        unikernelVersion = urunc("unikernelVersion");

        binary = urunc("binary");
        Placed k = binary == null ? null : take(binary);
        kernel = options.kernel() != null ? options.kernel() : k != null ? k.file() : null;
        if (kernel == null) {
            if (binary != null) {
                throw error(line("binary", 0), label("binary"), binary + ": no COPY puts a file there on its own; COPY the kernel file"
                        + " to " + binary + " (or pass --kernel)");
            }
            throw error(0, label("binary"), "not set, so there is no kernel: COPY the kernel and LABEL " + URUNC + "binary=ITS_PATH"
                    + " (or pass --kernel); bunny would fetch a stock Linux kernel image, and kiln fetches nothing");
        }
        located("kernel", k != null ? k.line() : line("binary", 0), k != null ? "COPY" : label("binary"));
        located("binary", line("binary", 0), label("binary"));

        String initrd = urunc("initrd"), block = urunc("block");
        Boolean mount = bool("mountRootfs");
        Boolean dm = bool("useDMBlock");
        if (mount != null && dm != null && !mount.equals(dm)) {
            throw error(line("useDMBlock", 0), label("useDMBlock"), "says " + dm + " while mountRootfs says " + mount + " (they are one setting)");
        }
        if (mount == null) mount = dm;
        if (initrd != null && block != null) throw error(line("block", 0), label("block"), "give initrd or block, not both");
        blkMntPoint = urunc("blkMntPoint");
        String rootLabel = initrd != null ? "initrd" : block != null ? "block" : null;
        if (rootLabel != null) {
            if (Boolean.TRUE.equals(mount)) {
                throw error(line(rootLabel, 0), label(rootLabel), "cannot be combined with mountRootfs=true: the guest gets one rootfs");
            }
            rootfsType = initrd != null ? RootfsType.INITRD : RootfsType.BLOCK;
            rootfsPath = initrd != null ? initrd : block;
            Placed prebuilt = take(rootfsPath);
            if (prebuilt != null) {
                rootfsFile = prebuilt.file();
                if (!placed.isEmpty()) {
                    throw error(placed.getFirst().line(), "COPY", "files besides the kernel and the " + rootLabel + " " + rootfsPath
                            + " have nowhere to go: urunc gives the guest only the " + rootLabel + "; put them in it, or drop the label"
                            + " to let kiln build the " + rootLabel + " from them");
                }
            } else {
                if (placed.isEmpty()) {
                    throw error(line(rootLabel, 0), label(rootLabel), rootfsPath + ": no COPY puts a file there, and nothing is COPY'd"
                            + " to build the " + rootLabel + " from");
                }
            }
            located("rootfs", line(rootLabel, 0), label(rootLabel));
            for (String f : List.of("rootfsType", "rootfsPath", "blockFilesystem")) located(f, line(rootLabel, 0), label(rootLabel));
            located("blkMntPoint", line("blkMntPoint", line(rootLabel, 0)), label("blkMntPoint"));
        } else if (Boolean.FALSE.equals(mount)) {
            if (!placed.isEmpty()) {
                throw error(placed.getFirst().line(), "COPY", "files besides the kernel, with mountRootfs=false and no initrd or block"
                        + " label: the guest would never see them; drop mountRootfs=false to hand them over as the rootfs");
            }
        } else if (!placed.isEmpty()) {
            rootfsType = RootfsType.RAW;
            located("rootfs", placed.getFirst().line(), "COPY");
            located("rootfsType", line("mountRootfs", placed.getFirst().line()), mount == null ? "COPY" : label("mountRootfs"));
        } else if (Boolean.TRUE.equals(mount)) {
            throw error(line("mountRootfs", 0), label("mountRootfs"), "true, but nothing besides the kernel is COPY'd to hand over");
        }
        if (blkMntPoint != null && rootfsType != RootfsType.BLOCK) {
            throw error(line("blkMntPoint", 0), label("blkMntPoint"), "applies to a block rootfs; there is no block label");
        }
        for (Placed p : placed) rootfsSources.add(p.source());

        String cmdline = urunc("cmdline");
        if (cmdline != null) {
            if (cmd == null && entrypoint == null) {
                cmd = Arrays.stream(cmdline.split(" ")).filter(s -> !s.isEmpty()).toList();
                note(line("cmdline", 0), label("cmdline") + ": taken as CMD, split at spaces (as bunny does); write CMD instead");
            } else {
                note(line("cmdline", 0), label("cmdline") + ": ignored, since CMD or ENTRYPOINT is given (kiln writes cmdline from them)");
            }
        }
    }

    /** Removes and returns the last COPY that put one regular file at {@code path}, or null. */
    private Placed take(String path) {
        String want = clean(path);
        for (int n = placed.size() - 1; n >= 0; n--) {
            if (want.equals(placed.get(n).at())) return placed.remove(n);
        }
        return null;
    }

    private String urunc(String key) {
        String v = labels.get(URUNC + key);
        return v == null || v.isEmpty() ? null : v;
    }

    private Boolean bool(String key) {
        String v = urunc(key);
        if (v == null) return null;
        return switch (v) {
            case "true" -> true;
            case "false" -> false;
            default -> throw error(line(key, 0), label(key), "\"" + v + "\": true or false");
        };
    }

    private int line(String key, int otherwise) {
        return labelLines.getOrDefault(URUNC + key, otherwise);
    }

    private static String label(String key) {
        return "LABEL " + URUNC + key;
    }
}
