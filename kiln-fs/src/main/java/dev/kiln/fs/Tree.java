package dev.kiln.fs;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Optional;
import java.util.function.Function;

/**
 * The one filesystem model every source fills and every writer reads: a rooted directory
 * tree in which several paths may share one non-directory node (hard links).
 *
 * <p>Sources apply in order and later ones win, like image layers: {@link #put} replaces
 * whatever was at the path (a directory put over a directory only updates its metadata and
 * keeps the children), {@link #remove} deletes a subtree (a whiteout) and
 * {@link #clearDirectory} empties one (an opaque whiteout). Missing parents are created with
 * the metadata given to the constructor.
 *
 * <p>Only metadata and {@link Content} handles live here, so a tree of millions of files
 * costs a few hundred bytes per entry whatever the file sizes.
 *
 * <p>A tree read from a compressed image holds a decompressed copy of it in a temporary file,
 * which its contents read from: {@link #close} removes it (and releases anything else
 * {@linkplain #attach attached}). Closing a tree that holds nothing does nothing, so code that
 * does not know where a tree came from closes it.
 */
public final class Tree implements AutoCloseable {
    /**
     * A non-directory node that a second path has linked to: the paths that hold this one object
     * share the node. Identity matters, not value. A node no link points to sits in its
     * directory bare, which saves this holder for nearly every entry.
     */
    private static final class Shared {
        final Node node;
        Shared(Node node) { this.node = node; }
    }

    private static final class Dir {
        Metadata meta;
        final TreeChildren children = new TreeChildren(); // Dir, Shared or Node
        Dir(Metadata meta) { this.meta = meta; }
    }

    /** The node of a non-directory child (a {@link Shared} holder or a bare {@link Node}). */
    private static Node nodeOf(Object child) {
        return child instanceof Shared sh ? sh.node : (Node) child;
    }

    /**
     * The deepest path a tree accepts. A 4096-byte PATH_MAX holds at most 2048 one-letter
     * components, and the walks below recurse once per level, so a hostile archive with a
     * hundred thousand levels must be stopped here rather than overflow the stack.
     */
    public static final int MAX_DEPTH = 2048;

    private final Dir root;
    private final Metadata implied;
    /**
     * The directory that received the last put, by path. Sources add siblings one after another,
     * so this saves a walk from the root for nearly every put. Forgotten on any change that could
     * detach a directory (replace, remove, clear, map).
     */
    private String lastParentPath;
    private Dir lastParent;
    /** Whether any node is shared by several paths; without links, entries() needs no counting pass. */
    private boolean anyLinks;
    /** What the contents read from and {@link #close} releases, in the order attached; null while none. */
    private List<AutoCloseable> resources;

    public Tree() {
        this(Metadata.IMPLIED_DIRECTORY);
    }

    /** A tree whose root and implied parent directories get {@code impliedDirectory} metadata. */
    public Tree(Metadata impliedDirectory) {
        this.implied = impliedDirectory;
        this.root = new Dir(impliedDirectory);
    }

    /**
     * Puts {@code node} at {@code path}. A {@link Node.HardLink} makes {@code path} share the node
     * currently at its target, which must exist and not be a directory; the link keeps that node
     * even if the target path is replaced later, as when an image layer is extracted.
     */
    public void put(EntryPath path, Node node) {
        if (path.depth() > MAX_DEPTH) {
            throw new InvalidPathException(path.display().substring(0, 64) + "...: deeper than " + MAX_DEPTH
                    + " levels (a 4096-byte PATH_MAX allows no more)");
        }
        if (path.isRoot()) {
            if (!(node instanceof Node.Directory d)) {
                throw new KilnException("the root must be a directory, not '" + Node.letter(node) + "'");
            }
            root.meta = d.meta();
            return;
        }
        Object value;
        if (node instanceof Node.HardLink link) {
            Object target = find(link.target());
            if (target == null) {
                throw new KilnException("hard link " + path + ": target " + link.target() + " does not exist");
            }
            if (target instanceof Dir) {
                throw new KilnException("hard link " + path + ": target " + link.target() + " is a directory");
            }
            if (link.target().equals(path)) return; // a link to itself changes nothing
            if (target instanceof Node bare) { // the first link: the target's path gets the holder too
                target = new Shared(bare);
                ((Dir) find(link.target().parent())).children.put(link.target().name(), target);
            }
            anyLinks = true;
            value = target;
        } else if (node instanceof Node.Directory d) {
            Dir parent = parentFor(path);
            Object existing = parent.children.get(path.name());
            if (existing instanceof Dir dir) {
                dir.meta = d.meta();
                return;
            }
            parent.children.put(path.name(), new Dir(d.meta())); // replaces a non-directory, if any
            return;
        } else {
            value = node;
        }
        if (parentFor(path).children.put(path.name(), value) instanceof Dir) forgetParent();
    }

