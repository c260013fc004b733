package dev.kiln.oci.spec;

import dev.kiln.fs.Entry;
import dev.kiln.fs.EntryPath;
import dev.kiln.fs.Images;
import dev.kiln.fs.Metadata;
import dev.kiln.fs.Node;
import dev.kiln.fs.Tree;
import dev.kiln.fs.build.Ownership;
import dev.kiln.fs.build.Source;
import java.io.IOException;
import java.nio.file.Path;

/**
 * What one Containerfile {@code COPY}/{@code ADD} source contributes when it needs more than
 * {@link Source#hostPath}: {@code --chown} and {@code --chmod} applied to every entry it copies
 * (not to parent directories it implies), or a local tar archive that {@code ADD} unpacks at the
 * destination as Docker does. Paths, owners and modes depend only on the inputs.
 */
final class CopySource implements Source {
    private final Source host;
    private final Path archive;
    private final EntryPath at;
    private final Ownership chown;
    private final Integer chmod;
    private final String described;

    private CopySource(Source host, Path archive, EntryPath at, Ownership chown, Integer chmod, String described) {
        this.host = host;
        this.archive = archive;
        this.at = at;
        this.chown = chown;
        this.chmod = chmod;
        this.described = described;
    }

    /** A host file or directory placed as {@link Source#hostPath} places it, at {@code at} (the path it ends up at). */
    static CopySource host(Path path, String destination, EntryPath at, Ownership chown, Integer chmod) throws IOException {
        return new CopySource(Source.hostPath(path, destination), null, at, chown, chmod, path + ":" + destination);
    }

    /** A tar archive (plain or compressed) unpacked into the directory {@code at}. */
    static CopySource archive(Path tar, EntryPath at, Ownership chown, Integer chmod) {
        return new CopySource(null, tar, at, chown, chmod, tar + " unpacked at " + at.display());
    }

    @Override
    public String describe() {
        return described;
    }

    /** Copied host files are root's unless {@code --chown} says; unpacked archives keep their owners, as Docker's ADD does. */
    @Override
    public Ownership defaultOwnership() {
        return chown != null ? chown : host != null ? Ownership.ROOT : Ownership.KEEP;
    }

    @Override
    public void addTo(Tree tree, Context context) throws IOException {
        Ownership owners = context.ownership();
        if (host != null) {
            try (Tree upper = new Tree()) {
                host.addTo(upper, context);
                for (Entry e : upper.entries()) {
                    if (!e.path().startsWith(at)) continue; // parents the copy only implies
                    tree.put(e.path(), e.node() instanceof Node.HardLink ? e.node() : mode(e.node()));
                }
                tree.adopt(upper);
            }
            return;
        }
        try (Tree upper = Images.read(archive, context.temporaryDirectory())) {
            for (Entry e : upper.entries()) {
                if (e.path().isRoot()) continue;
                EntryPath p = at.resolve(e.path());
                if (context.excluded(p)) continue;
                Node n = e.node();
                if (n instanceof Node.HardLink link) tree.put(p, new Node.HardLink(at.resolve(link.target())));
                else tree.put(p, mode(n.withMeta(owners.apply(n.meta()))));
            }
            tree.adopt(upper);
        }
    }

    private Node mode(Node n) {
        if (chmod == null || n instanceof Node.Symlink) return n;
        Metadata m = n.meta();
        return n.withMeta(m.withPermissions(chmod));
    }
}
