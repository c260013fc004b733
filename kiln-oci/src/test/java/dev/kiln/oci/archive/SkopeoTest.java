package dev.kiln.oci.archive;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.fs.Compression;
import dev.kiln.fs.ImageFormat;
import dev.kiln.fs.Images;
import dev.kiln.fs.Tree;
import dev.kiln.fs.TreeDiff;
import dev.kiln.fs.build.ImageBuild;
import dev.kiln.oci.Descriptor;
import dev.kiln.oci.ImageReference;
import dev.kiln.oci.MediaTypes;
import dev.kiln.oci.OciLayout;
import dev.kiln.oci.Platform;
import dev.kiln.oci.ResolvedImage;
import dev.kiln.oci.source.ContainerImageSource;
import dev.kiln.oci.testing.RawTar;
import dev.kiln.oci.testing.TestImages;
import dev.kiln.oci.testing.TestImages.Layer;
import dev.kiln.oci.testing.Tools;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * kiln and skopeo (Debian's 1.9) read each other's images: every form skopeo writes (OCI
 * archive, Docker archive with its legacy symlinks, zstd layers, Docker media types in a layout,
 * an index kept whole) flattens to the same tree as the original, and what kiln writes passes
 * {@code skopeo inspect} and {@code skopeo copy}, and {@code umoci unpack}.
 */
class SkopeoTest {
    @TempDir
    static Path work;
    static Path source;
    static byte[] expected;

    @BeforeAll
    static void image() throws IOException {
        Tools.require("skopeo", "skopeo");
        Tools.require("umoci", "umoci");
        source = work.resolve("source");
        OciLayout layout = OciLayout.create(source);
        List<Layer> layers = new ArrayList<>();
        for (byte[] t : TestImages.sampleLayers()) layers.add(Layer.of(t, Compression.GZIP));
        Descriptor amd = TestImages.image(layout, "v1", Platform.of("linux", "amd64"), layers);
        Descriptor arm = TestImages.image(layout, null, Platform.of("linux", "arm64"),
                List.of(Layer.of(new RawTar().file("arch", "arm64").bytes(), Compression.GZIP)));
        TestImages.index(layout, "multi", List.of(arm, amd));
        expected = flatten("oci:" + source + ":v1");
    }

    static byte[] flatten(String argument) throws IOException {
        return ImageBuild.builder().source(ContainerImageSource.parse(argument)).format(ImageFormat.TAR).temporaryDirectory(work)
                .build().toBytes();
    }

    static String skopeo(String... args) throws IOException {
        List<String> cmd = new ArrayList<>(List.of("skopeo", "--insecure-policy"));
        cmd.addAll(List.of(args));
        return Tools.run(cmd.toArray(String[]::new));
    }

    static ResolvedImage open(String ref) throws IOException {
        return ImageReferences.open(ImageReference.parse(ref), null, work);
    }

    @Test
    void kilnReadsWhatSkopeoWrites() throws IOException {
        Path ociArchive = work.resolve("skopeo.oci.tar"), dockerArchive = work.resolve("skopeo.docker.tar");
        skopeo("copy", "-q", "oci:" + source + ":v1", "oci-archive:" + ociArchive + ":v1");
        skopeo("copy", "-q", "oci:" + source + ":v1", "docker-archive:" + dockerArchive + ":app:v1");
        assertThat(flatten("oci-archive:" + ociArchive + ":v1")).isEqualTo(expected);
        assertThat(flatten("oci-archive:" + ociArchive)).isEqualTo(expected);
        // skopeo's Docker archive has the legacy ID/layer.tar symlinks and a repositories file.
        assertThat(Tools.run("tar", "-tvf", dockerArchive.toString())).contains("layer.tar -> ../", "repositories");
        assertThat(flatten("docker-archive:" + dockerArchive)).isEqualTo(expected);
        assertThat(flatten("docker-archive:" + dockerArchive + ":app:v1")).isEqualTo(expected);
        try (ResolvedImage i = open("docker-archive:" + dockerArchive)) {
            assertThat(i.manifest().layers()).allSatisfy(d -> assertThat(d.mediaType()).isEqualTo(MediaTypes.DOCKER_LAYER));
        }
    }

    @Test
    void zstdLayersAndDockerMediaTypes() throws IOException {
        Path zstd = work.resolve("zstd"), v2s2 = work.resolve("v2s2");
        skopeo("copy", "-q", "--dest-compress-format", "zstd", "oci:" + source + ":v1", "oci:" + zstd + ":v1");
        try (ResolvedImage i = open("oci:" + zstd + ":v1")) {
            assertThat(i.manifest().layers()).allSatisfy(d -> assertThat(d.mediaType()).isEqualTo(MediaTypes.OCI_LAYER_ZSTD));
        }
        assertThat(flatten("oci:" + zstd + ":v1")).isEqualTo(expected);
        skopeo("copy", "-q", "--format", "v2s2", "oci:" + source + ":v1", "oci:" + v2s2 + ":v1");
        try (ResolvedImage i = open("oci:" + v2s2 + ":v1")) {
            assertThat(i.manifest().mediaType()).isEqualTo(MediaTypes.DOCKER_MANIFEST);
            assertThat(i.manifest().layers()).allSatisfy(d -> assertThat(d.mediaType()).isEqualTo(MediaTypes.DOCKER_LAYER_GZIP));
        }
        assertThat(flatten("oci:" + v2s2 + ":v1")).isEqualTo(expected);
    }

    @Test
    void indexesAsSkopeoKeepsThemAndSinglePlatformCopies() throws IOException {
        Path all = work.resolve("all"), one = work.resolve("one.tar");
        skopeo("copy", "-q", "--all", "oci:" + source + ":multi", "oci:" + all + ":m");
        assertThat(Files.readString(all.resolve("index.json"))).contains("\"m\"");
        assertThat(flatten("oci:" + all + ":m")).isEqualTo(expected);
        skopeo("copy", "-q", "oci:" + source + ":multi", "oci-archive:" + one + ":m");
        assertThat(flatten("oci-archive:" + one)).isEqualTo(expected);
        assertThat(flatten("oci:" + source + ":multi")).isEqualTo(expected);
    }

    @Test
    void skopeoAndUmociReadWhatKilnWrites() throws IOException {
        Path ociArchive = work.resolve("kiln.oci.tar"), dockerArchive = work.resolve("kiln.docker.tar"), layout = work.resolve("kiln-layout");
        ImageCopy.copy(ImageReference.parse("oci:" + source + ":multi"), ImageReference.parse("oci-archive:" + ociArchive + ":v1"), null, work);
        ImageCopy.copy(ImageReference.parse("oci:" + source + ":v1"), ImageReference.parse("docker-archive:" + dockerArchive + ":app:v1"), null, work);
        ImageCopy.copy(ImageReference.parse("docker-archive:" + dockerArchive), ImageReference.parse("oci:" + layout + ":v1"), null, work);
        assertThat(skopeo("inspect", "oci-archive:" + ociArchive + ":v1")).contains("\"Architecture\": \"amd64\"", "\"Layers\"");
        assertThat(skopeo("inspect", "docker-archive:" + dockerArchive)).contains("\"RepoTags\"", "\"Layers\"");
        Path back1 = work.resolve("back1"), back2 = work.resolve("back2");
        skopeo("copy", "-q", "oci-archive:" + ociArchive + ":v1", "oci:" + back1 + ":v1");
        skopeo("copy", "-q", "docker-archive:" + dockerArchive + ":app:v1", "oci:" + back2 + ":v1");
        assertThat(flatten("oci:" + back1 + ":v1")).isEqualTo(expected);
        assertThat(flatten("oci:" + back2 + ":v1")).isEqualTo(expected);
        // umoci takes the layout kiln wrote from a Docker archive (OCI media types, uncompressed layers).
        Path bundle = work.resolve("bundle");
        Tools.run("umoci", "unpack", "--image", layout + ":v1", bundle.toString());
        Path flat = work.resolve("flat.tar");
        Files.write(flat, expected);
        try (Tree unpacked = Images.readDirectory(bundle.resolve("rootfs")); Tree kiln = Images.read(flat)) {
            var diffs = TreeDiff.compare(kiln, unpacked, new TreeDiff.Options(true, true, false, false, false, true));
            assertThat(diffs).as("kiln's flattening vs umoci unpack").isEmpty();
        }
    }

    @Test
    void kilnWritesTheSameArchiveBytesForTheSameImage() throws IOException {
        ImageReference from = ImageReference.parse("oci:" + source + ":v1");
        Path zstd = work.resolve("det-zstd");
        skopeo("copy", "-q", "--dest-compress-format", "zstd", "oci:" + source + ":v1", "oci:" + zstd + ":v1");
        List<byte[]> dockers = new ArrayList<>();
        for (String ref : List.of("oci:" + source + ":v1", "oci:" + zstd + ":v1")) {
            for (int run = 0; run < 2; run++) {
                Path d = work.resolve("det-" + dockers.size() + ".tar");
                ImageCopy.copy(ImageReference.parse(ref), ImageReference.parse("docker-archive:" + d + ":app:v1"), null, work);
                dockers.add(Files.readAllBytes(d));
            }
        }
        // Gzip or zstd, the Docker archive holds the same uncompressed layers: the same bytes.
        for (byte[] d : dockers) assertThat(d).isEqualTo(dockers.getFirst());
        Path a = work.resolve("det-a.tar"), b = work.resolve("det-b.tar");
        ImageCopy.copy(from, ImageReference.parse("oci-archive:" + a + ":v1"), null, work);
        ImageCopy.copy(ImageReference.parse("oci-archive:" + a + ":v1"), ImageReference.parse("oci-archive:" + b + ":v1"), null, work);
        assertThat(Files.readAllBytes(b)).isEqualTo(Files.readAllBytes(a));
        String listing = Tools.run("tar", "--numeric-owner", "-tvf", a.toString());
        assertThat(listing).contains(" 0/0 ").doesNotContain("1970-01-01 00:00:01");
        List<String> names = listing.lines().map(l -> l.substring(l.lastIndexOf(' ') + 1)).toList();
        assertThat(names.subList(0, 3)).containsExactly("./", "./blobs/", "./blobs/sha256/");
        assertThat(names.subList(3, names.size() - 2)).hasSize(5).isSorted().allMatch(n -> n.matches("\\./blobs/sha256/[0-9a-f]{64}"));
        assertThat(names.subList(names.size() - 2, names.size())).containsExactly("./index.json", "./oci-layout");
    }
}
