package dev.kiln.platform.volume;

import static dev.kiln.platform.volume.VolumeTesting.differences;
import static dev.kiln.platform.volume.VolumeTesting.loopFilesUnder;
import static dev.kiln.platform.volume.VolumeTesting.mountsAt;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.fs.ImageFormat;
import dev.kiln.fs.Images;
import dev.kiln.fs.Tree;
import dev.kiln.platform.volume.VolumeDisk.Kind;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What kiln serve finds at start: volumes its database knows, volumes it does not, and work a crash left. */
class VolumeCollectTest {
    @TempDir
    Path work;
    Path dir;
    VolumeDisks disks;

    @BeforeEach
    void open() throws Exception {
        dir = work.resolve("volumes");
        disks = VolumeDisks.open(dir);
        dir = dir.toRealPath();
    }

    @AfterEach
    void unmount() throws Exception {
        VolumeTesting.unmountAll(work);
        assertThat(loopFilesUnder(work)).as("loop devices left attached").isEmpty();
    }

    @Test
    void collectRemovesUnknownVolumesMountedOrNotAndCrashedWorkAndKeepsKnownVolumesAsTheyAre() throws Exception {
        UUID kept = UUID.randomUUID(), keptBlock = UUID.randomUUID();
        UUID unknownShared = UUID.randomUUID(), unknown = UUID.randomUUID(), unknownBlock = UUID.randomUUID();
        disks.create(kept, 4, Kind.NINE_P);
        Path share = disks.share(kept);
        Files.writeString(share.resolve("data.txt"), "kept");
        disks.create(keptBlock, 4, Kind.EXT4_BLOCK);
        disks.create(unknownShared, 4, Kind.NINE_P);
        Files.writeString(disks.share(unknownShared).resolve("gone.txt"), "gone");
        disks.create(unknown, 4, Kind.NINE_P);
        disks.create(unknownBlock, 4, Kind.EXT4_BLOCK);
        // An export that a crash interrupted: its image still mounted read-only in its work directory.
        Path crashed = Files.createDirectories(dir.resolve(".tmp-" + UUID.randomUUID() + "-export-123/ro"));
        Path image = crashed.resolveSibling("disk.ext4");
        Host.check(List.of("truncate", "-s", "2M", image.toString()));
        Host.check(List.of("mke2fs", "-q", "-F", "-t", "ext4", image.toString()));
        Host.check(List.of("mount", "-o", "loop,ro", image.toString(), crashed.toString()));
        Files.createDirectories(dir.resolve(".tmp-" + UUID.randomUUID() + "-import-9/tree/etc"));
        Files.writeString(dir.resolve("notes.txt"), "not ours");

        // A new server, as after a crash, knowing two of the volumes.
        VolumeDisks.Collected c = VolumeDisks.open(dir).collect(Set.of(kept, keptBlock));
        assertThat(c.volumes()).containsExactlyInAnyOrder(unknownShared, unknown, unknownBlock);
        assertThat(c.temporaries()).hasSize(2);
        assertThat(c.failures()).isEmpty();

        assertThat(disks.exists(kept)).isTrue();
        assertThat(disks.exists(keptBlock)).isTrue();
        assertThat(mountsAt(share)).isEqualTo(1);
        assertThat(Files.readString(share.resolve("data.txt"))).isEqualTo("kept");
        assertThat(Mounts.under(dir)).extracting(Mounts.Mount::at).containsExactly(share);
        try (var s = Files.list(dir)) {
            assertThat(s.map(p -> p.getFileName().toString()))
                    .containsExactlyInAnyOrder(kept.toString(), keptBlock.toString(), "notes.txt");
        }
        assertThat(loopFilesUnder(dir)).hasSize(1);
    }

    @Test
    void aVolumeStillInUseIsReportedAndLeftWhileTheRestIsCollected() throws Exception {
        UUID busy = UUID.randomUUID(), idle = UUID.randomUUID();
        disks.create(busy, 4, Kind.NINE_P);
        Path share = disks.share(busy);
        disks.create(idle, 4, Kind.NINE_P);
        try (var open = Files.newDirectoryStream(share)) {
            VolumeDisks.Collected c = disks.collect(Set.of());
            assertThat(c.volumes()).containsExactly(idle);
            assertThat(c.failures()).isNotEmpty().allSatisfy(f -> assertThat(f).contains("is in use"));
            assertThat(disks.exists(busy)).isTrue();
            assertThat(mountsAt(share)).isEqualTo(1);
        }
        assertThat(disks.collect(Set.of()).volumes()).containsExactly(busy);
        assertThat(Mounts.under(dir)).isEmpty();
    }

    @Test
    void aPlainDirectoryVolumeIsImportedExportedAndRecoveredFromAnImportCutShort() throws Exception {
        VolumeDisks plain = VolumeDisks.open(work.resolve("plain"), false);
        Path plainDir = plain.directory();
        UUID id = UUID.randomUUID();
        plain.create(id, 1, Kind.NINE_P);
        Path share = plain.share(id);
        Files.writeString(share.resolve("old.txt"), "old");
        Path cpio = work.resolve("sample.cpio");
        VolumeImportExportTest.sample().fileName("sample.cpio").build().writeTo(cpio);
        plain.importFrom(id, cpio);
        assertThat(Files.readString(share.resolve("old.txt"))).isEqualTo("old");
        assertThat(Files.getAttribute(share.resolve("bin/tool"), "unix:mode")).isEqualTo(0100000 | 04755);
        assertThat(plain.usage(id).usedBytes()).isGreaterThan(200 * 1024);

        Path out = work.resolve("plain.tar");
        plain.exportTo(id, out);
        try (Tree expected = VolumeImportExportTest.sample().format(ImageFormat.TAR).build().tree(); Tree actual = Images.read(out)) {
            actual.remove(dev.kiln.fs.EntryPath.parse("old.txt"));
            assertThat(differences(expected, actual)).isEmpty();
        }

        // A crash between the import's two renames leaves the old contents under .old-UUID.
        Files.move(plainDir.resolve(id.toString()), plainDir.resolve(".old-" + id));
        assertThat(plain.exists(id)).isFalse();
        assertThat(plain.collect(Set.of(id)).temporaries()).isEmpty();
        assertThat(Files.readString(plain.share(id).resolve("old.txt"))).isEqualTo("old");
        assertThat(plain.collect(Set.of()).volumes()).containsExactly(id);
        try (var s = Files.list(plainDir)) {
            assertThat(s).isEmpty();
        }
    }
}
