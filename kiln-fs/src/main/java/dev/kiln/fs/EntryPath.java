package dev.kiln.fs;

import dev.kiln.fs.io.Utf8;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * A normalised path inside an image: components separated by '/', no leading or trailing
 * slash, no "." or ".." components, no empty components, no NUL. The root is the empty path.
 *
 * <p>Paths order depth-first: a directory sorts directly before its descendants, and siblings
 * sort by the unsigned bytes of their UTF-8 names (so "a" &lt; "a/b" &lt; "a-c"). Iterating a set
 * of paths in this order always yields parents before children, which is what cpio consumers
 * need and what makes output independent of directory enumeration order.
 */
public final class EntryPath implements Comparable<EntryPath> {
    public static final EntryPath ROOT = new EntryPath("", null);

    private final String value;
    /**
     * The last component when {@link #child} made this path: the caller's own String, so that the
     * tree's key and a host file's name are one object (a million-file tree kept two).
     */
    private final String name;

    /** Fails with {@link InvalidPathException} unless {@code value} is already normalised. */
    public EntryPath(String value) {
        if (!isNormal(value)) {
            throw new InvalidPathException("not a normalised path: \"" + printable(value) + "\"");
        }
        this.value = value;
        this.name = null;
    }

    /**
     * For values built from parts that are already valid (a path plus a checked name): checking
     * the whole string again for every entry of every tree showed up in profiles. {@code name}
     * is the last component when the caller has it as a String of its own, else null.
     */
    private EntryPath(String value, String name) {
        this.value = value;
        this.name = name;
    }

    /** The path without a leading slash; "" for the root. */
    public String value() {
        return value;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof EntryPath p && value.equals(p.value);
    }

    @Override
    public int hashCode() {
        return value.hashCode();
    }

    /**
     * Parses a path as found in an archive or on a command line. A leading "/" or "./" and one
     * trailing "/" are accepted (archives use them); "." components are dropped. Rejected: NUL,
     * empty components ("a//b"), and ".." anywhere (an archive has no business climbing).
     */
    public static EntryPath parse(String raw) {
        if (raw.indexOf('\0') >= 0) {
            throw new InvalidPathException("path \"" + printable(raw) + "\" contains a NUL byte");
        }
        if (isNormal(raw)) return new EntryPath(raw); // the common case: nothing to normalise
        String s = raw;
        if (s.startsWith("/")) s = s.substring(1);
        if (s.endsWith("/")) s = s.substring(0, s.length() - 1);
        if (s.isEmpty() || s.equals(".")) return ROOT;
        StringBuilder out = new StringBuilder(s.length());
        int start = 0;
        while (start <= s.length()) {
            int slash = s.indexOf('/', start);
            int end = slash < 0 ? s.length() : slash;
            String c = s.substring(start, end);
            if (c.isEmpty()) {
                throw new InvalidPathException("path \"" + printable(raw) + "\" has an empty component");
            }
            if (c.equals("..")) {
                throw new InvalidPathException("path \"" + printable(raw) + "\" contains \"..\"");
            }
            if (!c.equals(".")) {
                if (!out.isEmpty()) out.append('/');
                out.append(c);
            }
            if (slash < 0) break;
            start = slash + 1;
        }
        return out.isEmpty() ? ROOT : new EntryPath(out.toString());
    }

    /** Parses a path given as raw bytes, which must be valid UTF-8. */
    public static EntryPath parse(byte[] raw) {
        return parse(Utf8.decode(raw, "path"));
    }

    /** Checks the invariant by scanning characters once; this runs for every path of every tree. */
    private static boolean isNormal(String v) {
        if (v == null) return false;
        int n = v.length();
        if (n == 0) return true;
        int start = 0;
        for (int i = 0; i <= n; i++) {
            char c = i < n ? v.charAt(i) : '/';
            if (c == 0) return false;
            if (c == '/') {
                int len = i - start;
                if (len == 0) return false;
                if (v.charAt(start) == '.' && (len == 1 || (len == 2 && v.charAt(start + 1) == '.'))) return false;
                start = i + 1;
            }
        }
        return true;
    }

