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
}
