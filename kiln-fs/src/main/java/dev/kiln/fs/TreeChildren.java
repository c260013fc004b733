package dev.kiln.fs;

import java.util.Arrays;
import java.util.Iterator;
import java.util.Map;
import java.util.TreeMap;

/**
 * The entries of one {@link Tree} directory by name, in {@link EntryPath#compareNames} order
 * (unsigned UTF-8 bytes).
 *
 * <p>Sources nearly always add a directory's entries in that order (a walk sorts each listing,
 * archives are usually written sorted), so the entries live in two sorted arrays, appended to
 * at the end: 8 bytes an entry, where a {@code TreeMap} entry costs 40 (32 MB in a tree of a
 * million files). An entry that arrives out of order is inserted in place while the directory is
 * small; a large directory switches to a {@code TreeMap} then, so a shuffled archive of 100 000
 * files in one directory is not quadratic.
 *
 * <p>Values are never null. Not thread-safe, like the tree.
 */
final class TreeChildren {
    /** Out-of-order inserts beyond this size switch to the map. */
    static final int ARRAY_LIMIT = 4096;
    private static final String[] NO_NAMES = {};
    private static final Object[] NO_VALUES = {};

    private String[] names = NO_NAMES;
    private Object[] values = NO_VALUES;
    private int size;
    /** Entries removed through a {@link Cursor} (null values) not yet squeezed out. */
    private int holes;
    /** Non-null once the directory has switched; the arrays are then unused. */
    private TreeMap<String, Object> map;

    int size() {
        return map != null ? map.size() : size - holes;
    }

    boolean isEmpty() {
        return size() == 0;
    }

    Object get(String name) {
        if (map != null) return map.get(name);
        int i = find(name); // a hole keeps its name and reads as absent, so no squeeze under a cursor
        return i >= 0 ? values[i] : null;
    }

    /** Puts {@code value} under {@code name}; returns what was there, or null. */
    Object put(String name, Object value) {
        if (map != null) return map.put(name, value);
        squeeze();
        if (size == 0 || EntryPath.compareNames(names[size - 1], name) < 0) {
            insertAt(size, name, value); // the usual case: in order
            return null;
        }
        int i = find(name);
        if (i >= 0) {
            Object old = values[i];
            values[i] = value;
            return old;
        }
        if (size >= ARRAY_LIMIT) {
            toMap();
            return map.put(name, value);
        }
        insertAt(-i - 1, name, value);
        return null;
    }

    /** Removes the entry {@code name}; returns its value, or null if there was none. */
    Object remove(String name) {
        if (map != null) return map.remove(name);
        squeeze();
        int i = find(name);
        if (i < 0) return null;
        Object old = values[i];
        System.arraycopy(names, i + 1, names, i, size - i - 1);
        System.arraycopy(values, i + 1, values, i, size - i - 1);
        size--;
        names[size] = null;
        values[size] = null;
        return old;
    }

    void clear() {
        map = null;
        names = NO_NAMES;
        values = NO_VALUES;
        size = 0;
        holes = 0;
    }

    /** The entries in order, each value replaceable and removable as the cursor passes it. */
    Cursor cursor() {
        if (map != null) return new MapCursor(map.entrySet().iterator());
        squeeze();
        return new ArrayCursor();
    }

    /** A position in the entries: {@link #next} first, then the accessors for that entry. */
    sealed interface Cursor permits ArrayCursor, MapCursor {
        boolean next();
        String name();
        Object value();
        void setValue(Object v);
        void remove();
    }

    private final class ArrayCursor implements Cursor {
        private int i = -1;

        public boolean next() {
            do {
                i++;
            } while (i < size && values[i] == null);
            if (i < size) return true;
            squeeze();
            return false;
        }

        public String name() { return names[i]; }

        public Object value() { return values[i]; }

        public void setValue(Object v) { values[i] = v; }

        public void remove() {
            // A hole now, squeezed out once: removing every entry of a large directory stays linear.
            values[i] = null;
            holes++;
        }
    }

    private static final class MapCursor implements Cursor {
        private final Iterator<Map.Entry<String, Object>> it;
        private Map.Entry<String, Object> e;
        /** Kept apart: TreeMap may reuse a removed entry's object for its successor. */
        private String name;

        MapCursor(Iterator<Map.Entry<String, Object>> it) { this.it = it; }

        public boolean next() {
            if (!it.hasNext()) return false;
            e = it.next();
            name = e.getKey();
            return true;
        }

        public String name() { return name; }

        public Object value() { return e.getValue(); }

        public void setValue(Object v) { e.setValue(v); }

        public void remove() { it.remove(); }
    }

    private int find(String name) {
        int lo = 0, hi = size - 1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            int c = EntryPath.compareNames(names[mid], name);
            if (c < 0) lo = mid + 1;
            else if (c > 0) hi = mid - 1;
            else return mid;
        }
        return -(lo + 1);
    }

    private void insertAt(int i, String name, Object value) {
        if (size == names.length) {
            int cap = Math.max(4, size + (size >> 1));
            names = Arrays.copyOf(names, cap);
            values = Arrays.copyOf(values, cap);
        }
        System.arraycopy(names, i, names, i + 1, size - i);
        System.arraycopy(values, i, values, i + 1, size - i);
        names[i] = name;
        values[i] = value;
        size++;
    }

    private void squeeze() {
        if (holes == 0) return;
        int w = 0;
        for (int r = 0; r < size; r++) {
            if (values[r] == null) continue;
            names[w] = names[r];
            values[w++] = values[r];
        }
        Arrays.fill(names, w, size, null);
        Arrays.fill(values, w, size, null);
        size = w;
        holes = 0;
    }

    private void toMap() {
        map = new TreeMap<>(EntryPath::compareNames);
        for (int i = 0; i < size; i++) map.put(names[i], values[i]);
        names = NO_NAMES;
        values = NO_VALUES;
        size = 0;
    }
}
