package dev.kiln.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.fs.guest.UnikraftProbe;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Ctrl-C on kiln run: the guest is stopped, its QEMU gone, the run's temporary directory removed. */
class RunInterruptTest {
    @TempDir Path tmp;

    @Test
    void ctrlCStopsTheGuestAndCleansUp() throws Exception {
        // A short temporary directory: QEMU's sockets live under it, and a socket path holds 107 bytes.
        Path runTmp = Files.createTempDirectory(Path.of("/tmp"), "kr");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder(java, "--enable-native-access=ALL-UNNAMED", "-Djava.io.tmpdir=" + runTmp,
                "-cp", System.getProperty("java.class.path"), "dev.kiln.cli.Main", "run", UnikraftProbe.kernel().toString(), "--", "sleep=-1")
                .redirectErrorStream(true).start();
        try {
            StringBuilder out = new StringBuilder();
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null && System.nanoTime() < deadline) {
                    out.append(line).append('\n');
                    if (line.contains("PROBE-START")) break;
                }
                assertThat(out.toString()).contains("PROBE-START");
                long qemu = ServeCrashTest.qemusUnder(runTmp);
                assertThat(qemu).as("the guest's QEMU runs").isEqualTo(1);
                new ProcessBuilder("kill", "-INT", Long.toString(p.pid())).start().waitFor(); // what Ctrl-C sends
                assertThat(p.waitFor(30, TimeUnit.SECONDS)).as("kiln run ends on SIGINT").isTrue();
            }
            long end = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (ServeCrashTest.qemusUnder(runTmp) > 0 && System.nanoTime() < end) Thread.sleep(100);
            assertThat(ServeCrashTest.qemusUnder(runTmp)).as("no QEMU left").isZero();
            try (var s = Files.list(runTmp)) {
                assertThat(s.filter(x -> x.getFileName().toString().startsWith("kiln-run-")).toList()).as("run directory removed").isEmpty();
            }
        } finally {
            // A failed run: end kiln run as Ctrl-C would, and leave no guest behind whatever happened.
            if (p.isAlive()) {
                new ProcessBuilder("kill", "-INT", Long.toString(p.pid())).start().waitFor();
                if (!p.waitFor(30, TimeUnit.SECONDS)) p.destroyForcibly().waitFor();
            }
            ServeCrashTest.killQemusUnder(runTmp);
        }
        Files.deleteIfExists(runTmp);
    }
}
