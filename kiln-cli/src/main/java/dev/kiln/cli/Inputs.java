package dev.kiln.cli;

import dev.kiln.fs.EntryPath;
import dev.kiln.fs.Images;
import dev.kiln.fs.KilnException;
import dev.kiln.fs.Node;
import dev.kiln.fs.Tree;
import dev.kiln.fs.source.HostSource;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Opens the images (or plain directories) that inspection commands take. */
final class Inputs {
    private Inputs() {}

    static Tree open(String arg) throws IOException {
        Path p = Path.of(arg);
        if (Files.isDirectory(p)) {
            return HostSource.read(p);
        }
        if (!Files.exists(p)) throw new KilnException(arg + ": no such file or directory");
        return Images.read(p);
    }

    /** Follows symlinks inside the image (absolute targets start at the image root), at most 40 hops. */
    static EntryPath follow(Tree tree, EntryPath path) {
        EntryPath cur = path;
        for (int hops = 0; hops < 40; hops++) {
            Node n = tree.get(cur).orElseThrow(() -> new KilnException(path.display() + ": no such entry in the image"));
            if (!(n instanceof Node.Symlink s)) return cur;
            String t = s.target();
            EntryPath base = t.startsWith("/") ? EntryPath.ROOT : cur.parent();
            cur = resolveLexically(base, t, path);
        }
        throw new KilnException(path.display() + ": too many levels of symbolic links");
    }

    private static EntryPath resolveLexically(EntryPath base, String target, EntryPath origin) {
        java.util.ArrayDeque<String> parts = new java.util.ArrayDeque<>(base.components());
        for (String c : target.split("/")) {
            if (c.isEmpty() || c.equals(".")) continue;
            if (c.equals("..")) {
                if (!parts.isEmpty()) parts.removeLast();
            } else {
                parts.addLast(c);
            }
        }
        if (parts.isEmpty()) return EntryPath.ROOT;
        try {
            return EntryPath.parse(String.join("/", parts));
        } catch (KilnException e) {
            throw new KilnException(origin.display() + ": symlink leads to an invalid path: " + e.getMessage());
        }
    }
}
