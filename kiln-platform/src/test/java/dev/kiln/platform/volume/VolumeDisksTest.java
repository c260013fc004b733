package dev.kiln.platform.volume;

import static dev.kiln.platform.volume.VolumeTesting.assertNothingLeftOver;
import static dev.kiln.platform.volume.VolumeTesting.fill;
import static dev.kiln.platform.volume.VolumeTesting.fsck;
import static dev.kiln.platform.volume.VolumeTesting.loopFilesUnder;
import static dev.kiln.platform.volume.VolumeTesting.mountsAt;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kiln.platform.volume.VolumeDisk.Kind;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Volumes on this host as root: ext4 images, loop-mounted for 9p (the tests need root, as kiln serve does). */
class VolumeDisksTest {
    @TempDir
    Path work;
    Path dir;
    VolumeDisks disks;

    @BeforeEach
    void open() throws Exception {
        dir = work.resolve("volumes");
        disks = VolumeDisks.open(dir);
        assertThat(disks.enforcesSize()).as(disks.sizeNote()).isTrue();
    }

    @AfterEach
    void unmount() throws Exception {
        VolumeTesting.unmountAll(work);
        assertThat(loopFilesUnder(work)).as("loop devices left attached").isEmpty();
    }

    @Test
    void aHostWriterFillingAShareGetsEnospcAtAboutTheVolumesSizeAndTheImageStaysClean() throws Exception {
        UUID id = UUID.randomUUID();
        long t0 = System.nanoTime();
        VolumeDisk v = disks.create(id, 32, Kind.NINE_P);
        long t1 = System.nanoTime();
        Path share = disks.share(id);
        long t2 = System.nanoTime();
        System.out.printf("create 32 MiB: %.1f ms, share (mount): %.1f ms%n", (t1 - t0) / 1e6, (t2 - t1) / 1e6);
        assertThat(v).isEqualTo(new VolumeDisk(id, Kind.NINE_P, 32, true));
        assertThat(share).isEqualTo(dir.toRealPath().resolve(id.toString()).resolve("mnt"));
        assertThat(java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(share))).isEqualTo("rwxr-xr-x");
        assertThat(Files.getAttribute(share, "unix:uid")).isEqualTo(0);
        VolumeDisks.Usage empty = disks.usage(id);
        assertThat(empty.sizeBytes()).isEqualTo(32L << 20);

        VolumeTesting.Filled f = fill(share.resolve("filler"));
        System.out.printf("32 MiB volume: %d bytes written before ENOSPC, %d free when empty%n", f.bytes(), empty.freeBytes());
        assertThat(f.failure()).hasMessageContaining("No space left on device");
        // ext4's own structures take the rest: inode tables and a 1 MiB journal.
        assertThat(f.bytes()).isBetween(27L << 20, 32L << 20).isLessThanOrEqualTo(empty.freeBytes());
        assertThat(disks.usage(id).freeBytes()).isLessThan(64 * 1024);

