package dev.kiln.oci.source;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kiln.fs.Compression;
import dev.kiln.fs.ImageFormat;
import dev.kiln.fs.build.ImageBuild;
import dev.kiln.oci.Descriptor;
import dev.kiln.oci.ImageReference;
import dev.kiln.oci.Index;
import dev.kiln.oci.OciException;
import dev.kiln.oci.OciJson;
import dev.kiln.oci.OciLayout;
import dev.kiln.oci.Platform;
import dev.kiln.oci.archive.ImageCopy;
import dev.kiln.oci.testing.RawTar;
import dev.kiln.oci.testing.TestImages;
import dev.kiln.oci.testing.TestImages.Layer;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Bad images fail with one typed error that names the blob, the entry or the field, before
 * anything is left at the destination: an image build, an OCI archive, a Docker archive and a
 * layout copy are all tried for each.
 */
class BadImageTest {
    @TempDir
    Path work;
    Path dir;
    OciLayout layout;
    Descriptor manifest;
    Descriptor layer;

    @BeforeEach
    void image() throws IOException {
        dir = work.resolve("layout");
        layout = OciLayout.create(dir);
        manifest = TestImages.image(layout, "v1", Platform.of("linux", "amd64"), List.of(
                Layer.of(new RawTar().dir("etc").file("etc/a", "a".repeat(3000)).bytes(), Compression.NONE),
                Layer.of(new RawTar().dir("etc").file("etc/b", "b").bytes(), Compression.GZIP)));
        var m = (OciJson.ManifestDocument) OciJson.decodeManifestOrIndex(layout.readBlob(manifest), null, "m");
        layer = m.manifest().layers().getFirst();
    }

    /** Each way of reading the image fails with {@code message} in the error, and no output appears. */
    private void refusedEverywhere(String reference, String... message) throws IOException {
        refused(reference, true, message);
    }

    /** The build and the Docker archive (which need tar layers) fail; with {@code copiesToo}, the OCI copies too. */
    private void refused(String reference, boolean copiesToo, String... message) throws IOException {
        Path out = work.resolve("out");
        Files.createDirectories(out);
        ImageReference ref = ImageReference.parse(reference);
        List<ThrowingCallable> attempts = new java.util.ArrayList<>(List.of(
                () -> ImageBuild.builder().source(ContainerImageSource.parse(reference)).format(ImageFormat.EROFS).build()
                        .writeTo(out.resolve("rootfs.erofs")),
                () -> ImageCopy.copy(ref, ImageReference.parse("docker-archive:" + out.resolve("docker.tar") + ":app"), null, work)));
        if (copiesToo) {
            attempts.add(() -> ImageCopy.copy(ref, ImageReference.parse("oci-archive:" + out.resolve("image.tar")), null, work));
            attempts.add(() -> ImageCopy.copy(ref, ImageReference.parse("oci:" + out.resolve("copy") + ":v1"), null, work));
        }
        for (ThrowingCallable a : attempts) {
            var t = assertThatThrownBy(a).isInstanceOf(OciException.class);
            for (String m : message) t.hasMessageContaining(m);
        }
        try (var s = Files.list(out)) {
            assertThat(s.toList()).as("nothing written").isEmpty();
        }
        try (var s = Files.list(work)) {
            assertThat(s.filter(p -> p.getFileName().toString().startsWith("kiln-")).toList()).as("no temporary left").isEmpty();
        }
    }

    @Test
    void aBlobWhoseDigestDoesNotMatch() throws IOException {
        try (RandomAccessFile f = new RandomAccessFile(layout.blobPath(layer.digest()).toFile(), "rw")) {
            f.seek(600);
            f.write('X');
        }
        refusedEverywhere("oci:" + dir + ":v1", layer.digest().toString(), "does not match");
    }

    @Test
    void aTruncatedBlob() throws IOException {
        try (RandomAccessFile f = new RandomAccessFile(layout.blobPath(layer.digest()).toFile(), "rw")) {
            f.setLength(1024);
        }
        refusedEverywhere("oci:" + dir + ":v1", layer.digest().toString(), "1024 bytes");
    }

    @Test
    void aTruncatedBlobInAnArchive() throws IOException {
        // A layer cut short inside an OCI archive: the member is shorter than its descriptor says.
        Path archive = work.resolve("in.tar");
        byte[] cut = java.util.Arrays.copyOf(Files.readAllBytes(layout.blobPath(layer.digest())), 1000);
        RawTar t = new RawTar().file("oci-layout", "{\"imageLayoutVersion\":\"1.0.0\"}")
                .file("index.json", new String(Files.readAllBytes(dir.resolve("index.json")), StandardCharsets.UTF_8));
        try (var s = Files.list(dir.resolve("blobs/sha256"))) {
            for (Path p : s.sorted().toList()) {
                byte[] data = p.getFileName().toString().equals(layer.digest().encoded()) ? cut : Files.readAllBytes(p);
                t.file("blobs/sha256/" + p.getFileName(), data, 0644, 0, 0);
            }
        }
        Files.write(archive, t.bytes());
        refusedEverywhere("oci-archive:" + archive + ":v1", layer.digest().toString(), "1000 bytes");
    }

