package dev.kiln.platform.volume;

import static dev.kiln.platform.volume.VolumeTesting.assertNothingLeftOver;
import static dev.kiln.platform.volume.VolumeTesting.differences;
import static dev.kiln.platform.volume.VolumeTesting.fsck;
import static dev.kiln.platform.volume.VolumeTesting.loopFilesUnder;
import static dev.kiln.platform.volume.VolumeTesting.mountsAt;
import static dev.kiln.platform.volume.VolumeTesting.text;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kiln.fs.EntryPath;
import dev.kiln.fs.Extractor;
import dev.kiln.fs.FormatException;
import dev.kiln.fs.ImageFormat;
import dev.kiln.fs.Images;
import dev.kiln.fs.Metadata;
import dev.kiln.fs.Tree;
import dev.kiln.fs.build.ImageBuild;
import dev.kiln.fs.build.Source;
import dev.kiln.platform.volume.VolumeDisk.Kind;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Filling volumes from directories and images, and copying them out, as kiln serve does for volume import and export. */
class VolumeImportExportTest {
    @TempDir
    Path work;
    Path dir;
    VolumeDisks disks;

    @BeforeEach
    void open() throws Exception {
        dir = work.resolve("volumes");
        disks = VolumeDisks.open(dir);
    }

    @AfterEach
    void unmount() throws Exception {
        VolumeTesting.unmountAll(work);
        assertThat(loopFilesUnder(work)).as("loop devices left attached").isEmpty();
    }

    /** Owners, modes (setuid included), times, a symlink, a hard link, an empty directory. */
    static ImageBuild.Builder sample() {
        byte[] blob = new byte[200 * 1024];
        new Random(7).nextBytes(blob);
        Metadata user = Metadata.of(0600).withOwner(1000, 1000).withMtime(1_700_000_000, 0);
        return ImageBuild.builder().source(Source.memory()
                .file("etc/app/config.json", "{\"name\":\"probe\"}\n".getBytes(StandardCharsets.UTF_8), Metadata.of(0644).withMtime(1_600_000_000, 0))
                .file("bin/tool", "#!/bin/sh\n".getBytes(StandardCharsets.UTF_8), Metadata.of(04755))
                .directory("home/user", Metadata.of(0700).withOwner(1000, 1000))
                .file("home/user/secret", "s3cret".getBytes(StandardCharsets.UTF_8), user)
                .file("data/blob", blob, Metadata.of(0640).withOwner(33, 33))
                .symlink("config", "etc/app/config.json")
                .directory("empty")
                .build());
    }

    /** The sample as a source of the given kind: a directory, or an image of the given name. */
    private Path sampleAs(String kind) throws Exception {
        if (kind.equals("directory")) {
            Path d = work.resolve("sample-dir");
            try (Tree t = sample().format(ImageFormat.TAR).build().tree()) {
                new Extractor(true).extract(t, d);
            }
            return d;
        }
        Path out = work.resolve("sample." + kind);
        sample().fileName(out.getFileName().toString()).build().writeTo(out);
        return out;
    }

    @ParameterizedTest
    @ValueSource(strings = {"directory", "cpio", "tar.gz", "erofs"})
    void aDirectoryOrAnImageImportedIntoAVolumeAppearsWithItsBytesOwnersAndModes(String kind) throws Exception {
        Path source = sampleAs(kind);
        UUID id = UUID.randomUUID();
        disks.create(id, 16, Kind.NINE_P);
        Path share = disks.share(id);
        VolumeDisks.Imported imported = disks.importFrom(id, source);
        assertThat(imported.warnings()).isEmpty();
        assertThat(imported.fileBytes()).isEqualTo(200 * 1024 + 17 + 10 + 6);

        assertThat(mountsAt(share)).as("the share is mounted again, on the new image").isEqualTo(1);
        assertThat(Files.getAttribute(share.resolve("bin/tool"), "unix:mode")).isEqualTo(0100000 | 04755);
        assertThat(Files.getAttribute(share.resolve("home/user/secret"), "unix:uid")).isEqualTo(1000);
        assertThat(Files.readString(share.resolve("config"))).isEqualTo("{\"name\":\"probe\"}\n");
        Path out = work.resolve("export.cpio");
        disks.exportTo(id, out);
        try (Tree expected = sample().format(ImageFormat.TAR).build().tree(); Tree actual = Images.read(out)) {
            assertThat(differences(expected, actual)).isEmpty();
        }
        assertNothingLeftOver(dir);
    }