        disks.release(id);
        assertThat(mountsAt(share)).isZero();
        Host.Result check = fsck(dir.resolve(id.toString()).resolve("disk.ext4"));
        assertThat(check.status()).as(check.out() + check.err()).isZero();
        assertThat(disks.usage(id).freeBytes()).as("from the superblock, unmounted").isLessThan(64 * 1024);
    }

    @Test
    void dataSurvivesReleaseAndAServerThatRestartsFindsTheMountInsteadOfMountingAgain() throws Exception {
        UUID id = UUID.randomUUID();
        disks.create(id, 8, Kind.NINE_P);
        Path share = disks.share(id);
        Files.writeString(share.resolve("note.txt"), "kept");
        disks.release(id);
        assertThat(share.resolve("note.txt")).doesNotExist();
        assertThat(Files.readString(disks.share(id).resolve("note.txt"))).isEqualTo("kept");

        // As after a kill -9 of kiln serve: a new instance on the same directory, the mount still there.
        long t0 = System.nanoTime();
        VolumeDisks restarted = VolumeDisks.open(dir);
        System.out.printf("open (with its trial mount): %.1f ms%n", (System.nanoTime() - t0) / 1e6);
        VolumeDisks.Collected c = restarted.collect(Set.of(id));
        assertThat(c.volumes()).isEmpty();
        assertThat(c.failures()).isEmpty();
        assertThat(mountsAt(share)).isEqualTo(1);
        assertThat(restarted.share(id)).isEqualTo(share);
        assertThat(mountsAt(share)).isEqualTo(1);
        assertThat(Files.readString(share.resolve("note.txt"))).isEqualTo("kept");
        assertNothingLeftOver(dir);
    }

    @Test
    void sharingFromManyThreadsAtOnceMountsOnce() throws Exception {
        UUID id = UUID.randomUUID();
        disks.create(id, 4, Kind.NINE_P);
        List<Future<Path>> shares = new ArrayList<>();
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int i = 0; i < 8; i++) shares.add(pool.submit((Callable<Path>) () -> disks.share(id)));
        }
        for (Future<Path> f : shares) assertThat(f.get()).isEqualTo(shares.getFirst().get());
        assertThat(mountsAt(shares.getFirst().get())).isEqualTo(1);
    }

    @Test
    void deleteUnmountsAndRemovesEverything() throws Exception {
        UUID id = UUID.randomUUID();
        disks.create(id, 4, Kind.NINE_P);
        Path share = disks.share(id);
        Files.writeString(share.resolve("x"), "x");
        assertThat(disks.delete(id)).isTrue();
        assertThat(disks.exists(id)).isFalse();
        assertThat(dir.resolve(id.toString())).doesNotExist();
        assertThat(disks.delete(id)).isFalse();
        assertNothingLeftOver(dir);
        assertThatThrownBy(() -> disks.share(id)).isInstanceOf(VolumeException.class)
                .hasMessage("no volume " + id).extracting(e -> ((VolumeException) e).field()).isEqualTo("uuid");
    }

    @Test
    void aVolumeInUseIsNeitherReleasedNorDeleted() throws Exception {
        UUID id = UUID.randomUUID();
        disks.create(id, 4, Kind.NINE_P);
        Path share = disks.share(id);
        // An open directory on the mount, as a 9p server holds one for each share.
        try (var stream = Files.newDirectoryStream(share)) {
            assertThatThrownBy(() -> disks.delete(id)).isInstanceOf(VolumeException.class)
                    .hasMessageContaining("volume " + id + " is in use").hasMessageContaining("umount");
        }
        assertThat(disks.exists(id)).isTrue();
        assertThat(mountsAt(share)).isEqualTo(1);
        assertThat(disks.delete(id)).isTrue();
    }

    @Test
    void sizesOutsideOneMibToOneTibAreRefusedNamingTheField() throws Exception {
        for (int bad : new int[] {0, -1, VolumeDisks.MAX_SIZE_MB + 1}) {
            assertThatThrownBy(() -> disks.create(UUID.randomUUID(), bad, Kind.NINE_P)).isInstanceOf(VolumeException.class)
                    .hasMessage("size_mb " + bad + ": a volume holds 1 to 1048576 MiB (1 TiB)")
                    .extracting(e -> ((VolumeException) e).field()).isEqualTo("size_mb");
        }
        UUID smallest = UUID.randomUUID();
        disks.create(smallest, VolumeDisks.MIN_SIZE_MB, Kind.NINE_P);
        Files.writeString(disks.share(smallest).resolve("a"), "a");
        assertThat(disks.usage(smallest).freeBytes()).isBetween(512L * 1024, 1L << 20);
        assertThatThrownBy(() -> disks.create(smallest, 2, Kind.NINE_P)).isInstanceOf(VolumeException.class)
                .hasMessage("volume " + smallest + " exists already");
        assertNothingLeftOver(dir);
    }

    @Test
    void theLargestVolumeIsCreatedSparse() throws Exception {
        UUID id = UUID.randomUUID();
        long t0 = System.nanoTime();
        disks.create(id, VolumeDisks.MAX_SIZE_MB, Kind.EXT4_BLOCK);
        System.out.printf("create 1 TiB: %.1f ms%n", (System.nanoTime() - t0) / 1e6);
        Path image = disks.disk(id);
        assertThat(Files.size(image)).isEqualTo(1L << 40);
        long allocated = Long.parseLong(Host.check(List.of("du", "-k", "--", image.toString())).split("\\s")[0]) * 1024;
        assertThat(allocated).as("bytes the 1 TiB image takes on the host: its journal").isBetween(256L << 20, 300L << 20);
        assertThat(disks.delete(id)).isTrue();
    }

    @Test
    void aBlockVolumeIsAnImageThatIsNeverShared() throws Exception {
        UUID id = UUID.randomUUID();
        assertThat(disks.create(id, 16, Kind.EXT4_BLOCK)).isEqualTo(new VolumeDisk(id, Kind.EXT4_BLOCK, 16, true));
        Path image = disks.disk(id);
        assertThat(image).isEqualTo(dir.toRealPath().resolve(id + "/disk.ext4"));
        assertThat(Files.size(image)).isEqualTo(16L << 20);
        assertThat(Host.check(List.of("blkid", "-o", "export", image.toString()))).contains("TYPE=ext4", "UUID=" + id);
        assertThatThrownBy(() -> disks.share(id)).isInstanceOf(VolumeException.class)
                .hasMessageContaining("an ext4 block volume").extracting(e -> ((VolumeException) e).field()).isEqualTo("filesystem");
        assertThat(disks.usage(id).freeBytes()).isBetween(12L << 20, 16L << 20);
        assertThat(dir.resolve(id + "/mnt")).doesNotExist();

        UUID nineP = UUID.randomUUID();
        disks.create(nineP, 4, Kind.NINE_P);
        assertThatThrownBy(() -> disks.disk(nineP)).isInstanceOf(VolumeException.class).hasMessageContaining("a 9p volume");
    }

    @Test
    void withoutLoopMountsA9pVolumeIsAPlainDirectoryThatSaysItsSizeIsNotEnforced() throws Exception {
        VolumeDisks plain = VolumeDisks.open(work.resolve("plain"), false);
        assertThat(plain.enforcesSize()).isFalse();
        assertThat(plain.sizeNote()).startsWith("sizes not enforced");
        UUID id = UUID.randomUUID();
        assertThat(plain.create(id, 1, Kind.NINE_P).enforcesSize()).isFalse();
        Path share = plain.share(id);
        assertThat(mountsAt(share)).isZero();
        Files.write(share.resolve("two-mib"), new byte[2 << 20]);
        assertThat(plain.usage(id).usedBytes()).isEqualTo(2 << 20);

        // A block volume needs no mount to exist, so it still holds to its size.
        UUID block = UUID.randomUUID();
        assertThat(plain.create(block, 4, Kind.EXT4_BLOCK).enforcesSize()).isTrue();
        assertThat(plain.delete(id)).isTrue();
        assertThat(plain.delete(block)).isTrue();
        assertNothingLeftOver(work.resolve("plain"));
    }
}