    /**
     * Makes {@code resource} (a temporary file's remover, an open channel) live as long as this
     * tree: {@link #close} closes it. For whoever creates contents that read from it.
     */
    public synchronized void attach(AutoCloseable resource) {
        if (resources == null) resources = new ArrayList<>(2);
        resources.add(resource);
    }

    /**
     * Takes over what {@code other} holds open, because this tree now holds contents of it (a
     * layer laid over this one): closing this tree releases them, closing {@code other} no longer does.
     */
    public void adopt(Tree other) {
        if (other == this) return;
        List<AutoCloseable> taken;
        synchronized (other) {
            taken = other.resources;
            other.resources = null;
        }
        if (taken != null) for (AutoCloseable r : taken) attach(r);
    }

    /**
     * Releases what the tree holds open, last attached first; contents that read from it fail
     * afterwards. Every resource is closed even if one fails; the first failure is thrown.
     */
    @Override
    public void close() {
        List<AutoCloseable> taken;
        synchronized (this) {
            taken = resources;
            resources = null;
        }
        if (taken == null) return;
        RuntimeException failure = null;
        for (int i = taken.size() - 1; i >= 0; i--) {
            try {
                taken.get(i).close();
            } catch (Exception e) {
                if (failure == null) failure = new KilnException("releasing what an image tree held: " + e.getMessage(), e);
                else failure.addSuppressed(e);
            }
        }
        if (failure != null) throw failure;
    }

    private void forgetParent() {
        lastParentPath = null;
        lastParent = null;
    }

    /** Removes the entry at {@code path} and everything below it; returns whether there was one. */
    public boolean remove(EntryPath path) {
        forgetParent();
        if (path.isRoot()) {
            boolean had = !root.children.isEmpty();
            root.children.clear();
            return had;
        }
        Object parent = find(path.parent());
        return parent instanceof Dir d && d.children.remove(path.name()) != null;
    }

    /** Removes every child of the directory at {@code path}, if it is one. */
    public void clearDirectory(EntryPath path) {
        forgetParent();
        if (find(path) instanceof Dir d) d.children.clear();
    }

    /** The node at {@code path}, with hard links resolved; empty when nothing is there. */
    public Optional<Node> get(EntryPath path) {
        Object o = find(path);
        if (o == null) return Optional.empty();
        return Optional.of(o instanceof Dir d ? new Node.Directory(d.meta) : nodeOf(o));
    }

    /** Like {@link #get} but fails with a message naming the path. */
    public Node resolve(EntryPath path) {
        return get(path).orElseThrow(() -> new KilnException(path + ": no such entry"));
    }

    public boolean contains(EntryPath path) {
        return find(path) != null;
    }

    /**
     * How many directories the directory at {@code path} directly contains (0 if it is not one):
     * what formats need for a directory's link count (2 + subdirectories) before its children.
     */
    public int subdirectoryCount(EntryPath path) {
        if (!(find(path) instanceof Dir d)) return 0;
        int n = 0;
        for (TreeChildren.Cursor c = d.children.cursor(); c.next(); ) if (c.value() instanceof Dir) n++;
        return n;
    }

    /** The names directly inside the directory at {@code path}, in order; empty if it is not a directory. */
    public List<String> list(EntryPath path) {
        if (!(find(path) instanceof Dir d)) return List.of();
        List<String> names = new ArrayList<>(d.children.size());
        for (TreeChildren.Cursor c = d.children.cursor(); c.next(); ) names.add(c.name());
        return names;
    }