    @Test
    void anImportIsLaidOverWhatTheVolumeHolds() throws Exception {
        UUID id = UUID.randomUUID();
        disks.create(id, 8, Kind.NINE_P);
        Path share = disks.share(id);
        Files.writeString(share.resolve("a.txt"), "old");
        Files.writeString(share.resolve("keep.txt"), "kept");
        Files.createDirectories(share.resolve("dir/sub"));
        Files.writeString(share.resolve("dir/sub/deep.txt"), "deep");
        Path src = Files.createDirectories(work.resolve("src"));
        Files.writeString(src.resolve("a.txt"), "new");
        Files.createDirectories(src.resolve("dir"));
        Files.writeString(src.resolve("dir/b.txt"), "b");
        disks.importFrom(id, src);
        assertThat(Files.readString(share.resolve("a.txt"))).isEqualTo("new");
        assertThat(Files.readString(share.resolve("keep.txt"))).isEqualTo("kept");
        assertThat(Files.readString(share.resolve("dir/sub/deep.txt"))).isEqualTo("deep");
        assertThat(Files.readString(share.resolve("dir/b.txt"))).isEqualTo("b");
        assertThat(share.resolve("lost+found")).isDirectory();
    }

    @Test
    void anImportIntoAReleasedVolumeLeavesItReleased() throws Exception {
        UUID id = UUID.randomUUID();
        disks.create(id, 8, Kind.NINE_P);
        Files.writeString(disks.share(id).resolve("a.txt"), "a");
        disks.release(id);
        disks.importFrom(id, sampleAs("tar.gz"));
        Path mnt = dir.resolve(id + "/mnt");
        assertThat(mountsAt(mnt)).isZero();
        assertThat(Files.readString(disks.share(id).resolve("a.txt"))).isEqualTo("a");
        assertThat(Files.readString(mnt.resolve("etc/app/config.json"))).isEqualTo("{\"name\":\"probe\"}\n");
        assertNothingLeftOver(dir);
    }

    @Test
    void anImportTooLargeForTheVolumeSaysHowMuchItNeedsAndChangesNothing() throws Exception {
        UUID id = UUID.randomUUID();
        disks.create(id, 4, Kind.NINE_P);
        Path share = disks.share(id);
        Files.writeString(share.resolve("x.txt"), "before");
        Path src = Files.createDirectories(work.resolve("big"));
        byte[] eight = new byte[8 << 20];
        new Random(3).nextBytes(eight);
        Files.write(src.resolve("eight-mib"), eight);
        assertThatThrownBy(() -> disks.importFrom(id, src)).isInstanceOf(VolumeException.class)
                .hasMessageContaining("need at least 8.0 MiB")
                .hasMessageContaining("volume " + id + " (size_mb 4) has room for 2.6 MiB")
                .extracting(e -> ((VolumeException) e).field()).isEqualTo("source");
        assertThat(Files.readString(share.resolve("x.txt"))).isEqualTo("before");
        assertThat(share.resolve("eight-mib")).doesNotExist();
        assertThat(mountsAt(share)).isEqualTo(1);
        assertNothingLeftOver(dir);
    }

    @Test
    void tooManyFilesForTheVolumesInodesAreRefusedToo() throws Exception {
        UUID id = UUID.randomUUID();
        disks.create(id, 1, Kind.NINE_P);
        Path src = Files.createDirectories(work.resolve("many"));
        for (int i = 0; i < 300; i++) Files.createFile(src.resolve("f" + i));
        assertThatThrownBy(() -> disks.importFrom(id, src)).isInstanceOf(VolumeException.class)
                .hasMessageContaining("and 302 inodes (302 entries, 0 bytes in 300 files)");
        assertNothingLeftOver(dir);
    }

