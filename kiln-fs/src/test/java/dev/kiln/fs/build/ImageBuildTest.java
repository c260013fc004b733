package dev.kiln.fs.build;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kiln.fs.Compression;
import dev.kiln.fs.ImageFormat;
import dev.kiln.fs.Progress;
import dev.kiln.fs.target.Target;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImageBuildTest {
    @TempDir Path tmp;

    private static Source rom() {
        return Source.memory().file("etc/motd", "hello\n".getBytes(StandardCharsets.UTF_8)).build();
    }

    @Test
    void optionsThatDoNotGoTogetherAreRefusedNamingTheOption() {
        assertThatThrownBy(() -> ImageBuild.builder().source(rom()).format(ImageFormat.CPIO).pclusterSize("64K").build())
                .isInstanceOfSatisfying(BuildOptionException.class, e -> {
                    assertThat(e.option()).isEqualTo("pcluster size");
                    assertThat(e.problem()).isEqualTo("applies to EROFS only");
                });
        assertThatThrownBy(() -> ImageBuild.builder().source(rom()).format(ImageFormat.EROFS).pclusterSize("5000").build())
                .isInstanceOfSatisfying(BuildOptionException.class, e -> assertThat(e.option()).isEqualTo("pcluster size"));
        assertThatThrownBy(() -> ImageBuild.builder().source(rom()).format(ImageFormat.EROFS).compression("lz4hc:13").build())
                .isInstanceOfSatisfying(BuildOptionException.class, e -> assertThat(e.option()).isEqualTo("compression"));
        assertThatThrownBy(() -> ImageBuild.builder().source(rom()).format(ImageFormat.EROFS).compression("gzip").build())
                .isInstanceOfSatisfying(BuildOptionException.class, e -> assertThat(e.option()).isEqualTo("compression"));
        assertThatThrownBy(() -> ImageBuild.builder().source(rom()).format(ImageFormat.TAR).crc(true).build())
                .isInstanceOfSatisfying(BuildOptionException.class, e -> assertThat(e.option()).isEqualTo("crc"));
        assertThatThrownBy(() -> ImageBuild.builder().source(rom()).fileName("out.img").build())
                .isInstanceOfSatisfying(BuildOptionException.class, e -> assertThat(e.option()).isEqualTo("format"));
        assertThatThrownBy(() -> ImageBuild.builder().format(ImageFormat.TAR).build())
                .isInstanceOfSatisfying(BuildOptionException.class, e -> assertThat(e.option()).isEqualTo("sources"));
        assertThatThrownBy(() -> ImageBuild.builder().source(rom()).format(ImageFormat.EROFS).compatibility("linux-4.19").build())
                .isInstanceOfSatisfying(BuildOptionException.class, e -> assertThat(e.option()).isEqualTo("compatibility"));
    }

    @Test
    void theFileNameGivesTheFormatAndStreamCompressionUnlessSet() {
        ImageBuild b = ImageBuild.builder().source(rom()).fileName("initrd.cpio.zst").build();
        assertThat(b.format()).isEqualTo(ImageFormat.CPIO);
        assertThat(b.compression()).isEqualTo(Compression.ZSTD);
        b = ImageBuild.builder().source(rom()).fileName("initrd.cpio.zst").format(ImageFormat.TAR).compression("none").build();
        assertThat(b.format()).isEqualTo(ImageFormat.TAR);
        assertThat(b.compression()).isEqualTo(Compression.NONE);
    }

    @Test
    void pathChannelAndBytesOutputsAreTheSameBytes() throws IOException {
        for (ImageFormat f : ImageFormat.values()) {
            ImageBuild b = ImageBuild.builder().source(rom()).format(f).mtime(MtimePolicy.fixed(0)).build();
            Path file = tmp.resolve("a." + f.id());
            BuildResult r = b.writeTo(file);
            Path viaChannel = tmp.resolve("b." + f.id());
            try (FileChannel ch = FileChannel.open(viaChannel, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE,
                    StandardOpenOption.READ)) {
                assertThat(b.writeTo(ch, Progress.NONE).imageSize()).isEqualTo(r.imageSize());
            }
            ImageBuild.InMemory m = b.toMemory();
            assertThat(m.bytes()).as(f.id()).isEqualTo(Files.readAllBytes(file)).isEqualTo(Files.readAllBytes(viaChannel));
            assertThat(m.result().entries()).isEqualTo(r.entries()).isEqualTo(3);
        }
    }

    @Test
    void aBuildFromMemoryRunsNothingBesideTheCallingThread() throws IOException {
        java.util.concurrent.atomic.AtomicInteger tasks = new java.util.concurrent.atomic.AtomicInteger();
        java.util.concurrent.Executor counting = task -> {
            tasks.incrementAndGet();
            Thread.ofPlatform().start(task);
        };
        for (String compression : new String[] {"none", "lz4", "lz4hc"}) {
            ImageBuild.builder().source(rom()).format(ImageFormat.EROFS).compression(compression).executor(counting).build().toBytes();
        }
        ImageBuild.builder().source(rom()).format(ImageFormat.CPIO).executor(counting).build().toBytes();
        // cpio's writer hands buffers to an output task; EROFS from memory, small files, needs none.
        assertThat(tasks.get()).isEqualTo(1);
    }

    @Test
    void aTargetThatRefusesTheTreeLeavesNothingAtTheDestination() throws IOException {
        Path out = tmp.resolve("rom.erofs");
        ImageBuild b = ImageBuild.builder().source(rom()).format(ImageFormat.EROFS).target(Target.UNIKRAFT).build();
        assertThatThrownBy(() -> b.writeTo(out)).isInstanceOf(TargetException.class).hasMessageContaining("ukcpio");
        try (Stream<Path> s = Files.list(tmp)) {
            assertThat(s).isEmpty();
        }
    }

    @Test
    void sourceDateEpochClampsLaterTimesWhenNoPolicyIsSet() throws IOException {
        Source late = Source.memory().file("f", new byte[1], dev.kiln.fs.Metadata.of(0644).withMtime(2_000_000_000L, 0)).build();
        Source early = Source.memory().file("g", new byte[1], dev.kiln.fs.Metadata.of(0644).withMtime(1000, 0)).build();
        ImageBuild b = ImageBuild.builder().source(late).source(early).format(ImageFormat.TAR).sourceDateEpoch(1_700_000_000L).build();
        try (dev.kiln.fs.Tree t = b.tree()) {
            assertThat(t.resolve(dev.kiln.fs.EntryPath.parse("f")).meta().mtime()).isEqualTo(1_700_000_000L);
            assertThat(t.resolve(dev.kiln.fs.EntryPath.parse("g")).meta().mtime()).isEqualTo(1000);
        }
    }
}
