package dev.kiln.fs.source;

import dev.kiln.fs.build.MtimePolicy;
import dev.kiln.fs.build.Ownership;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kiln.fs.Content;
import dev.kiln.fs.Entry;
import dev.kiln.fs.EntryPath;
import dev.kiln.fs.KilnException;
import dev.kiln.fs.Metadata;
import dev.kiln.fs.Node;
import dev.kiln.fs.Tree;
import dev.kiln.fs.testing.Listing;
import dev.kiln.fs.testing.SampleTree;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SourcesTest {
    @TempDir Path tmp;

    private static final Listing.Options EXACT = Listing.Options.ALL.withNanos(true).withXattrs(true);

    @Test
    void directorySourceSeesEverythingTheHostHas() throws Exception {
        Path dir = Files.createDirectory(tmp.resolve("src"));
        SampleTree.create(dir);
        SampleTree.run("setfattr", "-n", "user.kiln", "-v", "hello", dir.resolve("etc/hostname").toString());
        SampleTree.run("setfattr", "-n", "trusted.overlay.opaque", "-v", "y", dir.resolve("data").toString());
        SampleTree.setTimes(dir);
        Tree tree = Sources.build(List.of(Sources.parse(dir.toString())), Excludes.NONE, MtimePolicy.KEEP, Ownership.KEEP);
        assertThat(Listing.of(tree, EXACT)).isEqualTo(Listing.of(dir, EXACT));
        assertThat(Listing.of(tree, EXACT)).contains("xattr:user.kiln=").contains("xattr:trusted.overlay.opaque=");
    }

    @Test
    void ownerRootIsTheDefaultForHostFilesAndKeepsEverythingElse() throws Exception {
        Path dir = Files.createDirectory(tmp.resolve("src"));
        SampleTree.create(dir);
        Tree tree = Sources.build(List.of(Sources.parse(dir.toString())), Excludes.NONE, MtimePolicy.KEEP);
        for (Entry e : tree.entries()) {
            if (e.node() instanceof Node.HardLink) continue;
            assertThat(e.node().meta().uid()).as(e.path().display()).isZero();
            assertThat(e.node().meta().gid()).as(e.path().display()).isZero();
        }
        assertThat(Listing.of(tree, EXACT.withOwners(false))).isEqualTo(Listing.of(dir, EXACT.withOwners(false)));
    }

    @Test
    void mappingsPlaceFilesAndDirectoriesAndLaterSourcesWin() throws Exception {
        Path a = Files.createDirectories(tmp.resolve("a/etc"));
        Files.writeString(a.resolve("motd"), "from a\n");
        Files.writeString(a.resolve("keep"), "kept\n");
        Path b = Files.createDirectories(tmp.resolve("b"));
        Files.writeString(b.resolve("motd"), "from b\n");
        Path bin = Files.writeString(tmp.resolve("app"), "#!/bin/sh\n");
        Tree tree = Sources.build(List.of(
                Sources.parse(tmp.resolve("a").toString()),
                Sources.parse(b + ":/etc"),
                Sources.parse(bin + ":/usr/local/bin/"),
                Sources.parse(bin + ":/sbin/init")), Excludes.NONE, MtimePolicy.KEEP);
        assertThat(read(tree, "etc/motd")).isEqualTo("from b\n");
        assertThat(read(tree, "etc/keep")).isEqualTo("kept\n");
        assertThat(read(tree, "usr/local/bin/app")).isEqualTo("#!/bin/sh\n");
        assertThat(read(tree, "sbin/init")).isEqualTo("#!/bin/sh\n");
        // Implied parents are root-owned 0755 directories.
        assertThat(tree.resolve(EntryPath.parse("usr/local")).mode()).isEqualTo(Node.S_IFDIR | 0755);
    }

    @Test
    void whiteoutsDeleteAndOpaqueMarkersEmptyLowerLayersOnly() {
        Tree lower = new Tree();
        put(lower, "etc/passwd", "old");
        put(lower, "etc/group", "old");
        put(lower, "-x", "lower");
        put(lower, "var/cache/a", "a");
        put(lower, "var/cache/b", "b");
        Tree upper = new Tree();
        put(upper, "etc/.wh.passwd", "");
        put(upper, ".wh.-x", "");
        put(upper, "-x", "upper");       // same layer as its whiteout: survives
        put(upper, "var/cache/.wh..wh..opq", "");
        put(upper, "var/cache/c", "c");  // added by the opaque layer itself: survives
        Layers.apply(lower, upper, true, Ownership.KEEP);
        List<String> paths = new ArrayList<>();
        for (Entry e : lower.entries()) paths.add(e.path().display());
        assertThat(paths).containsExactly("/", "/-x", "/etc", "/etc/group", "/var", "/var/cache", "/var/cache/c");
        assertThat(read(lower, "-x")).isEqualTo("upper");
    }

    @Test
    void hardLinkKeepsTheNodeItLinkedEvenWhenTheTargetIsReplaced() {
        Tree t = new Tree();
        put(t, "a", "first");
        t.put(EntryPath.parse("b"), new Node.HardLink(EntryPath.parse("a")));
        put(t, "a", "second");
        assertThat(read(t, "b")).isEqualTo("first");
        assertThat(read(t, "a")).isEqualTo("second");
        assertThatThrownBy(() -> t.put(EntryPath.parse("c"), new Node.HardLink(EntryPath.parse("missing"))))
                .isInstanceOf(KilnException.class).hasMessageContaining("/missing does not exist");
    }

    @Test
    void aWideDeepTreeReadsTheSameEveryTimeWithHardLinksAtTheirFirstPath() throws Exception {
        // Directories are listed on a pool; the tree must not depend on which thread finishes first.
        Path dir = Files.createDirectory(tmp.resolve("src"));
        for (int i = 0; i < 40; i++) {
            Path d = Files.createDirectories(dir.resolve("d" + (39 - i) + "/a/b/c"));
            for (int j = 0; j < 25; j++) Files.writeString(d.resolve("f" + j), "file " + i + "/" + j);
        }
        Files.writeString(dir.resolve("d7/a/shared"), "linked");
        Files.createLink(dir.resolve("d30/a/b/second"), dir.resolve("d7/a/shared"));
        Files.createLink(dir.resolve("d12/first"), dir.resolve("d7/a/shared"));
        Files.createSymbolicLink(dir.resolve("d3/a/sym"), Path.of("../../d7/a/shared"));
        List<String> listings = new ArrayList<>();
        for (int round = 0; round < 5; round++) {
            Tree tree = HostSource.read(dir);
            listings.add(Listing.of(tree, EXACT));
            java.util.Map<String, Node> nodes = new java.util.HashMap<>();
            for (Entry e : tree.entries()) nodes.put(e.path().value(), e.node());
            assertThat(nodes.get("d12/first")).isInstanceOf(Node.File.class);
            assertThat(nodes.get("d30/a/b/second")).isEqualTo(new Node.HardLink(EntryPath.parse("d12/first")));
            assertThat(nodes.get("d7/a/shared")).isEqualTo(new Node.HardLink(EntryPath.parse("d12/first")));
        }
        assertThat(listings).allMatch(l -> l.equals(listings.getFirst()));
        assertThat(listings.getFirst()).isEqualTo(Listing.of(dir, EXACT));
    }

    @Test
    void aHostNameThatIsNotUtf8IsRefusedNamingItsDirectory() throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("src/sub"));
        SampleTree.run("sh", "-c", "cd '" + dir + "' && touch \"$(printf 'bad\\377name')\"");
        assertThatThrownBy(() -> HostSource.read(tmp.resolve("src")))
                .isInstanceOf(KilnException.class)
                .hasMessageContaining(dir.toString())
                .hasMessageContaining("not valid UTF-8")
                .hasMessageContaining("ff");
    }

    @Test
    void aMappedSymlinkKeepsItsTargetAndOneThatIsNotUtf8IsRefused() throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("links"));
        Files.createSymbolicLink(dir.resolve("ok"), Path.of("../lib/é/x"));
        Tree tree = Sources.build(List.of(Sources.parse(dir.resolve("ok") + ":/usr/lib/link")),
                Excludes.NONE, MtimePolicy.KEEP);
        assertThat(tree.resolve(EntryPath.parse("usr/lib/link"))).isInstanceOfSatisfying(Node.Symlink.class,
                s -> assertThat(s.target()).isEqualTo("../lib/é/x"));
        SampleTree.run("sh", "-c", "cd '" + dir + "' && ln -s \"$(printf 'bad\\377target')\" bad");
        assertThatThrownBy(() -> Sources.build(List.of(Sources.parse(dir.resolve("bad") + ":/bad")),
                Excludes.NONE, MtimePolicy.KEEP))
                .isInstanceOf(KilnException.class)
                .hasMessageContaining("symlink target of " + dir.resolve("bad"))
                .hasMessageContaining("not valid UTF-8")
                .hasMessageContaining("ff");
    }

    @Test
    void excludesMatchNamesAnywhereOrAnchoredPaths() throws Exception {
        Path dir = Files.createDirectory(tmp.resolve("src"));
        SampleTree.create(dir);
        Tree tree = Sources.build(List.of(Sources.parse(dir.toString())),
                Excludes.of(List.of("*.txt", "/data/deep", "links/hard1")), MtimePolicy.KEEP);
        String listing = Listing.of(tree, Listing.Options.ALL);
        assertThat(listing).doesNotContain(".txt").doesNotContain("/data/deep").doesNotContain("/links/hard1 ")
                .contains("/data/size-0").contains("/links/hard2");
    }

    @Test
    void mtimePolicies() {
        Metadata m = Metadata.of(0644).withMtime(2_000_000_000L, 5);
        assertThat(MtimePolicy.clamp(1_700_000_000L).apply(m).mtime()).isEqualTo(1_700_000_000L);
        assertThat(MtimePolicy.clamp(1_700_000_000L).apply(m.withMtime(5, 1)).mtime()).isEqualTo(5);
        assertThat(MtimePolicy.KEEP.apply(m)).isEqualTo(m);
        assertThat(MtimePolicy.parse("0").apply(m).mtime()).isZero();
        assertThat(MtimePolicy.parse("keep").apply(m)).isEqualTo(m);
        assertThatThrownBy(() -> MtimePolicy.parse("yesterday")).hasMessageStartingWith("mtime: ");
        assertThat(Ownership.parse("1000:100")).isEqualTo(new Ownership.Fixed(1000, 100));
        assertThatThrownBy(() -> Ownership.parse("bob")).hasMessageStartingWith("owner: ");
    }

    private static void put(Tree t, String path, String text) {
        t.put(EntryPath.parse(path), new Node.File(Metadata.of(0644), Content.of(text.getBytes())));
    }

    private static String read(Tree t, String path) {
        try {
            return new String(((Node.File) t.resolve(EntryPath.parse(path))).content().readAll());
        } catch (java.io.IOException e) {
            throw new AssertionError(e);
        }
    }
}
