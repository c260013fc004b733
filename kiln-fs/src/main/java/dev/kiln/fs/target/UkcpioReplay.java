package dev.kiln.fs.target;

import dev.kiln.fs.EntryPath;
import dev.kiln.fs.Node;
import dev.kiln.fs.cpio.CpioReader;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Replays the members of a cpio archive the way Unikraft 0.17's ukcpio extracts them, to find
 * where the guest ends up with something other than what the archive means (what kiln and
 * Linux read: the later entry for a path wins).
 *
 * <p>ukcpio stops at the first trailer. When a path already exists it removes it before
 * creating the new entry (unlink, then rmdir) and, when the old entry is a directory that
 * still holds entries, renames it to {@code NAME.0} instead. Its mkdir and open follow
 * symlinks: a directory entry over a symlink to a directory only changes the target's mode,
 * and a file entry over a dangling symlink creates the file at the link's target. Each of these
 * was observed with the probe guest (see UnikraftReplacementBootTest).
 */
final class UkcpioReplay {
    private enum Kind { DIR, FILE, LINK }

    private record Slot(Kind kind, String target) {}

    /** Paths relative to the root ("" is the root), so a subtree is a key range of the map. */
    private final TreeMap<String, Slot> ns = new TreeMap<>();
    /** Directories that a non-directory entry took over, by path: the offset of that entry. */
    private final Map<String, Long> lostDirs = new HashMap<>();
    private final List<Finding> out = new ArrayList<>();

    private UkcpioReplay() {
        ns.put("", new Slot(Kind.DIR, null));
    }

    static List<Finding> run(List<CpioReader.Member> members) {
        UkcpioReplay r = new UkcpioReplay();
        int later = 0;
        CpioReader.Member firstLater = null;
        for (CpioReader.Member m : members) {
            if (m.archive() > 0) {
                if (later++ == 0) firstLater = m;
                continue;
            }
            r.extract(m);
        }
        if (later > 0) {
            r.out.add(Finding.error(EntryPath.parse(firstLater.name()), later + (later == 1 ? " member follows" : " members follow")
                    + " the first archive's TRAILER!!! (this one at offset " + firstLater.offset()
                    + "): ukcpio reads only the first archive, so the guest will not have them, nor any replacement they make"));
        }
        return r.out;
    }

    private void extract(CpioReader.Member m) {
        EntryPath path = EntryPath.parse(m.name());
        if (path.isRoot()) return;
        Kind kind = switch (m.mode() & Node.S_IFMT) {
            case Node.S_IFDIR -> Kind.DIR;
            case Node.S_IFREG -> Kind.FILE;
            case Node.S_IFLNK -> Kind.LINK;
            default -> null; // devices, fifos and sockets are skipped with a warning
        };
        if (kind == null) return;
        // ukcpio opens the path as given, so a parent that is a symlink leads wherever it points.
        // Keys are always real paths, so a parent found as a key needs no resolving.
        String parent = path.parent().value();
        Slot dir = ns.get(parent);
        if (dir == null || dir.kind != Kind.DIR) {
            parent = resolve("", parent);
            dir = parent == null ? null : ns.get(parent);
        }
        if (dir == null || dir.kind != Kind.DIR) {
            Long lostAt = lostDirs.get(path.parent().value());
            if (lostAt != null) {
                out.add(Finding.error(path, "offset " + m.offset() + ": its directory " + path.parent().display()
                        + " is no directory in the guest after the entry at offset " + lostAt
                        + ", so ukcpio cannot create this one and the boot fails"));
            }
            return; // a parent that never existed is lintMembers' to report
        }
        String p = parent.isEmpty() ? path.name() : parent + "/" + path.name();
        Slot old = ns.get(p);
        Slot now = new Slot(kind, m.linkTarget());
        if (old == null || (old.kind == kind && kind != Kind.DIR)) {
            ns.put(p, now);
            return;
        }
        switch (old.kind) {
            case DIR -> {
                if (kind == Kind.DIR) return; // only a chmod
                if (hasChildren(p)) {
                    out.add(Finding.error(path, "offset " + m.offset() + ": replaces the directory " + path.display()
                            + ", which already holds entries: ukcpio cannot remove it and renames it to " + path.display()
                            + ".0, so the guest has both (kiln and Linux read only one of them)"));
                    moveSubtree(p, p + ".0");
                }
                lostDirs.put(p, m.offset());
                ns.put(p, now);
            }
            case FILE -> ns.put(p, now);
            case LINK -> {
                String target = resolve(parent, old.target);
                Kind at = target == null ? null : kindAt(target);
                if (kind == Kind.DIR && at == Kind.DIR) {
                    out.add(Finding.error(path, "offset " + m.offset() + ": a directory entry over the symlink " + path.display()
                            + " -> " + old.target + ": ukcpio's mkdir follows the link, so the guest keeps the symlink and this"
                            + " directory's mode and later entries go to /" + target));
                } else if (kind == Kind.DIR && at == null) {
                    out.add(Finding.error(path, "offset " + m.offset() + ": a directory entry over the dangling symlink "
                            + path.display() + " -> " + old.target + ": ukcpio's mkdir fails on it, so the guest keeps the"
                            + " symlink and has no directory " + path.display()));
                    lostDirs.put(p, m.offset());
                } else if (kind == Kind.FILE && at == null) {
                    out.add(Finding.error(path, "offset " + m.offset() + ": a file entry over the dangling symlink "
                            + path.display() + " -> " + old.target + ": ukcpio's open follows the link, so the guest keeps the"
                            + " symlink and writes this file to " + (target == null ? "its target" : "/" + target)
                            + " (or fails the boot when that cannot be created)"));
                    if (target != null && kindAt(parentOf(target)) == Kind.DIR) ns.put(target, new Slot(Kind.FILE, null));
                } else {
                    ns.put(p, now); // the link is unlinked first, as kiln reads it
                }
            }
        }
    }

