package dev.kiln.fs;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.fs.Content;
import dev.kiln.fs.EntryPath;
import dev.kiln.fs.Metadata;
import dev.kiln.fs.Node;
import dev.kiln.fs.Tree;
import dev.kiln.fs.source.Excludes;
import dev.kiln.fs.build.MtimePolicy;
import dev.kiln.fs.build.Ownership;
import dev.kiln.fs.source.Sources;
import dev.kiln.fs.testing.Listing;
import dev.kiln.fs.testing.SampleTree;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ExtractorTest {
    @TempDir Path tmp;

    @Test
    void extractionRestoresEverything() throws Exception {
        Path src = Files.createDirectory(tmp.resolve("src"));
        SampleTree.create(src);
        SampleTree.run("setfattr", "-n", "user.kiln", "-v", "v", src.resolve("etc/passwd").toString());
        SampleTree.setTimes(src);
        Tree tree = Sources.build(List.of(Sources.parse(src.toString())), Excludes.NONE, MtimePolicy.KEEP, Ownership.KEEP);
        Path out = tmp.resolve("out");
        List<String> warnings = new Extractor(Extractor.runningAsRoot()).extract(tree, out);
        assertThat(warnings).isEmpty();
        Listing.Options all = Listing.Options.ALL.withNanos(true).withXattrs(true);
        assertThat(Listing.of(out, all)).isEqualTo(Listing.of(src, all));
    }

    @Test
    void neverWritesThroughASymlinkAlreadyInTheTarget() throws Exception {
        Path outside = Files.createDirectory(tmp.resolve("outside"));
        Path out = Files.createDirectory(tmp.resolve("out"));
        Files.createSymbolicLink(out.resolve("etc"), outside);
        Files.createSymbolicLink(out.resolve("motd"), outside.resolve("victim"));
        Tree tree = new Tree();
        tree.put(EntryPath.parse("etc/passwd"), new Node.File(Metadata.of(0644), Content.of("root\n".getBytes())));
        tree.put(EntryPath.parse("motd"), new Node.File(Metadata.of(0644), Content.of("hi\n".getBytes())));
        new Extractor(false).extract(tree, out);
        try (var s = Files.list(outside)) {
            assertThat(s.toList()).isEmpty();
        }
        assertThat(Files.isDirectory(out.resolve("etc"), LinkOption.NOFOLLOW_LINKS)).isTrue();
        assertThat(Files.readString(out.resolve("etc/passwd"))).isEqualTo("root\n");
        assertThat(Files.isSymbolicLink(out.resolve("motd"))).isFalse();
    }

    @Test
    void devicesNeedRoot() throws Exception {
        Tree tree = new Tree();
        tree.put(EntryPath.parse("dev/console"), new Node.Device(Metadata.of(0600), Node.DeviceKind.CHAR, 5, 1));
        Path out = tmp.resolve("out");
        List<String> warnings = new Extractor(false).extract(tree, out);
        assertThat(warnings).containsExactly("1 device nodes not created: only root may create device nodes");
        assertThat(Files.exists(out.resolve("dev/console"), LinkOption.NOFOLLOW_LINKS)).isFalse();
    }
}
