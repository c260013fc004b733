package dev.kiln.fs.target;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.fs.Content;
import dev.kiln.fs.EntryPath;
import dev.kiln.fs.Metadata;
import dev.kiln.fs.Node;
import dev.kiln.fs.Tree;
import java.io.InputStream;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What --target unikraft does to a tree before the build: ukcpio's directory umask. */
class UnikraftTargetTest {
    private static EntryPath p(String s) {
        return new EntryPath(s);
    }

    private static int mode(Tree t, String path) {
        return t.resolve(path.isEmpty() ? EntryPath.ROOT : p(path)).meta().permissions();
    }

    @Test
    void groupAndOtherWriteBitsOfDirectoriesAreClearedWithOneWarningAsUkcpiosUmaskDoes() {
        Tree t = new Tree(Metadata.of(0777));
        t.put(p("pub"), new Node.Directory(Metadata.of(0777)));
        t.put(p("pub/team"), new Node.Directory(Metadata.of(02775)));
        t.put(p("pub/team/notes"), new Node.File(Metadata.of(0666), Content.of(new byte[3])));
        t.put(p("private"), new Node.Directory(Metadata.of(0700)));
        t.put(p("tmp"), new Node.Directory(Metadata.of(0757)));

        List<Finding> findings = new UnikraftTarget().prepare(t);

        assertThat(mode(t, "pub")).isEqualTo(0755);
        assertThat(mode(t, "pub/team")).as("setgid goes too, as Unikraft drops special bits").isEqualTo(0755);
        assertThat(mode(t, "tmp")).isEqualTo(0755);
        assertThat(mode(t, "private")).isEqualTo(0700);
        assertThat(mode(t, "pub/team/notes")).as("files keep their modes in ramfs").isEqualTo(0666);
        assertThat(mode(t, "")).as("the root gets the '.' entry's mode by chmod, unmasked").isEqualTo(0777);
        assertThat(findings).filteredOn(f -> f.message().contains("umask"))
                .singleElement()
                .satisfies(f -> {
                    assertThat(f.isError()).isFalse();
                    assertThat(f.path()).isEqualTo(p("pub"));
                    assertThat(f.message()).startsWith("3 directories were group/other-writable");
                });
        assertThat(new UnikraftTarget().lint(t)).noneMatch(f -> f.message().contains("umask"));
    }

    @Test
    void aTreeWithoutWritableDirectoriesGetsNoUmaskWarning() {
        Tree t = new Tree();
        t.put(p("etc"), new Node.Directory(Metadata.of(0755)));
        assertThat(new UnikraftTarget().prepare(t)).noneMatch(f -> f.message().contains("umask"));
    }

    @Test
    void theNoteAfterABuildGivesTheRulesFigureAndWhereTheMemoryGoes() {
        Tree t = new Tree();
        t.put(p("f"), new Node.File(Metadata.of(0644), sized(16 << 20)));
        List<Finding> notes = new UnikraftTarget().afterBuild(t, 16_777_728);
        assertThat(notes).singleElement().satisfies(f -> {
            assertThat(f.severity()).isEqualTo(Finding.Severity.INFO);
            assertThat(f.message()).startsWith("the guest needs at least 65 MiB of memory for this initrd")
                    .contains("the 16.0 MiB archive stays in memory").contains("32.0 MiB of page-rounded blocks");
        });
    }

    /** A file of that many bytes whose data is never read: the rule needs only sizes. */
    static Content sized(long size) {
        return new Content() {
            public long size() { return size; }
            public InputStream open() { throw new UnsupportedOperationException("the memory rule must not read data"); }
        };
    }
}
