package dev.kiln.fs;

import java.util.Arrays;
import java.util.Collections;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Extended attributes of an entry: full names ("user.foo", "security.capability",
 * "system.posix_acl_access") to raw values, iterated in name order. Immutable; values are
 * copied in and out.
 */
public final class Xattrs {
    public static final Xattrs NONE = new Xattrs(new TreeMap<>());

    private final SortedMap<String, byte[]> map;

    private Xattrs(SortedMap<String, byte[]> map) {
        this.map = map;
    }

    public static Xattrs of(Map<String, byte[]> values) {
        if (values.isEmpty()) return NONE;
        TreeMap<String, byte[]> m = new TreeMap<>(EntryPath::compareNames);
        values.forEach((k, v) -> {
            if (k.isEmpty() || k.indexOf('\0') >= 0) throw new KilnException("invalid xattr name \"" + EntryPath.printable(k) + "\"");
            m.put(k, v.clone());
        });
        return new Xattrs(m);
    }

    public boolean isEmpty() {
        return map.isEmpty();
    }

    public int size() {
        return map.size();
    }

    /** The names in order. */
    public java.util.Set<String> names() {
        return Collections.unmodifiableSet(map.keySet());
    }

    public byte[] get(String name) {
        byte[] v = map.get(name);
        return v == null ? null : v.clone();
    }

    /** A read-only view; do not modify the arrays. */
    public SortedMap<String, byte[]> asMap() {
        return Collections.unmodifiableSortedMap(map);
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof Xattrs x) || x.map.size() != map.size()) return false;
        for (var e : map.entrySet()) {
            byte[] other = x.map.get(e.getKey());
            if (other == null || !Arrays.equals(other, e.getValue())) return false;
        }
        return true;
    }

    @Override
    public int hashCode() {
        int h = 0;
        for (var e : map.entrySet()) h += e.getKey().hashCode() ^ Arrays.hashCode(e.getValue());
        return h;
    }

    @Override
    public String toString() {
        return map.keySet().toString();
    }
}
