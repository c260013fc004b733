package dev.kiln.fs.erofs;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.fs.Content;
import dev.kiln.fs.EntryPath;
import dev.kiln.fs.Metadata;
import dev.kiln.fs.Node;
import dev.kiln.fs.Tree;
import dev.kiln.fs.Xattrs;
import dev.kiln.fs.erofs.ErofsWriter.Algorithm;
import dev.kiln.fs.testing.SampleTree;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Equal trees give byte-identical images, whatever the order sources listed them or threads ran. */
class ErofsWriterReproducibilityTest {
    @TempDir Path tmp;

    /** A tree with every kind of entry, several compressible files and a shared xattr, put in {@code order}. */
    static Tree tree(long shuffleSeed) {
        List<Map.Entry<EntryPath, Node>> items = new ArrayList<>();
        Metadata m = new Metadata(0644, 1000, 100, 1_650_000_000L, 123, Xattrs.NONE);
        Xattrs shared = Xattrs.of(Map.of("user.origin", "kiln".getBytes()));
        for (int d = 0; d < 20; d++) {
            items.add(Map.entry(EntryPath.parse("d" + d), new Node.Directory(m.withPermissions(0755).withXattrs(shared))));
            for (int f = 0; f < 30; f++) {
                int size = (d * 30 + f) * 997 % 200_000;
                items.add(Map.entry(EntryPath.parse("d" + d + "/f" + f),
                        new Node.File(m, Content.of(SampleTree.bytes(size, d * 100 + f)))));
            }
        }
        items.add(Map.entry(EntryPath.parse("big"), new Node.File(m, Content.of(SampleTree.bytes(9 << 20, 5)))));
        items.add(Map.entry(EntryPath.parse("link"), new Node.Symlink(m, "d1/f1")));
        items.add(Map.entry(EntryPath.parse("dev/null"), new Node.Device(m, Node.DeviceKind.CHAR, 1, 3)));
        items.add(Map.entry(EntryPath.parse("fifo"), new Node.Fifo(m)));
        Collections.shuffle(items, new Random(shuffleSeed));
        Tree t = new Tree();
        for (var e : items) t.put(e.getKey(), e.getValue());
        // Hard links go last: their target must exist.
        t.put(EntryPath.parse("d3/hard"), new Node.HardLink(EntryPath.parse("d1/f1")));
        return t;
    }

    static byte[] image(Tree t, ErofsWriter.Options o, Path file) throws IOException {
        ErofsWriterFixtures.write(t, file, o);
        return Files.readAllBytes(file);
    }

    @ParameterizedTest
    @EnumSource(value = Algorithm.class, names = {"NONE", "LZ4"})
    void sameTreeInAnyOrderGivesTheSameBytes(Algorithm alg) throws IOException {
        ErofsWriter.Options o = new ErofsWriter.Options(alg, 9, 65536, null, 0);
        byte[] a = image(tree(1), o, tmp.resolve("a"));
        byte[] b = image(tree(2), o, tmp.resolve("b"));
        byte[] c = image(tree(2), o, tmp.resolve("c")); // same input again: thread timing must not matter
        assertThat(b).isEqualTo(a);
        assertThat(c).isEqualTo(a);
        ErofsWriterFixtures.fsckExtract(tmp.resolve("a"), tmp.resolve("x"));
    }

    @Test
    void uuidComesFromTheContentUnlessGiven() throws IOException {
        ErofsWriter.Options derived = new ErofsWriter.Options(Algorithm.NONE, 9, 65536, null, 0);
        byte[] a = image(tree(1), derived, tmp.resolve("a"));
        Tree other = tree(1);
        other.put(EntryPath.parse("extra"), new Node.File(Metadata.of(0644), Content.of(new byte[] {1})));
        byte[] b = image(other, derived, tmp.resolve("b"));
        assertThat(uuid(b)).isNotEqualTo(uuid(a));
        assertThat(uuid(a).version()).isEqualTo(5);

        UUID fixed = UUID.fromString("01234567-89ab-cdef-0123-456789abcdef");
        byte[] c = image(tree(1), new ErofsWriter.Options(Algorithm.NONE, 9, 65536, fixed, 0), tmp.resolve("c"));
        assertThat(uuid(c)).isEqualTo(fixed);
        assertThat(ErofsWriterFixtures.run("dump.erofs (Debian package erofs-utils)", "dump.erofs", "-s", tmp.resolve("c").toString()))
                .contains(fixed.toString());
    }

    /**
     * With every mtime pinned (SOURCE_DATE_EPOCH), changing bytes inside a file changes no
     * metadata: the UUID must still change, whether the file came from the host (copied in the
     * kernel), from memory, or was compressed. Rebuilding the same input keeps it.
     */
    @ParameterizedTest
    @EnumSource(value = Algorithm.class, names = {"NONE", "LZ4"})
    void uuidCoversFileDataNotOnlyMetadata(Algorithm alg) throws IOException {
        ErofsWriter.Options derived = new ErofsWriter.Options(alg, 9, 65536, null, 0);
        Path dir = Files.createDirectories(tmp.resolve("src"));
        byte[] data = SampleTree.bytes(300_000, 7);
        Files.write(dir.resolve("host.bin"), data);
        Files.setLastModifiedTime(dir.resolve("host.bin"), java.nio.file.attribute.FileTime.fromMillis(0));
        UUID before = uuid(image(hostTree(dir, data), derived, tmp.resolve("a")));
        assertThat(uuid(image(hostTree(dir, data), derived, tmp.resolve("a2")))).isEqualTo(before);

        byte[] changed = data.clone();
        changed[100_000] ^= 1; // a byte in a full block of the host file
        Files.write(dir.resolve("host.bin"), changed);
        Files.setLastModifiedTime(dir.resolve("host.bin"), java.nio.file.attribute.FileTime.fromMillis(0));
        UUID hostChanged = uuid(image(hostTree(dir, data), derived, tmp.resolve("b")));
        assertThat(hostChanged).isNotEqualTo(before);

        Files.write(dir.resolve("host.bin"), data);
        Files.setLastModifiedTime(dir.resolve("host.bin"), java.nio.file.attribute.FileTime.fromMillis(0));
        UUID memoryChanged = uuid(image(hostTree(dir, changed), derived, tmp.resolve("c")));
        assertThat(memoryChanged).isNotEqualTo(before).isNotEqualTo(hostChanged);
    }

    /** The host directory (every mtime pinned to 0) plus an in-memory file holding {@code memory}. */
    private static Tree hostTree(Path dir, byte[] memory) throws IOException {
        Tree t = dev.kiln.fs.source.HostSource.read(dir);
        t.put(EntryPath.parse("memory.bin"), new Node.File(Metadata.of(0644), Content.of(memory)));
        t.mapMetadata(n -> n.meta().withMtime(0, 0));
        return t;
    }

    static UUID uuid(byte[] image) {
        ByteBuffer b = ByteBuffer.wrap(image, 1024 + 0x30, 16).order(ByteOrder.BIG_ENDIAN);
        return new UUID(b.getLong(), b.getLong());
    }
}