    public boolean isRoot() {
        return value.isEmpty();
    }

    /** The last component; the root's name is "". */
    public String name() {
        if (name != null) return name;
        int i = value.lastIndexOf('/');
        return i < 0 ? value : value.substring(i + 1);
    }

    /** The parent path; the root has none and returns null. */
    public EntryPath parent() {
        if (isRoot()) return null;
        int i = value.lastIndexOf('/');
        return i < 0 ? ROOT : new EntryPath(value.substring(0, i), null);
    }

    public EntryPath resolve(String name) {
        return resolve(parse(name));
    }

    public EntryPath resolve(EntryPath child) {
        if (child.isRoot()) return this;
        return isRoot() ? child : new EntryPath(value + "/" + child.value, null);
    }

    /**
     * The entry {@code name} inside this directory path. {@code name} must be one component:
     * not empty, not "." or "..", without '/' or NUL.
     */
    public EntryPath child(String name) {
        if (name.isEmpty() || name.indexOf('/') >= 0 || !isNormal(name)) {
            throw new InvalidPathException("not a file name: \"" + printable(name) + "\"");
        }
        return new EntryPath(isRoot() ? name : value + "/" + name, name);
    }

    public List<String> components() {
        List<String> out = new ArrayList<>();
        if (isRoot()) return out;
        int start = 0;
        while (true) {
            int slash = value.indexOf('/', start);
            if (slash < 0) {
                out.add(value.substring(start));
                return out;
            }
            out.add(value.substring(start, slash));
            start = slash + 1;
        }
    }

    public int depth() {
        if (isRoot()) return 0;
        int n = 1;
        for (int i = 0; i < value.length(); i++) if (value.charAt(i) == '/') n++;
        return n;
    }

    /** True when this path equals {@code ancestor} or lies below it. */
    public boolean startsWith(EntryPath ancestor) {
        if (ancestor.isRoot() || value.equals(ancestor.value)) return true;
        return value.startsWith(ancestor.value) && value.length() > ancestor.value.length()
                && value.charAt(ancestor.value.length()) == '/';
    }

    /** The UTF-8 bytes of the path, without a leading slash. */
    public byte[] bytes() {
        return value.getBytes(StandardCharsets.UTF_8);
    }

    /** "/"-rooted form for display: "/" for the root, "/etc/passwd" otherwise. */
    public String display() {
        return "/" + value;
    }

    @Override
    public String toString() {
        return display();
    }

    /**
     * Depth-first order: compares code points (which is UTF-8 byte order) with the separator
     * ranking below every other character, so a path's descendants follow it directly.
     */
    @Override
    public int compareTo(EntryPath o) {
        return compareNames(value, o.value);
    }

    /** The order of {@link #compareTo} on plain strings; for single names it is unsigned UTF-8 byte order. */
    public static int compareNames(String a, String b) {
        int n = Math.min(a.length(), b.length());
        for (int i = 0; i < n; i++) {
            char ca = a.charAt(i), cb = b.charAt(i);
            if (ca == cb) continue;
            // UTF-16 order equals code point (and so UTF-8) order except that surrogates, which
            // encode code points above U+FFFF, must sort after every other BMP character.
            boolean sa = Character.isSurrogate(ca), sb = Character.isSurrogate(cb);
            if (sa != sb) return sa ? 1 : -1;
            int ra = ca == '/' ? -1 : ca, rb = cb == '/' ? -1 : cb;
            return Integer.compare(ra, rb);
        }
        return Integer.compare(a.length(), b.length());
    }

    /** A form of a possibly hostile name that is safe to print on one line. */
    public static String printable(String s) {
        if (s == null) return "";
        StringBuilder sb = new StringBuilder();
        int limit = Math.min(s.length(), 300);
        for (int i = 0; i < limit; i++) {
            char c = s.charAt(i);
            if (c < 0x20 || c == 0x7f) sb.append(String.format("\\x%02x", (int) c));
            else if (c == '"' || c == '\\') sb.append('\\').append(c);
            else sb.append(c);
        }
        if (s.length() > limit) sb.append("...");
        return sb.toString();
    }
}