    private boolean hasChildren(String dir) {
        String k = ns.ceilingKey(dir + "/");
        return k != null && k.startsWith(dir + "/");
    }

    private void moveSubtree(String from, String to) {
        var sub = ns.subMap(from + "/", from + "0"); // '0' follows '/' in every encoding
        List<Map.Entry<String, Slot>> moved = new ArrayList<>(sub.entrySet());
        sub.clear();
        ns.put(to, ns.get(from));
        for (var e : moved) ns.put(to + e.getKey().substring(from.length()), e.getValue());
    }

    /** The kind at {@code path} with every symlink on the way followed; null when nothing is there. */
    private Kind kindAt(String path) {
        String r = resolve("", path);
        Slot s = r == null ? null : ns.get(r);
        return s == null ? null : s.kind;
    }

    /** Symlinks one lookup may follow, as in Linux (MAXSYMLINKS); it also bounds hostile archives. */
    private static final int MAX_LINKS = 40;
    private int linksLeft;

    /**
     * Where {@code target}, read relative to the directory {@code base}, leads once every
     * symlink in it is followed: a root-relative path that need not exist, or null when a
     * component on the way is missing or not a directory, or there are too many links.
     */
    private String resolve(String base, String target) {
        linksLeft = MAX_LINKS;
        return follow(base, target);
    }

    private String follow(String base, String target) {
        List<String> parts = new ArrayList<>();
        if (!target.startsWith("/") && !base.isEmpty()) parts.addAll(List.of(base.split("/")));
        String[] names = target.split("/");
        for (int i = 0; i < names.length; i++) {
            String c = names[i];
            if (c.isEmpty() || c.equals(".")) continue;
            if (c.equals("..")) {
                if (!parts.isEmpty()) parts.removeLast();
                continue;
            }
            String dir = String.join("/", parts);
            String here = dir.isEmpty() ? c : dir + "/" + c;
            Slot s = ns.get(here);
            if (s != null && s.kind == Kind.LINK) {
                if (linksLeft-- == 0) return null;
                String via = follow(dir, s.target);
                if (via == null) return null;
                String rest = String.join("/", java.util.Arrays.copyOfRange(names, i + 1, names.length));
                return rest.isEmpty() ? via : follow(via, rest);
            }
            if (!allEmpty(names, i + 1) && (s == null || s.kind != Kind.DIR)) return null;
            parts.add(c);
        }
        return String.join("/", parts);
    }

    private static boolean allEmpty(String[] names, int from) {
        for (int i = from; i < names.length; i++) if (!names[i].isEmpty() && !names[i].equals(".")) return false;
        return true;
    }

    private static String parentOf(String path) {
        int i = path.lastIndexOf('/');
        return i < 0 ? "" : path.substring(0, i);
    }
}
