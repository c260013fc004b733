package dev.kiln.oci.registry;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.oci.Digest;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class RegistryProgressBarTest {
    @Test
    void oneLineForAllBlobsRedrawnInPlaceAndEndedOnClose() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
        Digest a = Digest.of(new byte[] {1}), b = Digest.of(new byte[] {2});
        try (ProgressBar bar = new ProgressBar("pushing", out, 72)) {
            bar.blob(a, 0, 3_000_000);
            bar.blob(b, 0, 1_000_000);
            bar.blob(a, 3_000_000, 3_000_000);
            assertThat(bar.line()).startsWith("pushing [").endsWith("]  75% 3.0 MB/4.0 MB 1/2 blobs").hasSize(72);
            bar.blob(b, 1_000_000, 1_000_000);
            assertThat(bar.line()).contains("100% 4.0 MB/4.0 MB 2/2 blobs").doesNotContain("-");
        }
        String s = bytes.toString(StandardCharsets.UTF_8);
        assertThat(s).startsWith("\rpushing [").endsWith("2/2 blobs\n").doesNotContain("\033");
    }

    @Test
    void withoutATerminalNothingIsDrawn() {
        // surefire's forked JVM has no terminal, as a CI job or a pipe
        try (ProgressBar bar = ProgressBar.forTerminal("pulling")) {
            assertThat(bar.enabled()).isFalse();
            bar.blob(Digest.of(new byte[] {1}), 5, 10);
        }
    }

    @Test
    void sizesAsPeopleReadThem() {
        assertThat(ProgressBar.size(999)).isEqualTo("999 B");
        assertThat(ProgressBar.size(1500)).isEqualTo("1.5 kB");
        assertThat(ProgressBar.size(200_000_000)).isEqualTo("200.0 MB");
        assertThat(ProgressBar.size(2_500_000_000L)).isEqualTo("2.50 GB");
    }
}
