package dev.kiln.fs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class TreeTest {
    @Test
    void entriesComeDepthFirstInByteOrderWithImpliedParents() {
        Tree t = new Tree();
        for (String p : new String[] {"a-c", "a/b", "é", "Z", "a.d/x", "!"}) {
            t.put(EntryPath.parse(p), new Node.File(Metadata.of(0644), Content.empty()));
        }
        List<String> order = new ArrayList<>();
        for (Entry e : t.entries()) order.add(e.path().display());
        assertThat(order).containsExactly("/", "/!", "/Z", "/a", "/a/b", "/a-c", "/a.d", "/a.d/x", "/é");
    }

    @Test
    void hostileDepthIsRefusedNotAStackOverflow() {
        Tree t = new Tree();
        String ok = "d/".repeat(Tree.MAX_DEPTH - 1) + "f";
        t.put(EntryPath.parse(ok), new Node.File(Metadata.of(0644), Content.empty()));
        assertThat(t.size()).isEqualTo(Tree.MAX_DEPTH + 1);
        String deep = "d/".repeat(Tree.MAX_DEPTH) + "f";
        assertThatThrownBy(() -> t.put(EntryPath.parse(deep), new Node.File(Metadata.of(0644), Content.empty())))
                .isInstanceOf(InvalidPathException.class).hasMessageContaining("deeper than 2048 levels");
    }
}
