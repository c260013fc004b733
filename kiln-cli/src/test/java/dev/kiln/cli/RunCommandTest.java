package dev.kiln.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** kiln run: the real Unikraft probe guest in the foreground, its console on stdout, its exit code as kiln's. */
class RunCommandTest {
    static final Path KERNEL = dev.kiln.fs.guest.UnikraftProbe.kernel();

    @TempDir Path tmp;

    @Test
    void aKernelWithARootfsRunsInTheForegroundAndItsExitCodeIsKilns() throws Exception {
        if (!Files.isRegularFile(KERNEL)) throw new AssertionError("the Unikraft probe kernel is missing: " + KERNEL);
        Path rootfs = Files.createDirectories(tmp.resolve("rootfs/etc"));
        Files.writeString(rootfs.resolve("motd"), "hello from kiln run\n");
        Cli c = Cli.run("run", KERNEL.toString(), "--rootfs", tmp.resolve("rootfs").toString(), "-e", "WHO=kiln", "--",
                "cat=/etc/motd", "env", "exit=5");
        assertThat(c.exit()).as(c.err()).isEqualTo(5);
        assertThat(c.out()).contains("PROBE-START").contains("hello\\x20from\\x20kiln\\x20run").contains("ENV WHO=kiln").contains("EXIT 5");
        // The same image packed first, run by reference.
        assertThat(Cli.run("pack", "--kernel", KERNEL.toString(), "--rootfs", tmp.resolve("rootfs").toString(), "-o",
                "oci:" + tmp.resolve("layout") + ":app").exit()).isZero();
        Cli byRef = Cli.run("run", "oci:" + tmp.resolve("layout") + ":app", "--", "exit=0");
        assertThat(byRef.exit()).as(byRef.err()).isZero();
        try (var s = Files.list(Path.of(System.getProperty("java.io.tmpdir")))) {
            assertThat(s.filter(p -> p.getFileName().toString().startsWith("kiln-run-")).toList()).as("run directories removed").isEmpty();
        }
    }

    @Test
    void aHostDirectoryAndRomsFromADirectoryAFileAndAnImageReachTheGuest() throws Exception {
        Path rootfs = Files.createDirectories(tmp.resolve("rootfs/etc"));
        Files.writeString(rootfs.resolve("motd"), "base\n");
        Path html = Files.createDirectories(tmp.resolve("html"));
        Files.writeString(html.resolve("index.html"), "shared from the host");
        Path cfg = Files.createDirectories(tmp.resolve("cfg"));
        Files.writeString(cfg.resolve("app.conf"), "from a directory ROM");
        Path raw = Files.write(tmp.resolve("raw.bin"), new byte[] {1, 2, 3});
        // A ROM image in a layout (cpio inside), run by reference.
        Path romTree = Files.createDirectories(tmp.resolve("romtree"));
        Files.writeString(romTree.resolve("v"), "from an image ROM");
        Path romImage = tmp.resolve("romimage.cpio");
        assertThat(Cli.run("build", romTree.toString(), "-o", romImage.toString()).exit()).isZero();
        assertThat(Cli.run("pack", "--rom", "img=" + romImage, "-o", "oci:" + tmp.resolve("roms") + ":r").exit()).isZero();

        Cli c = Cli.run("run", KERNEL.toString(), "--rootfs", tmp.resolve("rootfs").toString(),
                "-v", html + ":/nginx/html", "-v", tmp.resolve("rootfs") + ":/ro:ro",
                "--rom", "cfg=" + cfg + ",at=/etc/app", "--rom", "raw=" + raw, "--rom", "img=oci:" + tmp.resolve("roms") + ":r,at=/srv",
                "--", "cat=/nginx/html/index.html", "write=/nginx/html/from-guest=hi", "write=/ro/x=1",
                "cat=/etc/app/app.conf", "cat=/srv/v", "cat=/etc/motd");
        assertThat(c.exit()).as(c.err()).isZero();
        assertThat(c.out()).contains("data=shared\\x20from\\x20the\\x20host").contains("ERR write=/ro/x=1 errno=30")
                .contains("data=from\\x20a\\x20directory\\x20ROM").contains("data=from\\x20an\\x20image\\x20ROM").contains("data=base\\x0a");
        assertThat(Files.readString(html.resolve("from-guest"))).isEqualTo("hi");
    }
}
