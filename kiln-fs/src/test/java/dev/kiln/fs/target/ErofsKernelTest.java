package dev.kiln.fs.target;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.fs.testing.SampleTree;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The minimum kernel read from images that the reference tool (mkfs.erofs) writes with each feature. */
class ErofsKernelTest {
    @TempDir Path tmp;

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "-T0                      | 5.4  | EROFS core format",
            "-zlz4hc                  | 5.4  | EROFS core format",
            "-zlz4hc -C65536          | 5.13 | big pclusters / compression configs",
            "--chunksize=8192         | 5.15 | chunk-based files",
            "-zlz4hc -Eztailpacking   | 5.17 | ztailpacking"})
    void minimumKernelFollowsTheFeatureBits(String options, String version, String reason) throws Exception {
        Path src = Files.createDirectory(tmp.resolve("src"));
        Files.write(src.resolve("big"), SampleTree.bytes(300_000, 7));
        Files.writeString(src.resolve("small"), "tail ".repeat(700));
        Path img = tmp.resolve("x.erofs");
        java.util.List<String> cmd = new java.util.ArrayList<>(java.util.List.of("mkfs.erofs"));
        cmd.addAll(java.util.List.of(options.trim().split(" +")));
        cmd.addAll(java.util.List.of(img.toString(), src.toString()));
        SampleTree.run(cmd.toArray(String[]::new));
        ErofsKernel k = ErofsKernel.of(img);
        assertThat(k.version()).isEqualTo(version);
        assertThat(k.reasons()).contains(reason);
    }
}
