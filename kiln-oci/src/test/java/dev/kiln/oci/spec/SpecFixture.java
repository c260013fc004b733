package dev.kiln.oci.spec;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kiln.oci.OciLayout;
import dev.kiln.oci.pack.PackRequest;
import dev.kiln.oci.pack.Packer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.assertj.core.api.AbstractThrowableAssert;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

/** A directory with a kernel and a small rootfs to write spec files next to, and ways to pack and compare. */
abstract class SpecFixture {
    /** The real Unikraft probe kernel; any file would pack, this one is what the platform boots. */
    static final Path PROBE_KERNEL = dev.kiln.fs.guest.UnikraftProbe.kernel();

    @TempDir Path dir;
    Path kernel;

    @BeforeEach
    void files() throws IOException {
        kernel = dir.resolve("kernel");
        if (Files.isRegularFile(PROBE_KERNEL)) Files.copy(PROBE_KERNEL, kernel);
        else Files.write(kernel, "not a real kernel, only bytes to pack".getBytes(StandardCharsets.UTF_8));
        Files.createDirectories(dir.resolve("rootfs/etc"));
        Files.writeString(dir.resolve("rootfs/etc/app.conf"), "port=8080\n");
        Files.createDirectories(dir.resolve("conf"));
        Files.writeString(dir.resolve("conf/redis.conf"), "bind 0.0.0.0\n");
    }

    Path write(String name, String text) throws IOException {
        Path f = dir.resolve(name);
        Files.writeString(f, text);
        return f;
    }

    static SpecFile read(Path f) throws IOException {
        return SpecFile.read(f, SpecOptions.NONE);
    }

    static PackRequest request(SpecFile spec) throws IOException {
        PackRequest.Builder b = PackRequest.builder();
        spec.applyTo(b);
        return b.build();
    }

    /** The index digest of {@code r} packed into a layout of its own. */
    String digest(PackRequest r, String name) throws IOException {
        return Packer.pack(r, OciLayout.create(dir.resolve("layout-" + name)), "t", null).index().digest().toString();
    }

    /** Reading {@code f} fails with a {@link SpecException} at {@code line}. */
    AbstractThrowableAssert<?, ? extends Throwable> refused(Path f, int line, SpecOptions o) {
        return assertThatThrownBy(() -> SpecFile.read(f, o)).isInstanceOf(SpecException.class)
                .satisfies(e -> org.assertj.core.api.Assertions.assertThat(((SpecException) e).line()).as(e.getMessage()).isEqualTo(line))
                .hasMessageStartingWith(f + (line > 0 ? ":" + line : "") + ": ");
    }

    AbstractThrowableAssert<?, ? extends Throwable> refused(Path f, int line) {
        return refused(f, line, SpecOptions.NONE);
    }
}