    @Test
    void aManifestWithTheWrongSize() throws IOException {
        Descriptor wrong = new Descriptor(manifest.mediaType(), manifest.digest(), manifest.size() + 1, null, null, null);
        Files.write(dir.resolve("index.json"), OciJson.encode(Index.of(List.of(wrong))));
        refusedEverywhere("oci:" + dir, manifest.digest().toString(), "its descriptor gives " + (manifest.size() + 1));
    }

    @Test
    void anUnknownLayerMediaType() throws IOException {
        Descriptor m = TestImages.storeManifest(layout, Platform.of("linux", "amd64"),
                List.of(Layer.of(new RawTar().file("rom", "x").bytes(), Compression.NONE)), "application/vnd.example.rom.v1");
        layout.tag("rom", m);
        // An OCI copy takes any blob (a ROM is a fine artifact to copy); flattening and docker save need tars.
        refused("oci:" + dir + ":rom", false, "application/vnd.example.rom.v1", "layer 1 of 1 (sha256:", "not a filesystem layer");
    }

    @Test
    void aLayerPathEscapingTheRoot() throws IOException {
        byte[] evil = new RawTar().dir("etc").file("../x", "escaped").bytes();
        Descriptor m = TestImages.image(layout, "evil", Platform.of("linux", "amd64"), List.of(Layer.of(evil, Compression.GZIP)));
        var d = ((OciJson.ManifestDocument) OciJson.decodeManifestOrIndex(layout.readBlob(m), null, "m")).manifest().layers().getFirst();
        // The copies only move blobs and so accept it; the build refuses it, naming the layer and the entry.
        Path out = work.resolve("rootfs.erofs");
        assertThatThrownBy(() -> ImageBuild.builder().source(ContainerImageSource.parse("oci:" + dir + ":evil")).format(ImageFormat.EROFS).build().writeTo(out))
                .isInstanceOf(OciException.class).hasMessageContaining(d.digest().toString()).hasMessageContaining("entry \"../x\"")
                .hasMessageContaining("..");
        assertThat(out).doesNotExist();
        assertThatThrownBy(() -> ImageBuild.builder().source(ContainerImageSource.parse("oci:" + dir + ":evil")).format(ImageFormat.TAR).build().toBytes())
                .isInstanceOf(OciException.class).hasMessageContaining("entry \"../x\"");
        byte[] evilLink = new RawTar().file("a", "a").hardLink("b", "../../etc/shadow").bytes();
        TestImages.image(layout, "evil-link", Platform.of("linux", "amd64"), List.of(Layer.of(evilLink, Compression.NONE)));
        assertThatThrownBy(() -> ImageBuild.builder().source(ContainerImageSource.parse("oci:" + dir + ":evil-link")).format(ImageFormat.TAR).build().toBytes())
                .isInstanceOf(OciException.class).hasMessageContaining("entry \"b\"").hasMessageContaining("..");
    }

    @Test
    void aDockerArchiveNamingAMissingFile() throws IOException {
        Path good = work.resolve("good.tar");
        ImageCopy.copy(ImageReference.parse("oci:" + dir + ":v1"), ImageReference.parse("docker-archive:" + good + ":app:v1"), null, work);
        // The same archive with manifest.json naming a layer file that is not there.
        Path bad = work.resolve("bad.tar");
        Path unpacked = Files.createDirectory(work.resolve("unpacked"));
        dev.kiln.oci.testing.Tools.run("tar", "-xf", good.toString(), "-C", unpacked.toString());
        Path mj = unpacked.resolve("manifest.json");
        String json = Files.readString(mj);
        String layerFile = json.replaceAll("(?s).*\"Layers\":\\[\"([0-9a-f]+\\.tar)\".*", "$1");
        Files.writeString(mj, json.replace(layerFile, "missing/layer.tar"));
        dev.kiln.oci.testing.Tools.run("tar", "-cf", bad.toString(), "-C", unpacked.toString(), ".");
        dev.kiln.oci.testing.Tools.run("rm", "-rf", unpacked.toString());
        refusedEverywhere("docker-archive:" + bad, "manifest.json[0].Layers[0]", "missing/layer.tar", "not a file in the archive");
    }
}
