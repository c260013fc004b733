package dev.kiln.fs.source;

import dev.kiln.fs.EntryPath;
import dev.kiln.fs.Tree;
import java.nio.file.FileSystems;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

/**
 * --exclude patterns, matched against paths in the image. A pattern without '/' matches a
 * name at any depth ("*.pyc", ".git"); a pattern with '/' matches the whole path from the
 * root ("usr/share/doc/**", a leading '/' is optional). An excluded directory takes its
 * contents with it.
 */
public final class Excludes {
    public static final Excludes NONE = new Excludes(List.of());

    private record Pattern(String text, PathMatcher matcher, boolean anchored) {}

    private final List<Pattern> patterns;
    /** Set instead of patterns when a caller's own rule decides. */
    private final Predicate<EntryPath> rule;

    private Excludes(List<Pattern> patterns) {
        this.patterns = patterns;
        this.rule = null;
    }

    private Excludes(Predicate<EntryPath> rule) {
        this.patterns = List.of();
        this.rule = rule;
    }

    /** Excludes what {@code rule} says (a source handed the build's rule through its context). */
    public static Excludes matching(Predicate<EntryPath> rule) {
        return new Excludes(rule);
    }

    public static Excludes of(List<String> globs) {
        List<Pattern> ps = new ArrayList<>();
        for (String g : globs) {
            String t = g.startsWith("/") ? g.substring(1) : g;
            if (t.endsWith("/")) t = t.substring(0, t.length() - 1);
            if (t.isEmpty()) continue;
            ps.add(new Pattern(g, FileSystems.getDefault().getPathMatcher("glob:" + t), t.contains("/")));
        }
        return ps.isEmpty() ? NONE : new Excludes(ps);
    }

    public boolean isEmpty() {
        return patterns.isEmpty() && rule == null;
    }

    public boolean excludes(EntryPath p) {
        if (rule != null) return !p.isRoot() && rule.test(p);
        if (p.isRoot() || patterns.isEmpty()) return false;
        Path full = null, name = null;
        for (Pattern pat : patterns) {
            if (pat.anchored) {
                if (full == null) full = Path.of(p.value());
                if (pat.matcher.matches(full)) return true;
            } else {
                if (name == null) name = Path.of(p.name());
                if (pat.matcher.matches(name)) return true;
            }
        }
        return false;
    }

    /** Removes every excluded path (and what lies below it) from {@code tree}. */
    public void applyTo(Tree tree) {
        if (isEmpty()) return;
        tree.mapNodes((path, node) -> excludes(path) ? null : node);
    }
}