    /**
     * Rewrites every node's metadata (hard-link groups are rewritten once). Used by policies
     * such as {@code --owner root} and by target profiles.
     */
    public void mapMetadata(Function<Node, Metadata> f) {
        // Policies such as --mtime and --owner leave most entries with one of a few metadata
        // values: sharing equal results saves a record per entry, and a node that gets its own
        // metadata object back is kept. The table stops growing at SHARED_METADATA distinct values
        // (kept mtimes make nearly every value distinct), so the pass needs little memory itself.
        HashMap<Metadata, Metadata> shared = new HashMap<>();
        Function<Node, Metadata> g = node -> {
            Metadata m = f.apply(node);
            Metadata known = shared.get(m);
            if (known != null) return known;
            if (shared.size() < SHARED_METADATA) shared.put(m, m);
            return m;
        };
        root.meta = g.apply(new Node.Directory(root.meta));
        mapNodes((path, node) -> {
            Metadata m = g.apply(node);
            return m == node.meta() ? node : node.withMeta(m);
        });
    }

    private static final int SHARED_METADATA = 4096;

    /**
     * Replaces nodes: {@code f} gets each path and node (hard links resolved, each group once,
     * at its first path) and returns the new node, or null to remove the path (with all its links).
     */
    public void mapNodes(java.util.function.BiFunction<EntryPath, Node, Node> f) {
        forgetParent();
        IdentityHashMap<Shared, Optional<Shared>> done = new IdentityHashMap<>();
        mapNodesDir(EntryPath.ROOT, root, f, done);
    }

    private void mapNodesDir(EntryPath at, Dir dir, java.util.function.BiFunction<EntryPath, Node, Node> f,
                             IdentityHashMap<Shared, Optional<Shared>> done) {
        for (TreeChildren.Cursor e = dir.children.cursor(); e.next(); ) {
            EntryPath p = at.child(e.name());
            if (e.value() instanceof Dir d) {
                Node n = f.apply(p, new Node.Directory(d.meta));
                if (n == null) { e.remove(); continue; }
                if (n instanceof Node.Directory nd) { d.meta = nd.meta(); mapNodesDir(p, d, f, done); }
                else e.setValue(n);
            } else if (e.value() instanceof Shared old) {
                // A shared node is mapped once, so the other paths of its group get the same result.
                Optional<Shared> mapped = done.computeIfAbsent(old, sh -> {
                    Node n = mapLeaf(p, sh.node, f);
                    return n == null ? Optional.empty() : Optional.of(n == sh.node ? sh : new Shared(n));
                });
                if (mapped.isEmpty()) e.remove(); else e.setValue(mapped.get());
            } else {
                Node old = (Node) e.value();
                Node n = mapLeaf(p, old, f);
                if (n == null) e.remove(); else if (n != old) e.setValue(n);
            }
        }
    }

    private static Node mapLeaf(EntryPath p, Node node, java.util.function.BiFunction<EntryPath, Node, Node> f) {
        Node n = f.apply(p, node);
        if (n instanceof Node.HardLink || n instanceof Node.Directory) {
            throw new KilnException(p + ": cannot map a file to a directory or link");
        }
        return n;
    }

    /**
     * All paths, depth first with siblings in unsigned UTF-8 byte order, the root first. Each
     * hard-link group appears in full at its first path and as {@link Node.HardLink}s to it after.
     * The order depends on nothing but the paths, which is what makes output reproducible.
     */
    public Iterable<Entry> entries() {
        IdentityHashMap<Shared, int[]> counts = new IdentityHashMap<>();
        if (anyLinks) countLinks(root, counts);
        return () -> new EntryIterator(counts);
    }

    /** Number of paths, the root included. */
    public int size() {
        int[] n = {1};
        countPaths(root, n);
        return n[0];
    }

    /** Sum of the sizes of distinct regular-file contents (each hard-link group once). */
    public long contentBytes() {
        long[] total = {0};
        sumContent(root, total, java.util.Collections.newSetFromMap(new IdentityHashMap<>()));
        return total[0];
    }

    private static void sumContent(Dir d, long[] total, java.util.Set<Shared> seenShared) {
        for (TreeChildren.Cursor c = d.children.cursor(); c.next(); ) {
            Object o = c.value();
            if (o instanceof Dir sub) {
                sumContent(sub, total, seenShared);
            } else if (nodeOf(o) instanceof Node.File f && (!(o instanceof Shared sh) || seenShared.add(sh))) {
                total[0] += f.content().size();
            }
        }
    }