    @Test
    void aTruncatedArchiveFailsNamingWhereAndChangesNothing() throws Exception {
        UUID id = UUID.randomUUID();
        disks.create(id, 8, Kind.NINE_P);
        Path share = disks.share(id);
        Files.writeString(share.resolve("x.txt"), "before");
        Path cpio = sampleAs("cpio");
        try (FileChannel ch = FileChannel.open(cpio, StandardOpenOption.WRITE)) {
            ch.truncate(ch.size() / 2);
        }
        assertThatThrownBy(() -> disks.importFrom(id, cpio)).isInstanceOf(FormatException.class)
                .hasMessage(cpio + ": offset 616 (entry \"data/blob\"): file size 204800 runs past the end of the archive"
                        + " (102688 bytes left)");

        Path garbage = Files.write(work.resolve("garbage.tar"), "this is not an archive".repeat(100).getBytes(StandardCharsets.UTF_8));
        assertThatThrownBy(() -> disks.importFrom(id, garbage)).isInstanceOf(VolumeException.class)
                .hasMessage(garbage + ": neither a directory nor a cpio, tar or EROFS image (plain, gzip, zstd or xz)");
        assertThatThrownBy(() -> disks.importFrom(id, work.resolve("missing.cpio"))).isInstanceOf(VolumeException.class)
                .hasMessageEndingWith("missing.cpio: no such file or directory");

        assertThat(Files.readString(share.resolve("x.txt"))).isEqualTo("before");
        try (var s = Files.list(share)) {
            assertThat(s.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder("lost+found", "x.txt");
        }
        assertThat(mountsAt(share)).isEqualTo(1);
        assertNothingLeftOver(dir);
    }

    @ParameterizedTest
    @ValueSource(strings = {"cpio", "tar", "erofs", "tar.gz", "cpio.zst"})
    void anExportReadsBackAsTheTreeWrittenIntoTheVolume(String extension) throws Exception {
        UUID id = UUID.randomUUID();
        disks.create(id, 8, Kind.NINE_P);
        Path share = disks.share(id);
        Files.createDirectories(share.resolve("srv/www"));
        Files.writeString(share.resolve("srv/www/index.html"), "<h1>hi</h1>\n");
        Files.write(share.resolve("srv/data.bin"), new byte[70_000]);
        Files.createLink(share.resolve("srv/hard.bin"), share.resolve("srv/data.bin"));
        Files.createSymbolicLink(share.resolve("srv/latest"), Path.of("www/index.html"));
        Files.setAttribute(share.resolve("srv/www/index.html"), "unix:mode", 0640);
        Files.setAttribute(share.resolve("srv/www/index.html"), "unix:uid", 101);
        Files.setAttribute(share.resolve("srv/www"), "unix:gid", 102);
        Path out = work.resolve("volume." + extension);
        disks.exportTo(id, out);
        try (Tree expected = Images.readDirectory(share); Tree actual = Images.read(out)) {
            expected.remove(EntryPath.parse("lost+found"));
            assertThat(differences(expected, actual)).isEmpty();
        }
        assertNothingLeftOver(dir);
    }

    @Test
    void anUnsharedVolumeIsExportedThroughATemporaryReadOnlyMount() throws Exception {
        UUID id = UUID.randomUUID();
        disks.create(id, 8, Kind.NINE_P);
        Files.writeString(disks.share(id).resolve("hello.txt"), "hi");
        disks.release(id);
        Path out = work.resolve("released.tar");
        disks.exportTo(id, out);
        assertThat(text(out, "hello.txt")).isEqualTo("hi");
        assertThat(mountsAt(dir.resolve(id + "/mnt"))).isZero();
        assertThatThrownBy(() -> disks.exportTo(id, work.resolve("volume.zip"))).isInstanceOf(VolumeException.class)
                .hasMessageContaining("the name says no image format kiln writes")
                .extracting(e -> ((VolumeException) e).field()).isEqualTo("out");
        assertNothingLeftOver(dir);
    }

    @Test
    void aBlockVolumeIsImportedAndExportedWithoutStayingMounted() throws Exception {
        UUID id = UUID.randomUUID();
        disks.create(id, 16, Kind.EXT4_BLOCK);
        Path cpio = sampleAs("cpio");
        disks.importFrom(id, cpio);
        Path extra = Files.createDirectories(work.resolve("extra"));
        Files.writeString(extra.resolve("more.txt"), "more");
        disks.importFrom(id, extra);
        assertThat(Mounts.under(dir.toRealPath())).isEmpty();
        Host.Result check = fsck(disks.disk(id));
        assertThat(check.status()).as(check.out() + check.err()).isZero();
        assertThat(Host.check(List.of("blkid", "-o", "export", disks.disk(id).toString()))).contains("UUID=" + id);

        Path out = work.resolve("block.tar");
        disks.exportTo(id, out);
        assertThat(Mounts.under(dir.toRealPath())).isEmpty();
        try (Tree expected = sample().source(Source.directory(extra)).owners(dev.kiln.fs.build.Ownership.KEEP).format(ImageFormat.TAR).build().tree();
             Tree actual = Images.read(out)) {
            // the directory source's root is the host's temporary directory; the volume keeps its own root
            assertThat(differences(expected, actual)).isEmpty();
        }
        assertNothingLeftOver(dir);
    }

    @Test
    void importingTenMebibytesIsTimed() throws Exception {
        Path src = Files.createDirectories(work.resolve("ten"));
        Random r = new Random(11);
        for (int i = 0; i < 10; i++) {
            byte[] b = new byte[1 << 20];
            r.nextBytes(b);
            Files.write(src.resolve("file-" + i), b);
        }
        Path tar = work.resolve("ten.tar");
        ImageBuild.builder().source(Source.directory(src)).fileName("ten.tar").build().writeTo(tar);
        UUID id = UUID.randomUUID();
        disks.create(id, 32, Kind.NINE_P);
        Path share = disks.share(id);
        long t0 = System.nanoTime();
        disks.importFrom(id, tar);
        long t1 = System.nanoTime();
        disks.importFrom(id, src);
        long t2 = System.nanoTime();
        System.out.printf("import of 10 MiB into a shared 32 MiB volume: tar %.0f ms, directory (over the first) %.0f ms%n",
                (t1 - t0) / 1e6, (t2 - t1) / 1e6);
        assertThat(Files.size(share.resolve("file-9"))).isEqualTo(1 << 20);
        assertThat(disks.collect(Set.of(id)).volumes()).isEmpty();
    }
}
