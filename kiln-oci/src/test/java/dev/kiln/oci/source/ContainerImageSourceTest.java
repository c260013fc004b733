package dev.kiln.oci.source;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kiln.fs.Compression;
import dev.kiln.fs.Entry;
import dev.kiln.fs.EntryPath;
import dev.kiln.fs.ImageFormat;
import dev.kiln.fs.Node;
import dev.kiln.fs.Tree;
import dev.kiln.fs.build.ImageBuild;
import dev.kiln.fs.build.Source;
import dev.kiln.oci.ImageReference;
import dev.kiln.oci.OciException;
import dev.kiln.oci.OciLayout;
import dev.kiln.oci.Platform;
import dev.kiln.oci.archive.ImageCopy;
import dev.kiln.oci.testing.RawTar;
import dev.kiln.oci.testing.TestImages;
import dev.kiln.oci.testing.TestImages.Layer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class ContainerImageSourceTest {
    @TempDir
    Path work;

    private Path layout(Compression c) throws IOException {
        Path dir = work.resolve("layout-" + c);
        OciLayout l = OciLayout.create(dir);
        List<Layer> layers = new ArrayList<>();
        for (byte[] t : TestImages.sampleLayers()) layers.add(Layer.of(t, c));
        TestImages.image(l, "v1", Platform.of("linux", "amd64"), layers);
        return dir;
    }

    private static ImageBuild build(Source s, Path tmp) {
        return ImageBuild.builder().source(s).format(ImageFormat.TAR).temporaryDirectory(tmp).build();
    }

    @ParameterizedTest
    @EnumSource(value = Compression.class, names = {"NONE", "GZIP", "ZSTD"})
    void layersAreLaidAsARuntimeStacksThem(Compression c) throws IOException {
        Path dir = layout(c);
        Path tmp = Files.createDirectory(work.resolve("tmp"));
        try (Tree t = build(ContainerImageSource.parse("oci:" + dir + ":v1"), tmp).tree()) {
            assertThat(t.contains(EntryPath.parse("etc/gone"))).as("whited out").isFalse();
            assertThat(t.list(EntryPath.parse("opq"))).as("opaque directory").containsExactly("new");
            Node opq = t.resolve(EntryPath.parse("opq"));
            assertThat(opq.meta().permissions()).isEqualTo(0700);
            assertThat(opq.meta().uid()).isEqualTo(7);
            Node a = t.resolve(EntryPath.parse("etc/a"));
            assertThat(a.meta().uid()).isEqualTo(1000);
            assertThat(a.meta().gid()).isEqualTo(1001);
            assertThat(a.meta().permissions()).isEqualTo(0640);
            assertThat(t.resolve(EntryPath.parse("bin/tool")).meta().permissions()).isEqualTo(04755);
            assertThat(t.resolve(EntryPath.parse("var/empty")).meta().permissions()).isEqualTo(01777);
            assertThat(t.resolve(EntryPath.parse("etc/c"))).isInstanceOf(Node.File.class);
            // keep/k2 links to a file of the first layer.
            List<Entry> links = new ArrayList<>();
            for (Entry e : t.entries()) if (e.node() instanceof Node.HardLink) links.add(e);
            assertThat(links).hasSize(1);
            assertThat(links.getFirst().path().value()).isEqualTo("keep/k2");
            assertThat(((Node.HardLink) links.getFirst().node()).target().value()).isEqualTo("keep/k");
            assertThat(((Node.File) t.resolve(EntryPath.parse("keep/k2"))).content().readAll()).asString().isEqualTo("kept\n");
            if (c != Compression.NONE) assertThat(spools(tmp)).as("decompressed layers in the build's temporary directory").isNotEmpty();
        }
        assertThat(spools(tmp)).as("closing the tree deletes the decompressed layers").isEmpty();
    }

    @Test
    void uncompressedLayersInALayoutAreReadInPlace() throws IOException {
        Path dir = work.resolve("plain");
        OciLayout l = OciLayout.create(dir);
        TestImages.image(l, "v1", Platform.of("linux", "amd64"),
                List.of(Layer.of(new RawTar().dir("a").file("a/x", "x").bytes(), Compression.NONE),
                        Layer.of(new RawTar().dir("a").file("a/y", "y").bytes(), Compression.NONE)));
        Path tmp = Files.createDirectory(work.resolve("tmp"));
        try (Tree t = build(ContainerImageSource.parse("oci:" + dir), tmp).tree()) {
            assertThat(t.list(EntryPath.parse("a"))).containsExactly("x", "y");
            assertThat(spools(tmp)).isEmpty();
        }
    }

    @Test
    void everyFormOfTheImageFlattensToTheSameBytes() throws IOException {
        Path dir = layout(Compression.GZIP);
        Path tmp = Files.createDirectory(work.resolve("tmp"));
        byte[] expected = build(ContainerImageSource.parse("oci:" + dir + ":v1"), tmp).toBytes();
        ImageReference from = ImageReference.parse("oci:" + dir + ":v1");
        Path ociArchive = work.resolve("image.oci.tar"), dockerArchive = work.resolve("image.docker.tar"), copy = work.resolve("copy");
        ImageCopy.copy(from, ImageReference.parse("oci-archive:" + ociArchive + ":v2"), null, tmp);
        ImageCopy.copy(from, ImageReference.parse("docker-archive:" + dockerArchive + ":app:v3"), null, tmp);
        ImageCopy.copy(ImageReference.parse("docker-archive:" + dockerArchive), ImageReference.parse("oci:" + copy + ":v4"), null, tmp);
        for (String arg : List.of("oci-archive:" + ociArchive, "oci-archive:" + ociArchive + ":v2", "docker-archive:" + dockerArchive,
                "docker-archive:" + dockerArchive + ":app:v3", "oci:" + copy + ":v4")) {
            assertThat(build(ContainerImageSource.parse(arg), tmp).toBytes()).as(arg).isEqualTo(expected);
        }
        assertThat(spools(tmp)).isEmpty();
    }

    @Test
    void anIndexIsFollowedToThePlatformsManifest() throws IOException {
        Path dir = work.resolve("multi");
        OciLayout l = OciLayout.create(dir);
        var amd = TestImages.image(l, null, Platform.of("linux", "amd64"), List.of(Layer.of(new RawTar().file("arch", "amd64").bytes(), Compression.GZIP)));
        var arm = TestImages.image(l, null, Platform.of("linux", "arm64"), List.of(Layer.of(new RawTar().file("arch", "arm64").bytes(), Compression.GZIP)));
        TestImages.index(l, "multi", List.of(arm, amd));
        try (Tree t = build(ContainerImageSource.parse("oci:" + dir + ":multi"), work).tree()) {
            assertThat(((Node.File) t.resolve(EntryPath.parse("arch"))).content().readAll()).asString().isEqualTo("amd64");
        }
        try (Tree t = build(ContainerImageSource.parse("oci:" + dir + ":multi", Platform.of("linux", "arm64")), work).tree()) {
            assertThat(((Node.File) t.resolve(EntryPath.parse("arch"))).content().readAll()).asString().isEqualTo("arm64");
        }
        assertThatThrownBy(() -> build(ContainerImageSource.parse("oci:" + dir + ":multi", Platform.of("linux", "s390x")), work).tree())
                .isInstanceOf(OciException.class).hasMessageContaining("no manifest for linux/s390x").hasMessageContaining("linux/arm64, linux/amd64");
    }

    @Test
    void aDirectoryALayerOnlyImpliesKeepsItsMetadata() throws IOException {
        Path dir = work.resolve("implied");
        OciLayout l = OciLayout.create(dir);
        TestImages.image(l, "v1", Platform.of("linux", "amd64"), List.of(
                Layer.of(new RawTar().dir("./", 0700, 0, 0).dir("etc", 0750, 3, 4).file("etc/x", "x").bytes(), Compression.NONE),
                Layer.of(new RawTar().mtime(5).file("etc/y", "y").whiteout("etc/x").bytes(), Compression.GZIP)));
        try (Tree t = build(ContainerImageSource.parse("oci:" + dir), work).tree()) {
            assertThat(t.list(EntryPath.parse("etc"))).containsExactly("y");
            Node etc = t.resolve(EntryPath.parse("etc"));
            assertThat(etc.meta().permissions()).isEqualTo(0750);
            assertThat(etc.meta().uid()).isEqualTo(3);
            assertThat(etc.meta().mtime()).isEqualTo(1_700_000_000L);
            assertThat(t.resolve(EntryPath.ROOT).meta().permissions()).isEqualTo(0700);
        }
    }

    @Test
    void aGlobalHeaderBeforeALinkToALowerLayerStillAppliesToTheMembersAfterIt() throws IOException {
        Path dir = work.resolve("global");
        OciLayout l = OciLayout.create(dir);
        TestImages.image(l, "v1", Platform.of("linux", "amd64"), List.of(
                Layer.of(new RawTar().file("a", "a").bytes(), Compression.NONE),
                Layer.of(new RawTar().paxGlobal("SCHILY.xattr.user.origin", "upper").hardLink("b", "a").file("c", "c").bytes(), Compression.GZIP)));
        try (Tree t = build(ContainerImageSource.parse("oci:" + dir), work).tree()) {
            assertThat(t.resolve(EntryPath.parse("c")).meta().xattrs().get("user.origin")).asString().isEqualTo("upper");
            assertThat(t.list(EntryPath.ROOT)).containsExactly("a", "b", "c");
        }
    }

    @Test
    void argumentsAreCheckedWhenParsed() {
        assertThat(ContainerImageSource.isImageArgument("oci:x")).isTrue();
        assertThat(ContainerImageSource.isImageArgument("rootfs/")).isFalse();
        assertThatThrownBy(() -> ContainerImageSource.parse("oci:" + work.resolve("missing")))
                .isInstanceOf(OciException.class).hasMessageContaining("missing").hasMessageContaining("not a directory");
        assertThatThrownBy(() -> ContainerImageSource.parse("docker-archive:" + work.resolve("none.tar")))
                .isInstanceOf(OciException.class).hasMessageContaining("no such file");
        assertThatThrownBy(() -> ContainerImageSource.parse("rootfs/")).isInstanceOf(OciException.class);
        assertThatThrownBy(() -> ContainerImageSource.parse("docker://alpine")).isInstanceOf(OciException.class).hasMessageContaining("registry");
    }

    static List<Path> spools(Path tmp) throws IOException {
        try (Stream<Path> s = Files.list(tmp)) {
            return s.toList();
        }
    }
}
