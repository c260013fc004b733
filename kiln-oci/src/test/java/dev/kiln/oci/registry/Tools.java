package dev.kiln.oci.registry;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** The Debian tools the registry tests run; a missing one fails the test, saying what to install. */
final class Tools {
    private Tools() {}

    static Path require(String command, String debianPackage) {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(":")) {
            Path p = Path.of(dir, command);
            if (Files.isExecutable(p)) return p;
        }
        for (String dir : List.of("/usr/sbin", "/sbin", "/usr/bin")) {
            Path p = Path.of(dir, command);
            if (Files.isExecutable(p)) return p;
        }
        throw new AssertionError(command + " is not installed: apt-get install " + debianPackage);
    }

    /** What a finished command printed. */
    record Result(int exit, String out, String err) {}

    /** Runs a command to its end (at most {@code seconds}), returning its exit code and output. */
    static Result run(int seconds, String... command) throws IOException, InterruptedException {
        Path out = Files.createTempFile("registry-test-cmd", ".out"), err = Files.createTempFile("registry-test-cmd", ".err");
        try {
            Process p = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
            if (!p.waitFor(seconds, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new AssertionError(String.join(" ", command) + ": still running after " + seconds + " s");
            }
            return new Result(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8), Files.readString(err, StandardCharsets.UTF_8));
        } finally {
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }

    /** Runs a command that must succeed; returns its stdout. */
    static String check(int seconds, String... command) throws IOException, InterruptedException {
        Result r = run(seconds, command);
        if (r.exit() != 0) {
            throw new AssertionError(String.join(" ", command) + " exited " + r.exit() + ":\n" + r.err() + r.out());
        }
        return r.out();
    }

    static List<String> list(String... parts) {
        return new ArrayList<>(List.of(parts));
    }
}
