package dev.kiln.cli;

import dev.kiln.fs.Entry;
import dev.kiln.fs.EntryPath;
import dev.kiln.fs.KilnException;
import dev.kiln.fs.Metadata;
import dev.kiln.fs.Node;
import dev.kiln.fs.Tree;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "ls", mixinStandardHelpOptions = true, version = KilnCommand.VERSION, description = "Lists the entries of an image (or a directory).")
final class LsCommand implements Callable<Integer> {
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm").withZone(ZoneOffset.UTC);

    @Parameters(index = "0", paramLabel = "IMAGE")
    String image;

    @Parameters(index = "1", arity = "0..1", paramLabel = "PATH", description = "A directory or entry inside the image (default: /).")
    String path;

    @Option(names = "-l", description = "Long format: mode, owner, size, mtime (UTC), name.")
    boolean longFormat;

    @Option(names = "-R", description = "Recursive: every entry below PATH, as full paths.")
    boolean recursive;

    @Option(names = "--json", description = "One JSON array of entries.")
    boolean json;

    @Override
    public Integer call() throws Exception {
        try (Tree tree = Inputs.open(image)) {
            return list(tree);
        }
    }

    private int list(Tree tree) {
        EntryPath at = path == null ? EntryPath.ROOT : EntryPath.parse(path);
        Node top = tree.get(at).orElseThrow(() -> new KilnException(at.display() + ": no such entry in " + image));
        List<Entry> selected = new ArrayList<>();
        for (Entry e : tree.entries()) {
            if (!e.path().startsWith(at)) continue;
            boolean self = e.path().equals(at);
            if (top instanceof Node.Directory) {
                if (self) continue;
                if (!recursive && !at.equals(e.path().parent())) continue;
            } else if (!self) {
                continue;
            }
            selected.add(e);
        }
        if (json) {
            List<Object> out = new ArrayList<>();
            for (Entry e : selected) out.add(toJson(tree, e));
            System.out.println(Json.write(out));
            return KilnCommand.OK;
        }
        StringBuilder sb = new StringBuilder();
        for (Entry e : selected) {
            String name = recursive || !(top instanceof Node.Directory) ? e.path().display() : e.path().name();
            if (longFormat) sb.append(longLine(tree, e, name));
            else sb.append(name);
            sb.append('\n');
        }
        System.out.print(sb);
        return KilnCommand.OK;
    }

    static String longLine(Tree tree, Entry e, String name) {
        Node n = e.node() instanceof Node.HardLink h ? tree.resolve(h.target()) : e.node();
        Metadata m = n.meta();
        String size = switch (n) {
            case Node.File f -> Long.toString(f.content().size());
            case Node.Symlink s -> Integer.toString(s.target().getBytes(java.nio.charset.StandardCharsets.UTF_8).length);
            case Node.Device d -> d.major() + ", " + d.minor();
            default -> "0";
        };
        String suffix = switch (e.node()) {
            case Node.HardLink h -> " => " + h.target().display();
            default -> n instanceof Node.Symlink s ? " -> " + s.target() : "";
        };
        return String.format("%s %3d %5d/%-5d %10s %s %s%s", modeString(n), e.links(), m.uid(), m.gid(), size,
                TIME.format(Instant.ofEpochSecond(m.mtime())), name, suffix);
    }

    /** "drwxr-xr-x" as ls prints it, with s/S/t/T for the special bits. */
    static String modeString(Node n) {
        int p = n.meta().permissions();
        char[] c = new char[10];
        c[0] = switch (n) {
            case Node.File f -> '-';
            default -> Node.letter(n);
        };
        String rwx = "rwxrwxrwx";
        for (int i = 0; i < 9; i++) c[i + 1] = (p & (0400 >> i)) != 0 ? rwx.charAt(i) : '-';
        if ((p & 04000) != 0) c[3] = c[3] == 'x' ? 's' : 'S';
        if ((p & 02000) != 0) c[6] = c[6] == 'x' ? 's' : 'S';
        if ((p & 01000) != 0) c[9] = c[9] == 'x' ? 't' : 'T';
        return new String(c);
    }

    static Map<String, Object> toJson(Tree tree, Entry e) {
        Node n = e.node() instanceof Node.HardLink h ? tree.resolve(h.target()) : e.node();
        Metadata m = n.meta();
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("path", e.path().display());
        o.put("type", Node.kindName(n));
        o.put("mode", String.format("%04o", m.permissions()));
        o.put("uid", m.uid());
        o.put("gid", m.gid());
        o.put("mtime", m.mtime());
        o.put("mtimeNanos", m.mtimeNanos());
        if (n instanceof Node.File f) o.put("size", f.content().size());
        if (n instanceof Node.Symlink s) o.put("target", s.target());
        if (n instanceof Node.Device d) {
            o.put("major", d.major());
            o.put("minor", d.minor());
        }
        if (e.links() > 1) o.put("links", e.links());
        if (e.node() instanceof Node.HardLink h) o.put("hardLinkTo", h.target().display());
        if (!m.xattrs().isEmpty()) o.put("xattrs", new ArrayList<>(m.xattrs().names()));
        return o;
    }
}
