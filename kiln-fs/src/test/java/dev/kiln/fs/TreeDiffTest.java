package dev.kiln.fs;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class TreeDiffTest {
    private static Tree sample() {
        Tree t = new Tree();
        t.put(EntryPath.parse("etc/passwd"), new Node.File(Metadata.of(0644).withMtime(10, 0), Content.of("root\n".getBytes())));
        t.put(EntryPath.parse("etc/shadow"), new Node.File(Metadata.of(0600), Content.of("x\n".getBytes())));
        t.put(EntryPath.parse("var/lib/a"), new Node.File(Metadata.of(0600), Content.of("a".getBytes())));
        t.put(EntryPath.parse("bin/sh"), new Node.Symlink(Metadata.of(0777), "busybox"));
        t.put(EntryPath.parse("bin/ash"), new Node.HardLink(EntryPath.parse("etc/shadow")));
        return t;
    }

    @Test
    void equalTreesHaveNoDifferences() throws Exception {
        assertThat(TreeDiff.compare(sample(), sample(), TreeDiff.Options.DEFAULT)).isEmpty();
    }

    @Test
    void everyKindOfDifferenceIsOneLine() throws Exception {
        Tree b = sample();
        b.put(EntryPath.parse("etc/passwd"), new Node.File(Metadata.of(0600).withOwner(1, 2).withMtime(11, 0), Content.of("toor\n".getBytes())));
        b.put(EntryPath.parse("bin/sh"), new Node.Symlink(Metadata.of(0777), "dash"));
        b.remove(EntryPath.parse("var"));
        b.put(EntryPath.parse("new"), new Node.Fifo(Metadata.of(0644)));
        b.put(EntryPath.parse("bin/ash"), new Node.File(Metadata.of(0600), Content.of("x\n".getBytes())));
        List<String> lines = TreeDiff.compare(sample(), b, TreeDiff.Options.DEFAULT).stream().map(TreeDiff.Difference::line).toList();
        assertThat(lines).containsExactly(
                "link /bin/ash: linked with /bin/ash -> not linked",
                "target /bin/sh: busybox -> dash",
                "content /etc/passwd: sha differs -> (same size 5)",
                "mode /etc/passwd: 0644 -> 0600",
                "owner /etc/passwd: 0:0 -> 1:2",
                "mtime /etc/passwd: 10 -> 11",
                "link /etc/shadow: linked with /bin/ash -> not linked",
                "+ /new",
                "- /var");
    }
}
