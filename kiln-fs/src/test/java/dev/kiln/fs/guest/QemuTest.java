package dev.kiln.fs.guest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The parts of the QEMU driver that need no guest. */
class QemuTest {
    @Test
    void picksTheNewestKernelByNumberNotByText() {
        assertThat(Qemu.compareVersions("6.1.0-10-amd64", "6.1.0-9-amd64")).isPositive();
        assertThat(Qemu.compareVersions("6.12.1-amd64", "6.1.0-56-amd64")).isPositive();
        assertThat(Qemu.compareVersions("6.1.0-56-amd64", "6.1.0-56-amd64")).isZero();
    }

    @Test
    void rejectsDiskSerialsAndPathsQemuCannotCarry() {
        assertThatThrownBy(() -> new Qemu.Disk(Path.of("a.img"), "x".repeat(21))).hasMessageContaining("1-20");
        assertThatThrownBy(() -> new Qemu.Disk(Path.of("a.img"), "a b")).hasMessageContaining("serial");
        assertThatThrownBy(() -> new Qemu.Disk(Path.of("a,b.img"), "ok")).hasMessageContaining("comma");
    }
}
