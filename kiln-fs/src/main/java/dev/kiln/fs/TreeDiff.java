package dev.kiln.fs;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * Compares two trees path by path: presence, kind, content, permissions, owners, mtimes, link
 * targets, device numbers, xattrs and hard-link structure. Both trees iterate in the same
 * depth-first order, so one merge pass finds every difference.
 */
public final class TreeDiff {
    /**
     * What to compare besides presence, kind and content.
     *
     * @param nanos compare mtimes to the nanosecond (cpio and ustar keep only seconds)
     */
    public record Options(boolean permissions, boolean owners, boolean mtimes, boolean nanos, boolean xattrs, boolean hardLinks) {
        public static final Options DEFAULT = new Options(true, true, true, false, true, true);
    }

    /** One difference. {@code kind} is a short word: only-a, only-b, type, content, mode, owner, mtime, target, device, xattrs, link. */
    public record Difference(EntryPath path, String kind, String a, String b) {
        /** "mode /etc/passwd: 0644 -> 0600" style, one line. */
        public String line() {
            return switch (kind) {
                case "only-a" -> "- " + path.display();
                case "only-b" -> "+ " + path.display();
                default -> kind + " " + path.display() + ": " + a + " -> " + b;
            };
        }
    }

    private TreeDiff() {}

    public static List<Difference> compare(Tree a, Tree b, Options o) throws IOException {
        List<Difference> out = new ArrayList<>();
        Map<EntryPath, EntryPath> groupsA = groups(a), groupsB = groups(b);
        Iterator<Entry> ia = a.entries().iterator(), ib = b.entries().iterator();
        Entry ea = ia.hasNext() ? ia.next() : null, eb = ib.hasNext() ? ib.next() : null;
        while (ea != null || eb != null) {
            int c = ea == null ? 1 : eb == null ? -1 : ea.path().compareTo(eb.path());
            if (c < 0) {
                out.add(new Difference(ea.path(), "only-a", "", ""));
                ea = skipBelow(ia, ea.path());
            } else if (c > 0) {
                out.add(new Difference(eb.path(), "only-b", "", ""));
                eb = skipBelow(ib, eb.path());
            } else {
                compareEntry(a, b, ea, eb, groupsA, groupsB, o, out);
                ea = ia.hasNext() ? ia.next() : null;
                eb = ib.hasNext() ? ib.next() : null;
            }
        }
        return out;
    }

    /** Skips the descendants of {@code p}: a missing directory is reported once, not per file. */
    private static Entry skipBelow(Iterator<Entry> it, EntryPath p) {
        while (it.hasNext()) {
            Entry e = it.next();
            if (!e.path().startsWith(p) || e.path().equals(p)) return e;
        }
        return null;
    }

    private static void compareEntry(Tree ta, Tree tb, Entry ea, Entry eb, Map<EntryPath, EntryPath> ga,
                                     Map<EntryPath, EntryPath> gb, Options o, List<Difference> out) throws IOException {
        EntryPath p = ea.path();
        Node na = resolve(ta, ea), nb = resolve(tb, eb);
        if (na.typeBits() != nb.typeBits()) {
            out.add(new Difference(p, "type", Node.kindName(na), Node.kindName(nb)));
            return;
        }
        switch (na) {
            case Node.File fa -> {
                Content ca = fa.content(), cb = ((Node.File) nb).content();
                if (ca.size() != cb.size()) out.add(new Difference(p, "content", ca.size() + " bytes", cb.size() + " bytes"));
                else if (!sameBytes(ca, cb)) out.add(new Difference(p, "content", "sha differs", "(same size " + ca.size() + ")"));
            }
            case Node.Symlink sa -> {
                String tb2 = ((Node.Symlink) nb).target();
                if (!sa.target().equals(tb2)) out.add(new Difference(p, "target", sa.target(), tb2));
            }
            case Node.Device da -> {
                Node.Device db = (Node.Device) nb;
                if (da.major() != db.major() || da.minor() != db.minor()) {
                    out.add(new Difference(p, "device", da.major() + ":" + da.minor(), db.major() + ":" + db.minor()));
                }
            }
            default -> { }
        }
        Metadata ma = na.meta(), mb = nb.meta();
        if (o.permissions() && ma.permissions() != mb.permissions()) {
            out.add(new Difference(p, "mode", String.format("%04o", ma.permissions()), String.format("%04o", mb.permissions())));
        }
        if (o.owners() && (ma.uid() != mb.uid() || ma.gid() != mb.gid())) {
            out.add(new Difference(p, "owner", ma.uid() + ":" + ma.gid(), mb.uid() + ":" + mb.gid()));
        }
        if (o.mtimes() && (ma.mtime() != mb.mtime() || (o.nanos() && ma.mtimeNanos() != mb.mtimeNanos()))) {
            out.add(new Difference(p, "mtime", time(ma, o), time(mb, o)));
        }
        if (o.xattrs() && !ma.xattrs().equals(mb.xattrs())) {
            out.add(new Difference(p, "xattrs", ma.xattrs().toString(), mb.xattrs().toString()));
        }
        if (o.hardLinks()) {
            EntryPath la = ga.get(p), lb = gb.get(p);
            if (la == null ? lb != null : !la.equals(lb)) {
                out.add(new Difference(p, "link", la == null ? "not linked" : "linked with " + la.display(),
                        lb == null ? "not linked" : "linked with " + lb.display()));
            }
        }
    }

    /** For every path in a hard-link group, the group's first path. */
    private static Map<EntryPath, EntryPath> groups(Tree t) {
        Map<EntryPath, EntryPath> m = new HashMap<>();
        for (Entry e : t.entries()) {
            if (e.node() instanceof Node.HardLink h) m.put(e.path(), h.target());
            else if (e.links() > 1) m.put(e.path(), e.path());
        }
        return m;
    }

    private static Node resolve(Tree t, Entry e) {
        return e.node() instanceof Node.HardLink h ? t.resolve(h.target()) : e.node();
    }

    private static String time(Metadata m, Options o) {
        return o.nanos() ? m.mtime() + "." + String.format("%09d", m.mtimeNanos()) : Long.toString(m.mtime());
    }

    private static boolean sameBytes(Content a, Content b) throws IOException {
        try (InputStream x = a.open(); InputStream y = b.open()) {
            byte[] bx = new byte[1 << 16], by = new byte[1 << 16];
            while (true) {
                int nx = x.readNBytes(bx, 0, bx.length), ny = y.readNBytes(by, 0, by.length);
                if (nx != ny || !Arrays.equals(bx, 0, nx, by, 0, ny)) return false;
                if (nx < bx.length) return true;
            }
        }
    }
}
