package dev.kiln.oci.archive;

import dev.kiln.fs.Content;
import dev.kiln.fs.EntryPath;
import dev.kiln.fs.ImageFormat;
import dev.kiln.fs.Images;
import dev.kiln.fs.KilnException;
import dev.kiln.fs.Node;
import dev.kiln.fs.Tree;
import dev.kiln.oci.OciException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A tar archive read once into an index of its members, whose contents are slices of the file:
 * a blob is read where it lies, nothing is unpacked. Symlinks between members (Docker's
 * {@code ID/layer.tar -> ../HEX.tar}) and hard links are followed. An archive compressed as a
 * whole is decompressed once into the temporary directory, and closing the index deletes that copy.
 */
final class ArchiveIndex implements AutoCloseable {
    private static final int MAX_SYMLINKS = 16;

    private final Path file;
    private final String name;
    private final Tree tree;

    private ArchiveIndex(Path file, String name, Tree tree) {
        this.file = file;
        this.name = name;
        this.tree = tree;
    }

    /** Indexes {@code file}; {@code name} (the reference as given) names it in messages. */
    static ArchiveIndex open(Path file, String name, Path temporaryDirectory) throws IOException {
        if (!Files.isRegularFile(file)) throw new OciException(name + ": no such file");
        if (ImageFormat.detect(file).orElse(null) != ImageFormat.TAR) throw new OciException(name + ": not a tar archive");
        Tree t;
        try {
            t = Images.read(file, temporaryDirectory);
        } catch (OciException e) {
            throw e;
        } catch (KilnException e) {
            throw new OciException(name + ": " + e.getMessage(), e);
        }
        return new ArchiveIndex(file, name, t);
    }

    Path file() {
        return file;
    }

    String name() {
        return name;
    }

    /** The regular file at {@code path} (symlinks in the archive followed), if there is one. */
    Optional<Content> find(String path) {
        EntryPath p;
        try {
            p = EntryPath.parse(path);
        } catch (KilnException e) {
            return Optional.empty();
        }
        for (int hops = 0; hops <= MAX_SYMLINKS; hops++) {
            Optional<Node> n = tree.get(p);
            if (n.isEmpty()) return Optional.empty();
            switch (n.get()) {
                case Node.File f -> {
                    return Optional.of(f.content());
                }
                case Node.Symlink s -> {
                    Optional<EntryPath> next = resolve(p, s.target());
                    if (next.isEmpty()) return Optional.empty();
                    p = next.get();
                }
                default -> {
                    return Optional.empty();
                }
            }
        }
        throw new OciException(name + ": member " + path + ": more than " + MAX_SYMLINKS + " symlinks");
    }

    /** Like {@link #find} but fails naming the member and who asked for it. */
    Content require(String path, String what) {
        return find(path).orElseThrow(() -> new OciException(name + ": " + what + " names \"" + path + "\", which is not a file in the archive"));
    }

    /** A symlink's target, relative to the link's directory; {@code ..} may not climb out of the archive. */
    private static Optional<EntryPath> resolve(EntryPath link, String target) {
        List<String> parts = new ArrayList<>();
        if (!target.startsWith("/") && !link.parent().isRoot()) parts.addAll(link.parent().components());
        for (String c : target.split("/")) {
            if (c.isEmpty() || c.equals(".")) continue;
            if (c.equals("..")) {
                if (parts.isEmpty()) return Optional.empty();
                parts.removeLast();
            } else {
                parts.add(c);
            }
        }
        return Optional.of(parts.isEmpty() ? EntryPath.ROOT : EntryPath.parse(String.join("/", parts)));
    }

    /** A member read whole (a small JSON document), at most {@code limit} bytes. */
    static byte[] readAll(Content c, long limit, String what) throws IOException {
        if (c.size() > limit) throw new OciException(what + ": " + c.size() + " bytes, more than the " + limit + " expected");
        try (InputStream in = c.open()) {
            return in.readAllBytes();
        }
    }

    @Override
    public void close() {
        tree.close();
    }
}
