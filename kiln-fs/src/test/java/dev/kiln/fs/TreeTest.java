package dev.kiln.fs;

import dev.kiln.fs.io.AtomicFile;
import dev.kiln.fs.io.Utf8;

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
    void namesSortByUtf8BytesEvenAboveTheBasicPlane() {
        // U+1F600 is D83D DE00 in UTF-16 (below U+FFFD) but F0.. in UTF-8 (above EF BF BD).
        String emoji = "\uD83D\uDE00", replacement = "\uFFFD";
        assertThat(EntryPath.compareNames(emoji, replacement)).isPositive();
        assertThat(EntryPath.compareNames(replacement, emoji)).isNegative();
        assertThat(java.util.Arrays.compareUnsigned(emoji.getBytes(java.nio.charset.StandardCharsets.UTF_8),
                replacement.getBytes(java.nio.charset.StandardCharsets.UTF_8))).isPositive();
        assertThat(EntryPath.compareNames("a/b", "a-c")).isNegative();
        assertThat(EntryPath.compareNames("a", "a/b")).isNegative();
    }

    @Test
    void utf8LengthMatchesTheEncoder() {
        for (String s : new String[] {"", "abc", "é", "€uro", "\uD83D\uDE00x", "\uD83D", "a\uDE00b", "\uD83D\uD83D\uDE00"}) {
            assertThat(Utf8.length(s)).as(s).isEqualTo(s.getBytes(java.nio.charset.StandardCharsets.UTF_8).length);
        }
    }

    @Test
    void mappedMetadataIsSharedAndUnchangedNodesAreKept() {
        Tree t = new Tree();
        for (int i = 0; i < 5; i++) {
            t.put(EntryPath.parse("d/f" + i), new Node.File(new Metadata(0644, 0, 0, 1000 + i, 0, Xattrs.NONE), Content.empty()));
        }
        Metadata pinned = new Metadata(0755, 0, 0, 7, 0, Xattrs.NONE);
        t.put(EntryPath.parse("d/x"), new Node.File(pinned, Content.empty()));
        t.mapMetadata(n -> n.meta().withMtime(7, 0)); // a fresh but equal record for every entry
        List<Metadata> files = new ArrayList<>();
        for (Entry e : t.entries()) if (e.path().name().startsWith("f")) files.add(e.node().meta());
        assertThat(files).hasSize(5).allSatisfy(m -> assertThat(m).isSameAs(files.getFirst()));
        assertThat(files.getFirst().mtime()).isEqualTo(7);
        Node x = t.get(EntryPath.parse("d/x")).orElseThrow();
        assertThat(x.meta()).isEqualTo(pinned);
        t.mapMetadata(n -> n.meta()); // identity: every node stays as it is
        assertThat(t.get(EntryPath.parse("d/x")).orElseThrow()).isSameAs(x);
    }

    @Test
    void hardLinksShareOneNodeThroughReplacementMappingAndRemoval() {
        Tree t = new Tree();
        Node.File a = new Node.File(Metadata.of(0644), Content.of(new byte[] {1}));
        t.put(EntryPath.parse("a"), a);
        t.put(EntryPath.parse("b"), a); // the same object twice, but not linked: two files
        t.put(EntryPath.parse("d/l1"), new Node.HardLink(EntryPath.parse("a")));
        t.put(EntryPath.parse("d/l2"), new Node.HardLink(EntryPath.parse("d/l1")));
        assertThat(links(t)).containsExactly("/:1", "/a:3", "/b:1", "/d:1", "/d/l1:3>/a", "/d/l2:3>/a");

        t.mapMetadata(n -> n.meta().withMtime(9, 0)); // the group is mapped once and stays one group
        assertThat(links(t)).containsExactly("/:1", "/a:3", "/b:1", "/d:1", "/d/l1:3>/a", "/d/l2:3>/a");
        assertThat(t.get(EntryPath.parse("d/l2")).orElseThrow()).isSameAs(t.get(EntryPath.parse("a")).orElseThrow());
        assertThat(t.get(EntryPath.parse("b")).orElseThrow()).isNotSameAs(t.get(EntryPath.parse("a")).orElseThrow());
        assertThat(t.contentBytes()).isEqualTo(2); // a's group once, b once

        // Replacing the first path keeps the links on the old node, as when a layer replaces a file.
        t.put(EntryPath.parse("a"), new Node.File(Metadata.of(0600), Content.empty()));
        assertThat(links(t)).containsExactly("/:1", "/a:1", "/b:1", "/d:1", "/d/l1:2", "/d/l2:2>/d/l1");
        t.remove(EntryPath.parse("d/l1"));
        assertThat(links(t)).containsExactly("/:1", "/a:1", "/b:1", "/d:1", "/d/l2:1");
        assertThat(t.get(EntryPath.parse("d/l2")).orElseThrow().meta().mtime()).isEqualTo(9);
    }

    /** Each entry as path:links, with ">target" for a hard link. */
    private static List<String> links(Tree t) {
        List<String> out = new ArrayList<>();
        for (Entry e : t.entries()) {
            out.add(e.path().display() + ":" + e.links() + (e.node() instanceof Node.HardLink h ? ">" + h.target() : ""));
        }
        return out;
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
