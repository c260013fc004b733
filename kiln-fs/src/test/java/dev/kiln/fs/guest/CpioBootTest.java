package dev.kiln.fs.guest;

import dev.kiln.fs.testing.HostTrees;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kiln.fs.io.AtomicFile;
import dev.kiln.fs.Compression;
import dev.kiln.fs.EntryPath;
import dev.kiln.fs.Progress;
import dev.kiln.fs.Tree;
import dev.kiln.fs.cpio.CpioWriter;
import dev.kiln.fs.testing.Listing;
import dev.kiln.fs.testing.SampleTree;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

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
        Path image = write(new CpioWriter.Options(false, false, compression), "initrd-" + compression + ".cpio");
        assertThat(Compression.detect(image)).as("the initrd is really %s", compression).isEqualTo(compression);
        assertPayloadSeen(image, compression.toString());
    }

    /**
     * 070702 archives: Linux sums every file's bytes and refuses the initramfs on a mismatch
     * ("bad data checksum"), so a boot that lists the payload proves kiln's checksums right.
     */
    @Test
    void kernelVerifiesCrcArchives() throws Exception {
        Path image = write(new CpioWriter.Options(true, false, Compression.NONE), "initrd-crc.cpio");
        assertThat(new String(Files.readAllBytes(image), 0, 6, StandardCharsets.US_ASCII)).isEqualTo("070702");
        assertPayloadSeen(image, "crc");

        // The same archive with one checksum zeroed must not boot: otherwise the boot above
        // would prove nothing about the sums. etc/hostname holds "kiln\n", whose sum is not 0.
        byte[] bytes = Files.readAllBytes(image);
        int name = VmlinuxCache.indexOf(bytes, "payload/etc/hostname\0".getBytes(StandardCharsets.US_ASCII));
        assertThat(name).isGreaterThan(110);
        int check = name - 110 + 102; // the c_check field: the last 8 hex digits of the 110-byte header
        assertThat(new String(bytes, check, 8, StandardCharsets.US_ASCII)).isNotEqualTo("00000000");
        System.arraycopy("00000000".getBytes(StandardCharsets.US_ASCII), 0, bytes, check, 8);
        Path bad = tmp.resolve("initrd-bad-crc.cpio");
        Files.write(bad, bytes);
        assertThatThrownBy(() -> guest.boot(bad, List.of())).hasMessageContaining("bad data checksum");
    }

    private static Path write(CpioWriter.Options options, String fileName) throws Exception {
        Tree initrd = guest.initrd("kiln_listing payload /payload", List.of());
        HostTrees.graft(initrd, new EntryPath("payload"), payload);
        Path image = tmp.resolve(fileName);
        CpioWriter w = new CpioWriter(options);
        AtomicFile.write(image, ch -> w.write(initrd, ch, Progress.NONE));
        return image;
    }

    private static void assertPayloadSeen(Path image, String variant) throws Exception {
        Qemu.Result r = guest.boot(image, List.of());
        System.out.printf("CpioBootTest %s: %d-byte initrd, %s%n", variant, Files.size(image), LinuxGuest.timing(r));
        Listing.Options o = Listing.Options.ALL;
        assertThat(GuestListing.parse(r.console(), "payload", "/payload", o)).isEqualTo(Listing.of(source, o));
    }
}
