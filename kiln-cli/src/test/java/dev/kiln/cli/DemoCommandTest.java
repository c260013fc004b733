package dev.kiln.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * kiln demo as a user runs it: the guest's console shows what it read from both ROMs, the line
 * it wrote is read back from the volume on the host, and nothing is left behind (no data
 * directory, no QEMU), whether the demo succeeds, fails or is interrupted.
 */
class DemoCommandTest {
    /** Where the platform's tests extract the host kernel too, so that a run extracts it at most once. */
    static final String CACHE = Path.of(System.getProperty("java.io.tmpdir"), "kiln-linux-guest-kit").toString();
    private static final Pattern DATA = Pattern.compile("data directory (\\S+)");

    private static Path dataDirectory(String out) {
        Matcher m = DATA.matcher(out);
        assertThat(m.find()).as(out).isTrue();
        return Path.of(m.group(1));
    }

    private static void nothingLeftUnder(Path data) throws Exception {
        assertThat(data).doesNotExist();
        assertThat(ServeCrashTest.qemusUnder(data)).isZero();
    }

    @Test
    void theGuestReadsBothRomsAndItsWriteToTheVolumeIsReadOnTheHost() throws Exception {
        long t = System.nanoTime();
        Cli r = Cli.run("demo", "--cache", CACHE);
        long ms = (System.nanoTime() - t) / 1_000_000;
        Path data = dataDirectory(r.out());
        try {
            assertThat(r.exit()).as(r.out() + r.err()).isZero();
            assertThat(r.out())
                    .contains("KILN-READY")
                    .contains("inline ROM /etc/app/greeting.txt: " + DemoCommand.INLINE_TEXT)
                    .contains("image ROM /srv/hello.txt: " + DemoCommand.IMAGE_TEXT)
                    .contains("image ROM /srv: ").contains("readme.txt")
                    .contains("KILN-EXIT 0")
                    .contains("[6/6] volume demo-data read on the host");
            // The run's own line, as the guest printed it and as the host read it from the volume.
            Matcher run = Pattern.compile("volume /data/guestbook.txt: (run [0-9a-f]{8}: written by the guest on Linux \\S+)").matcher(r.out());
            assertThat(run.find()).as(r.out()).isTrue();
            assertThat(r.out()).contains("      " + run.group(1));
            assertThat(ms).as("the whole demo, in ms").isLessThan(60_000);
            nothingLeftUnder(data);
        } finally {
            ServeCrashTest.killQemusUnder(data);
        }
    }

    @Test
    void aGuestThatOverrunsTheTimeoutFailsTheDemoAndLeavesNothing() throws Exception {
        Cli r = Cli.run("demo", "--cache", CACHE, "--timeout", "1");
        Path data = dataDirectory(r.out());
        try {
            assertThat(r.exit()).as(r.out()).isNotZero();
            assertThat(r.err()).contains("kiln: demo: the guest did not stop within 1 s");
            nothingLeftUnder(data);
        } finally {
            ServeCrashTest.killQemusUnder(data);
        }
    }

    @Test
    void anInterruptedDemoStopsItsGuestAndRemovesItsDirectory() throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"), "dev.kiln.cli.Main",
                "demo", "--cache", CACHE));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        StringBuilder out = new StringBuilder();
        Path data = null;
        try (BufferedReader in = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line; (line = in.readLine()) != null; ) {
                out.append(line).append('\n');
                // The guest runs once the instance is created: interrupt it there with SIGINT, what Ctrl-C sends.
                if (line.startsWith("[4/6]")) {
                    data = dataDirectory(out.toString());
                    assertThat(ServeCrashTest.qemusUnder(data)).as("the guest runs").isEqualTo(1);
                    assertThat(new ProcessBuilder("kill", "-INT", Long.toString(p.pid())).start().waitFor()).isZero();
                }
            }
            assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
            assertThat(data).as(out.toString()).isNotNull();
            assertThat(p.exitValue()).isNotZero();
            assertThat(out).contains("kiln: demo: interrupted; the guest is stopped and " + data + " removed");
            nothingLeftUnder(data);
        } finally {
            p.destroyForcibly();
            if (data != null) ServeCrashTest.killQemusUnder(data);
        }
    }
}
