package dev.kiln.fs.guest;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.fs.Compression;
import dev.kiln.fs.EntryPath;
import dev.kiln.fs.Tree;
import dev.kiln.fs.testing.Listing;
import dev.kiln.fs.testing.SampleTree;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Linux kernel as a cpio consumer: kiln writes the whole initramfs (busybox, /init and the
 * sample payload under /payload), the Debian kernel unpacks it, and the init prints what it
 * sees. Everything the kernel's unpacker keeps must come out as the source had it.
 *
 * <p>What Linux 6.1 keeps, checked here: type, all 12 permission bits (setuid, setgid, sticky),
 * uid:gid, device numbers, symlink targets, contents, hard-link groups, and mtimes in whole
 * seconds (newc has no nanoseconds) for files, symlinks, specials and directories alike —
 * {@code CONFIG_INITRAMFS_PRESERVE_MTIME=y} applies directory times after each archive.
 */
class CpioBootTest {
    @TempDir static Path tmp;
    static Path source;
    static Tree payload;
    static LinuxGuest guest;

    @BeforeAll
    static void sample() throws Exception {
        source = Files.createDirectory(tmp.resolve("source"));
        SampleTree.create(source);
        payload = HostTrees.read(source);
        guest = new LinuxGuest(Qemu.find());
    }

    /** gzip and zstd are the compressions the CLI offers for Linux initrds; the kernel has both built in. */
    @ParameterizedTest
    @EnumSource(value = Compression.class, names = {"NONE", "GZIP", "ZSTD"})
    void kernelUnpacksTheInitrdAsWritten(Compression compression) throws Exception {
        Tree initrd = guest.initrd("kiln_listing payload /payload", List.of());
        HostTrees.graft(initrd, new EntryPath("payload"), payload);
        Path image = LinuxGuest.writeInitrd(initrd, tmp.resolve("initrd-" + compression + ".cpio"), compression);
        assertThat(Compression.detect(image)).as("the initrd is really %s", compression).isEqualTo(compression);

        Qemu.Result r = guest.boot(image, List.of());
        System.out.printf("CpioBootTest %s: %d-byte initrd, %s%n", compression, Files.size(image), LinuxGuest.timing(r));

        Listing.Options o = Listing.Options.ALL;
        assertThat(GuestListing.parse(r.console(), "payload", "/payload", o)).isEqualTo(Listing.of(source, o));
    }
}
