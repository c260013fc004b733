package dev.kiln.fs;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/** The directory entries behave as a sorted map whatever the order of puts, in both forms. */
class TreeChildrenTest {
    @Test
    void anyOrderOfPutsRemovesAndCursorRemovalsMatchASortedMap() {
        // Small sizes stay arrays with inserts in place; the large one switches to the map.
        for (int n : new int[] {0, 1, 7, 300, TreeChildren.ARRAY_LIMIT + 500}) {
            for (boolean shuffled : new boolean[] {false, true}) {
                List<String> names = new ArrayList<>();
                for (int i = 0; i < n; i++) names.add("n" + Integer.toString(i * 7919 % 100_003, 36) + (i % 3 == 0 ? "é" : ""));
                if (shuffled) Collections.shuffle(names, new Random(n));
                else names.sort(EntryPath::compareNames);
                TreeChildren c = new TreeChildren();
                TreeMap<String, Object> expected = new TreeMap<>(EntryPath::compareNames);
                for (String s : names) {
                    assertThat(c.put(s, s + "1")).isEqualTo(expected.put(s, s + "1"));
                }
                for (int i = 0; i < names.size(); i += 5) { // replacing keeps one entry
                    String s = names.get(i);
                    assertThat(c.put(s, s + "2")).isEqualTo(expected.put(s, s + "2"));
                }
                for (int i = 1; i < names.size(); i += 9) {
                    assertThat(c.remove(names.get(i))).isEqualTo(expected.remove(names.get(i)));
                }
                assertThat(c.remove("absent")).isNull();
                assertThat(contents(c)).as("n=%d shuffled=%b", n, shuffled).isEqualTo(new ArrayList<>(expected.entrySet()));

                // Remove every other entry through the cursor, replace the rest, then read back.
                int k = 0;
                for (TreeChildren.Cursor cur = c.cursor(); cur.next(); k++) {
                    if (k % 2 == 0) cur.remove();
                    else cur.setValue(cur.name() + "3");
                    assertThat(c.get(cur.name())).as("n=%d shuffled=%b k=%d", n, shuffled, k).isEqualTo(k % 2 == 0 ? null : cur.name() + "3");
                }
                k = 0;
                for (var it = expected.entrySet().iterator(); it.hasNext(); k++) {
                    var e = it.next();
                    if (k % 2 == 0) it.remove();
                    else e.setValue(e.getKey() + "3");
                }
                assertThat(c.size()).isEqualTo(expected.size());
                assertThat(contents(c)).isEqualTo(new ArrayList<>(expected.entrySet()));
                for (String s : names) assertThat(c.get(s)).isEqualTo(expected.get(s));
                c.put("zzz", "z"); // still usable after the holes are squeezed out
                expected.put("zzz", "z");
                assertThat(contents(c)).isEqualTo(new ArrayList<>(expected.entrySet()));
                c.clear();
                assertThat(c.isEmpty()).isTrue();
                assertThat(c.cursor().next()).isFalse();
            }
        }
    }

    private static List<java.util.Map.Entry<String, Object>> contents(TreeChildren c) {
        List<java.util.Map.Entry<String, Object>> out = new ArrayList<>();
        for (TreeChildren.Cursor cur = c.cursor(); cur.next(); ) out.add(java.util.Map.entry(cur.name(), cur.value()));
        return out;
    }
}
