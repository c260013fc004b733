package dev.kiln.oci.testing;

import dev.kiln.fs.testing.SampleTree;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The real programs the tests compare with; a missing one fails the test saying what to install. */
public final class Tools {
    private Tools() {}

    public static void require(String tool, String debianPackage) {
        for (String dir : System.getenv("PATH").split(":")) {
            if (Files.isExecutable(Path.of(dir, tool))) return;
        }
        throw new AssertionError(tool + " is missing: apt-get install " + debianPackage);
    }

    public static String run(String... cmd) throws IOException {
        return SampleTree.run(cmd);
    }

    public static String run(Path cwd, String... cmd) throws IOException {
        return SampleTree.run(cwd, cmd);
    }
}
