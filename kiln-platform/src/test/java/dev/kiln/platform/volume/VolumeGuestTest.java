package dev.kiln.platform.volume;

import static dev.kiln.platform.volume.VolumeTesting.fill;
import static dev.kiln.platform.volume.VolumeTesting.fsck;
import static dev.kiln.platform.volume.VolumeTesting.loopFilesUnder;
import static dev.kiln.platform.volume.VolumeTesting.text;
import static dev.kiln.platform.vmm.TestGuests.console;
import static dev.kiln.platform.vmm.TestGuests.vmm;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kiln.platform.guest.Mount;
import dev.kiln.platform.guest.UnikraftGuest;
import dev.kiln.platform.vmm.LaunchSpec;
import dev.kiln.platform.vmm.TestGuests;
import dev.kiln.platform.vmm.VmHandle;
import dev.kiln.platform.vmm.VmmException;
import dev.kiln.platform.volume.VolumeDisk.Kind;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Volumes seen by the real Unikraft 0.17 probe guest under QEMU (see test-guests/unikraft-probe):
 * the share of a volume's mount at /data over virtio-9p, as kiln serve attaches it.
 */
class VolumeGuestTest {
    @TempDir
    Path work;
    VolumeDisks disks;
    final List<VmHandle> started = new ArrayList<>();

    @BeforeEach
    void open() throws Exception {
        disks = VolumeDisks.open(work.resolve("volumes"));
    }

    @AfterEach
    void stopGuestsAndUnmount() throws Exception {
        for (VmHandle vm : started) vm.kill().get(30, TimeUnit.SECONDS);
        VolumeTesting.unmountAll(work);
        assertThat(loopFilesUnder(work)).as("loop devices left attached").isEmpty();
    }

    /** A probe boot running {@code commands} with {@code share} at /data under tag vol0. */
    private LaunchSpec probe(List<String> commands, Path share, boolean readOnly) throws Exception {
        String cmdline = new UnikraftGuest(true).commandLine(commands, Map.of(), List.of(new Mount("vol0", "/data", readOnly)));
        LaunchSpec base = TestGuests.probe(work, List.of(), Map.of());
        return LaunchSpec.of(base.id(), base.runDir(), base.kernel(), cmdline).withInitrd(base.initrd()).withMemory(64)
                .withShares(List.of(new LaunchSpec.Share("vol0", share, readOnly)));
    }

    /** Boots {@code spec} to its end and returns its console. */
    private String run(LaunchSpec spec) throws Exception {
        VmHandle vm = vmm().start(spec);
        started.add(vm);
        vm.exit().get(60, TimeUnit.SECONDS);
        return console(vm);
    }

    @Test
    void whatAGuestWritesToItsShareIsInTheVolumeAndInTheNextBoot() throws Exception {
        UUID id = UUID.randomUUID();
        disks.create(id, 8, Kind.NINE_P);
        assertThat(run(probe(List.of("write=/data/hello.txt=hi"), disks.share(id), false)))
                .contains("WROTE /data/hello.txt size=2\n").contains("PROBE-DONE errors=0\n");
        disks.release(id);

        Path out = work.resolve("volume.cpio");
        disks.exportTo(id, out);
        assertThat(text(out, "hello.txt")).isEqualTo("hi");

        assertThat(run(probe(List.of("cat=/data/hello.txt"), disks.share(id), false)))
                .contains("CAT /data/hello.txt size=2 fnv1a64=08ba5f07b55ec3da data=hi\n").contains("PROBE-DONE errors=0\n");
    }

    @Test
    void aGuestWritingPastTheVolumesSizeGetsEnospc() throws Exception {
        UUID id = UUID.randomUUID();
        disks.create(id, 4, Kind.NINE_P);
        Path share = disks.share(id);
        VolumeTesting.Filled filled = fill(share.resolve("filler"));
        assertThat(filled.failure()).hasMessageContaining("No space left on device");
        // Three 1 KiB blocks back: room for some of the guest's text, not for all of it.
        try (var ch = java.nio.channels.FileChannel.open(share.resolve("filler"), java.nio.file.StandardOpenOption.WRITE)) {
            ch.truncate(filled.bytes() - 3072);
        }
        long free = disks.usage(id).freeBytes();
        assertThat(free).isBetween(1024L, 4096L);

        String text = "x".repeat(32 * 1024);
        String c = run(probe(List.of("write=/data/big.txt=" + text), share, false));
        assertThat(c).contains("\nERR write=/data/big.txt=" + text + " errno=28\n").contains("PROBE-DONE errors=1\n");
        long partial = Files.size(share.resolve("big.txt"));
        assertThat(partial).isLessThanOrEqualTo(free);
        System.out.println("a guest's 32 KiB write into a volume with " + free + " bytes free: errno=28 after " + partial + " bytes");

        disks.release(id);
        Host.Result check = fsck(work.resolve("volumes").resolve(id + "/disk.ext4"));
        assertThat(check.status()).as(check.out() + check.err()).isZero();
    }

    @Test
    void aReadOnlyShareRefusesTheGuestsWrite() throws Exception {
        UUID id = UUID.randomUUID();
        disks.create(id, 4, Kind.NINE_P);
        Path share = disks.share(id);
        Files.writeString(share.resolve("seed.txt"), "ro-data\n");
        assertThat(run(probe(List.of("cat=/data/seed.txt", "write=/data/x=1"), share, true)))
                .contains("CAT /data/seed.txt size=8 fnv1a64=a76f3436a4a33379 data=ro-data\\x0a\n")
                .contains("ERR write=/data/x=1 errno=30\n").contains("PROBE-DONE errors=1\n");
        assertThat(share.resolve("x")).doesNotExist();
    }

    @Test
    void aBlockVolumeIsAttachedReadWriteAndToOneGuestAtATime() throws Exception {
        UUID id = UUID.randomUUID();
        disks.create(id, 8, Kind.EXT4_BLOCK);
        LaunchSpec.Disk disk = new LaunchSpec.Disk(disks.disk(id), "kiln-vol0", false);
        LaunchSpec base = TestGuests.probe(work, List.of("sleep=-1"), Map.of());
        VmHandle vm = vmm().start(base.withDisks(List.of(disk)));
        started.add(vm);
        TestGuests.awaitConsole(vm, c -> c.contains("PROBE-START"), Duration.ofSeconds(30));
        String argv = new String(Files.readAllBytes(Path.of("/proc/" + vm.pid() + "/cmdline")), StandardCharsets.UTF_8)
                .replace('\0', ' ');
        assertThat(argv).contains(",if=none,id=disk0,format=raw ").doesNotContain("readonly=on");

        // QEMU locks a writable image: a second guest is refused, not given a disk to corrupt.
        LaunchSpec second = TestGuests.probe(work, List.of("sleep=-1"), Map.of()).withDisks(List.of(disk));
        assertThatThrownBy(() -> started.add(vmm().start(second))).isInstanceOf(VmmException.class)
                .hasMessageContaining("Failed to get \"write\" lock");
    }
}
