package dev.kiln.platform.vmm;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConsoleLogTest {
    @TempDir
    Path dir;

    private static ByteBuffer bytes(String s) {
        return ByteBuffer.wrap(s.getBytes(StandardCharsets.US_ASCII));
    }

    private static String text(ConsoleLog.Chunk c) {
        return new String(c.data(), StandardCharsets.US_ASCII);
    }

    @Test
    void aMissingLogIsEmpty() throws Exception {
        ConsoleLog log = ConsoleLog.in(dir);
        assertThat(log.available()).isEqualTo(new ConsoleLog.Range(0, 0));
        assertThat(log.read(0, 100).data()).isEmpty();
    }

    @Test
    void readsByAbsoluteOffsetWithinWhatIsAvailable() throws Exception {
        try (ConsoleRing ring = ConsoleRing.open(dir.resolve(ConsoleLog.FILE_NAME), 1024)) {
            ring.append(bytes("hello "));
            ring.append(bytes("world"));
        }
        ConsoleLog log = ConsoleLog.in(dir);
        assertThat(text(log.read(0, 100))).isEqualTo("hello world");
        ConsoleLog.Chunk c = log.read(6, 3);
        assertThat(text(c)).isEqualTo("wor");
        assertThat(c.range()).isEqualTo(new ConsoleLog.Range(6, 9));
        assertThat(c.available()).isEqualTo(new ConsoleLog.Range(0, 11));
        assertThat(log.read(11, 10).range()).isEqualTo(new ConsoleLog.Range(11, 11));
        assertThat(log.read(50, 10).range()).isEqualTo(new ConsoleLog.Range(11, 11));
        assertThat(text(log.read(-5, 100))).isEqualTo("world");
        assertThat(text(log.read(-500, 5))).isEqualTo("hello");
    }

    @Test
    void keepsTheLastCapacityBytesAndSaysWhereTheyStart() throws Exception {
        try (ConsoleRing ring = ConsoleRing.open(dir.resolve(ConsoleLog.FILE_NAME), 10)) {
            ring.append(bytes("0123456789ab"));   // wraps in one append
            ring.append(bytes("cdefghijklm"));    // and again
        }
        ConsoleLog log = ConsoleLog.in(dir);
        assertThat(log.available()).isEqualTo(new ConsoleLog.Range(13, 23));
        ConsoleLog.Chunk c = log.read(0, 100);
        assertThat(c.range()).isEqualTo(new ConsoleLog.Range(13, 23));
        assertThat(text(c)).isEqualTo("defghijklm");
        assertThat(text(log.read(20, 2))).isEqualTo("kl");
    }

    @Test
    void anAppendLargerThanTheCapacityKeepsItsTail() throws Exception {
        try (ConsoleRing ring = ConsoleRing.open(dir.resolve(ConsoleLog.FILE_NAME), 8)) {
            ring.append(bytes("abcdefghijklmnopqrstuvwxyz"));
        }
        ConsoleLog.Chunk c = ConsoleLog.in(dir).read(0, 100);
        assertThat(c.range()).isEqualTo(new ConsoleLog.Range(18, 26));
        assertThat(text(c)).isEqualTo("stuvwxyz");
    }

    @Test
    void aLaterLaunchAppendsAfterTheOldEndWithTheFilesCapacity() throws Exception {
        Path f = dir.resolve(ConsoleLog.FILE_NAME);
        try (ConsoleRing ring = ConsoleRing.open(f, 16)) {
            ring.append(bytes("first boot\n"));
        }
        try (ConsoleRing ring = ConsoleRing.open(f, 4096)) {
            assertThat(ring.capacity()).isEqualTo(16);
            ring.append(bytes("second\n"));
        }
        ConsoleLog.Chunk c = ConsoleLog.in(dir).read(0, 100);
        assertThat(c.available()).isEqualTo(new ConsoleLog.Range(2, 18));
        assertThat(text(c)).isEqualTo("rst boot\nsecond\n");
    }

    @Test
    void bytesAWriterDiedWritingAreGivenUp() throws Exception {
        Path f = dir.resolve(ConsoleLog.FILE_NAME);
        try (ConsoleRing ring = ConsoleRing.open(f, 64)) {
            ring.append(bytes("kept"));
        }
        // A writer that crashed after reserving 4 more bytes: committed 4, reserved 8.
        try (FileChannel ch = FileChannel.open(f, StandardOpenOption.WRITE)) {
            ByteBuffer b = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(4).putLong(8).flip();
            ch.write(b, 16);
        }
        assertThat(text(ConsoleLog.in(dir).read(0, 100))).isEqualTo("kept");
        try (ConsoleRing ring = ConsoleRing.open(f, 64)) {
            ring.append(bytes("next"));
        }
        ConsoleLog.Chunk c = ConsoleLog.in(dir).read(8, 100);
        assertThat(c.range()).isEqualTo(new ConsoleLog.Range(8, 12));
        assertThat(text(c)).isEqualTo("next");
    }

    @Test
    void aReaderNeverSeesBytesOverwrittenWhileItRead() throws Exception {
        Path f = dir.resolve(ConsoleLog.FILE_NAME);
        AtomicBoolean done = new AtomicBoolean();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        try (ConsoleRing ring = ConsoleRing.open(f, 997)) {
            Thread writer = Thread.ofPlatform().start(() -> {
                long o = 0;
                try {
                    long until = System.nanoTime() + 1_000_000_000L;
                    while (System.nanoTime() < until) {
                        int n = ThreadLocalRandom.current().nextInt(1, 3000);
                        byte[] b = new byte[n];
                        for (int i = 0; i < n; i++) b[i] = (byte) ((o + i) % 251);
                        ring.append(ByteBuffer.wrap(b));
                        o += n;
                    }
                } catch (Throwable t) {
                    failure.set(t);
                } finally {
                    done.set(true);
                }
            });
            ConsoleLog log = ConsoleLog.in(dir);
            int reads = 0;
            while (!done.get()) {
                ConsoleLog.Chunk c = log.read(-ThreadLocalRandom.current().nextInt(1, 1500), 2000);
                for (int i = 0; i < c.data().length; i++) {
                    assertThat(c.data()[i]).as("byte at offset %d", c.range().start() + i)
                            .isEqualTo((byte) ((c.range().start() + i) % 251));
                }
                assertThat(c.range().length()).isEqualTo(c.data().length);
                reads++;
            }
            writer.join();
            assertThat(failure.get()).isNull();
            assertThat(reads).isPositive();
        }
    }
}
