package dev.kiln.fs.guest;

import dev.kiln.fs.testing.HostTrees;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.fs.io.AtomicFile;
import dev.kiln.fs.Compression;
import dev.kiln.fs.Progress;
import dev.kiln.fs.Tree;
import dev.kiln.fs.erofs.ErofsWriter;
import dev.kiln.fs.erofs.ErofsWriter.Algorithm;
import dev.kiln.fs.testing.Listing;
import dev.kiln.fs.testing.SampleTree;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Linux kernel as an EROFS consumer: kiln writes the sample tree as EROFS images in every
 * layout the writer offers, they are attached to one guest as read-only virtio disks, and the
 * kernel's own erofs driver mounts each and lists it. Every variant shares one boot, because a
 * boot under TCG costs several seconds and the variants differ only in the image.
 */
class ErofsBootTest {
    @TempDir Path tmp;

    /** One image layout; {@code name} is also the disk serial and the mount point in the guest. */
    record Variant(String name, Algorithm algorithm, int pclusterSize) {}

    static final List<Variant> VARIANTS = List.of(
            new Variant("plain", Algorithm.NONE, 65536),
            new Variant("lz4-64k", Algorithm.LZ4, 65536),
            new Variant("lz4hc-64k", Algorithm.LZ4HC, 65536),
            // One-block pclusters: the layout Linux 5.4-5.12 can read (no big pcluster feature).
            new Variant("lz4-4k", Algorithm.LZ4, 4096),
            new Variant("lz4hc-4k", Algorithm.LZ4HC, 4096));

    @Test
    void kernelMountsEveryVariantAndSeesTheSource() throws Exception {
        Path source = Files.createDirectory(tmp.resolve("source"));
        SampleTree.create(source);
        // The sample's data is half random and barely compresses with LZ4 in 4 KiB clusters, so
        // the writer may rightly store most of it raw. 1 MiB of text makes sure every compressed
        // variant really hands the kernel LZ4 clusters to decode (checked by size below).
        StringBuilder text = new StringBuilder();
        for (int i = 0; text.length() < (1 << 20); i++) text.append("line ").append(i).append(" of a file the kernel decompresses\n");
        Files.writeString(source.resolve("data/compressible.txt"), text);
        SampleTree.setTimes(source);
        Tree tree = HostTrees.read(source);
        LinuxGuest guest = new LinuxGuest(Qemu.find());

        List<Qemu.Disk> disks = new ArrayList<>();
        for (Variant v : VARIANTS) {
            ErofsWriter.Options d = ErofsWriter.Options.defaults();
            ErofsWriter w = new ErofsWriter(new ErofsWriter.Options(v.algorithm(), d.level(), v.pclusterSize(), d.uuid(), d.buildTime()));
            Path image = tmp.resolve(v.name() + ".erofs");
            AtomicFile.write(image, ch -> w.write(tree, ch, Progress.NONE));
            // The kernel reads whole 4 KiB blocks and QEMU exposes whole 512-byte sectors: a
            // ragged tail would be cut off or read past the end of the disk.
            assertThat(Files.size(image) % 4096).as("%s image size is a multiple of the block size", v.name()).isZero();
            disks.add(new Qemu.Disk(image, v.name()));
            System.out.printf("ErofsBootTest: %s image %d bytes%n", v.name(), Files.size(image));
            if (v.algorithm() != Algorithm.NONE) {
                assertThat(Files.size(image)).as("%s is smaller than the plain image by most of the text file", v.name())
                        .isLessThan(Files.size(disks.getFirst().image()) - 768 * 1024);
            }
        }

        List<String> modules = new ArrayList<>(LinuxGuest.VIRTIO_BLK);
        modules.addAll(LinuxGuest.EROFS);
        StringBuilder script = new StringBuilder("kiln_insmod " + String.join(" ", guest.loadOrder(modules)) + "\n");
        script.append("kiln_mount_disks erofs ").append(disks.size()).append('\n');
        for (Variant v : VARIANTS) script.append("kiln_listing ").append(v.name()).append(" /mnt/").append(v.name()).append('\n');
        Path initrd = LinuxGuest.writeInitrd(guest.initrd(script.toString(), modules), tmp.resolve("initrd.cpio"), Compression.NONE);

        Qemu.Result r = guest.boot(initrd, disks);
        System.out.printf("ErofsBootTest: %d disks, %s%n", disks.size(), LinuxGuest.timing(r));

        // EROFS extended inodes carry mtime with nanoseconds, so the guest must see them exactly.
        Listing.Options o = Listing.Options.ALL.withNanos(true);
        String expected = Listing.of(source, o);
        SoftAssertions soft = new SoftAssertions();
        for (Variant v : VARIANTS) {
            soft.assertThat(GuestListing.parse(r.console(), v.name(), "/mnt/" + v.name(), o)).as(v.name()).isEqualTo(expected);
        }
        soft.assertAll();
    }
}
