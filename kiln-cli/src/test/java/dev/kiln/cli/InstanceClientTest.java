package dev.kiln.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.fs.guest.UnikraftProbe;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** kiln instance and kiln image against a real kiln serve, pointed at it by UKC_METRO and UKC_TOKEN as the official tools are. */
class InstanceClientTest {
    @TempDir Path tmp;

    @AfterEach
    void noGuestOutlivesTheTest() throws Exception {
        ServeCrashTest.killQemusUnder(tmp);
    }

    record Out(int exit, String text) {}

    Out kiln(String metro, String token, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"), "dev.kiln.cli.Main"));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().put("UKC_METRO", metro);
        pb.environment().put("UKC_TOKEN", token);
        Process p = pb.start();
        String text = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
        return new Out(p.exitValue(), text);
    }

    @Test
    void theCliDrivesAnInstanceThroughItsLife() throws Exception {
        Path data = tmp.resolve("data");
        assertThat(Cli.run("pack", "--kernel", UnikraftProbe.kernel().toString(), "-o", "oci:" + data.resolve("images") + ":probe:latest",
                "--rom", "r=" + Files.write(tmp.resolve("r.bin"), new byte[10])).exit()).isZero();
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        Process serve = ServeCrashTest.serve(data, port, tmp);
        try {
            ServeCrashTest.awaitUp(data, port);
            String metro = "http://127.0.0.1:" + port, token = Files.readString(data.resolve("token")).strip();
            Out create = kiln(metro, token, "instance", "create", "probe:latest", "--name", "cli1", "-e", "WHO=cli", "--start", "--", "env", "sleep=-1");
            assertThat(create.exit()).as(create.text()).isZero();
            assertThat(create.text()).contains("cli1").contains("running");
            assertThat(kiln(metro, token, "instance", "wait", "cli1").exit()).isZero();
            Out logs = new Out(1, "");
            for (int i = 0; i < 50 && !logs.text().contains("ENV WHO=cli"); i++) {
                logs = kiln(metro, token, "instance", "logs", "cli1");
            }
            assertThat(logs.text()).contains("PROBE-START").contains("ENV WHO=cli");
            Out stop = kiln(metro, token, "instance", "stop", "cli1");
            assertThat(stop.text()).contains("cli1 stopping (was running)");
            assertThat(kiln(metro, token, "instance", "wait", "cli1", "--state", "stopped", "--timeout", "30").exit()).isZero();
            assertThat(kiln(metro, token, "instance", "ls", "--json").text()).contains("\"name\":\"cli1\"").contains("\"state\":\"stopped\"");
            assertThat(kiln(metro, token, "image", "ls").text()).contains("probe:latest");
            Out missing = kiln(metro, token, "instance", "get", "nope");
            assertThat(missing.exit()).isEqualTo(3);
            assertThat(missing.text()).contains("No instance with name 'nope'");
            assertThat(kiln(metro, token, "instance", "rm", "cli1").exit()).isZero();
            assertThat(kiln(metro, "wrong", "instance", "ls").text()).contains("HTTP 401");
        } finally {
            serve.destroy();
            serve.waitFor();
        }
    }
}