    private static void countPaths(Dir d, int[] n) {
        n[0] += d.children.size();
        for (TreeChildren.Cursor c = d.children.cursor(); c.next(); ) if (c.value() instanceof Dir sub) countPaths(sub, n);
    }

    private static void countLinks(Dir d, IdentityHashMap<Shared, int[]> counts) {
        for (TreeChildren.Cursor c = d.children.cursor(); c.next(); ) {
            Object o = c.value();
            if (o instanceof Dir sub) countLinks(sub, counts);
            else if (o instanceof Shared sh) counts.computeIfAbsent(sh, k -> new int[1])[0]++;
        }
    }

    private final class EntryIterator implements Iterator<Entry> {
        private final IdentityHashMap<Shared, int[]> counts;
        private final IdentityHashMap<Shared, EntryPath> firstPath = new IdentityHashMap<>();
        private final ArrayList<Frame> stack = new ArrayList<>();
        private Entry next;

        private record Frame(EntryPath path, TreeChildren.Cursor it) {}

        EntryIterator(IdentityHashMap<Shared, int[]> counts) {
            this.counts = counts;
            next = new Entry(EntryPath.ROOT, new Node.Directory(root.meta), 1);
            stack.add(new Frame(EntryPath.ROOT, root.children.cursor()));
        }

        public boolean hasNext() {
            return next != null;
        }

        public Entry next() {
            if (next == null) throw new NoSuchElementException();
            Entry out = next;
            next = advance();
            return out;
        }

        private Entry advance() {
            while (!stack.isEmpty()) {
                Frame top = stack.getLast();
                TreeChildren.Cursor e = top.it;
                if (!e.next()) {
                    stack.removeLast();
                    continue;
                }
                EntryPath p = top.path.child(e.name());
                if (e.value() instanceof Dir d) {
                    stack.add(new Frame(p, d.children.cursor()));
                    return new Entry(p, new Node.Directory(d.meta), 1);
                }
                if (!(e.value() instanceof Shared sh)) return new Entry(p, (Node) e.value(), 1);
                int[] count = counts.get(sh);
                int links = count == null ? 1 : count[0];
                if (links == 1) return new Entry(p, sh.node, 1); // its other paths were removed
                EntryPath first = firstPath.putIfAbsent(sh, p);
                return first == null ? new Entry(p, sh.node, links) : new Entry(p, new Node.HardLink(first), links);
            }
            return null;
        }
    }

    private Object find(EntryPath path) {
        Object cur = root;
        if (path.isRoot()) return cur;
        for (String c : path.components()) {
            if (!(cur instanceof Dir d)) return null;
            cur = d.children.get(c);
            if (cur == null) return null;
        }
        return cur;
    }

    /** The directory that will hold {@code path}, creating (or replacing non-directories with) implied directories. */
    private Dir parentFor(EntryPath path) {
        String v = path.value();
        int slash = v.lastIndexOf('/');
        String parentPath = slash < 0 ? "" : v.substring(0, slash);
        if (lastParent != null && parentPath.equals(lastParentPath)) return lastParent;
        Dir found = walkToParent(path);
        lastParentPath = parentPath;
        lastParent = found;
        return found;
    }

    private Dir walkToParent(EntryPath path) {
        Dir cur = root;
        List<String> comps = path.components();
        for (int i = 0; i < comps.size() - 1; i++) {
            Object o = cur.children.get(comps.get(i));
            Dir next;
            if (o instanceof Dir d) {
                next = d;
            } else {
                next = new Dir(implied);
                cur.children.put(comps.get(i), next);
            }
            cur = next;
        }
        return cur;
    }

    /**
     * The path {@code path} leads to once symlinks are followed inside the tree (absolute targets
     * start at the root), at most 40 hops, as the kernel allows; fails naming the path when an
     * entry on the way is missing or the links loop.
     */
    public EntryPath follow(EntryPath path) {
        EntryPath cur = path;
        for (int hops = 0; hops < 40; hops++) {
            Node n = get(cur).orElseThrow(() -> new KilnException(path.display() + ": no such entry in the image"));
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
