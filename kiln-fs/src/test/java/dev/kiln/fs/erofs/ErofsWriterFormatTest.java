package dev.kiln.fs.erofs;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.fs.Content;
import dev.kiln.fs.EntryPath;
import dev.kiln.fs.Metadata;
import dev.kiln.fs.Node;
import dev.kiln.fs.Tree;
import dev.kiln.fs.Xattrs;
import dev.kiln.fs.erofs.ErofsWriter.Algorithm;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The layout decisions the issue asks for, read back with dump.erofs 1.5 and from the raw
 * superblock: compact inodes only when nothing is lost, inline tails only when they fit with
 * the inode, shared xattrs, feature bits and the checksum over block 0.
 */
class ErofsWriterFormatTest {
    static final long BUILD = 1_700_000_000L;
    @TempDir Path tmp;

    static Tree tree() {
        Tree t = new Tree(new Metadata(0755, 0, 0, BUILD, 0, Xattrs.NONE));
        Metadata build = new Metadata(0644, 0, 0, BUILD, 0, Xattrs.NONE);
        Xattrs shared = Xattrs.of(Map.of("user.shared", "v".getBytes()));
        t.put(p("compact"), new Node.File(build, Content.of("x".getBytes())));
        t.put(p("nanos"), new Node.File(build.withMtime(BUILD, 5), Content.of("x".getBytes())));
        t.put(p("older"), new Node.File(build.withMtime(BUILD - 1, 0), Content.of("x".getBytes())));
        t.put(p("uid"), new Node.File(build.withOwner(70_000, 0), Content.of("x".getBytes())));
        t.put(p("size0"), new Node.File(build, Content.empty()));
        t.put(p("size4000"), new Node.File(build, Content.of(new byte[4000])));
        t.put(p("size4095"), new Node.File(build, Content.of(new byte[4095])));
        t.put(p("size4096"), new Node.File(build, Content.of(new byte[4096])));
        t.put(p("size4097"), new Node.File(build, Content.of(new byte[4097])));
        t.put(p("fat-xattr"), new Node.File(build.withXattrs(Xattrs.of(Map.of("user.fat", new byte[200]))), Content.of(new byte[4000])));
        t.put(p("shared1"), new Node.File(build.withXattrs(shared), Content.of("1".getBytes())));
        t.put(p("shared2"), new Node.File(build.withXattrs(shared), Content.of("2".getBytes())));
        t.put(p("symlink"), new Node.Symlink(build, "t".repeat(4000)));
        byte[] random = new byte[200_000];
        new SplittableRandom(3).nextBytes(random);
        t.put(p("random"), new Node.File(build, Content.of(random)));
        StringBuilder text = new StringBuilder();
        for (int i = 0; text.length() < 200_000; i++) text.append("line ").append(i % 977).append(": the quick brown fox\n");
        t.put(p("text"), new Node.File(build, Content.of(text.toString().getBytes())));
        return t;
    }

    static EntryPath p(String s) {
        return EntryPath.parse(s);
    }

    record Dumped(int nid, int inodeSize, int layout, int xattrSize, long onDisk) {}

    Dumped dump(Path img, String path) throws IOException {
        String out = ErofsWriterFixtures.run("dump.erofs (Debian package erofs-utils)", "dump.erofs", "--path=/" + path, img.toString());
        return new Dumped(num(out, "NID: (\\d+)"), num(out, "Inode size: (\\d+)"), num(out, "Layout: (\\d+)"),
                num(out, "Xattr size: (\\d+)"), num(out, "On-disk size: (\\d+)"));
    }

    static int num(String s, String re) {
        Matcher m = Pattern.compile(re).matcher(s);
        assertThat(m.find()).as(re + " in\n" + s).isTrue();
        return Integer.parseInt(m.group(1));
    }

    @Test
    void uncompressedLayoutDecisions() throws IOException {
        Path img = tmp.resolve("a.erofs");
        ErofsWriterFixtures.write(tree(), img, new ErofsWriter.Options(Algorithm.NONE, 9, 65536, null, BUILD));
        // Compact (32 bytes) only when mtime is the build time to the nanosecond and ids fit 16 bits.
        assertThat(dump(img, "compact").inodeSize()).isEqualTo(32);
        assertThat(dump(img, "nanos").inodeSize()).isEqualTo(64);
        assertThat(dump(img, "older").inodeSize()).isEqualTo(64);
        assertThat(dump(img, "uid").inodeSize()).isEqualTo(64);
        // FLAT_PLAIN (0) for empty and block-multiple files, FLAT_INLINE (2) when the tail fits.
        assertThat(dump(img, "size0").layout()).isEqualTo(0);
        assertThat(dump(img, "size4000").layout()).isEqualTo(2);
        // 32 + 4095 bytes do not fit one block: the tail goes to a data block instead.
        assertThat(dump(img, "size4095").layout()).isEqualTo(0);
        assertThat(dump(img, "size4096").layout()).isEqualTo(0);
        assertThat(dump(img, "size4097").layout()).isEqualTo(2);
        assertThat(dump(img, "symlink").layout()).isEqualTo(2);
        // 32 + 220 bytes of xattrs + a 4000-byte tail cannot share one block: plain.
        assertThat(dump(img, "fat-xattr").layout()).isEqualTo(0);
        // A shared xattr costs the 12-byte header plus one 4-byte id.
        assertThat(dump(img, "shared1").xattrSize()).isEqualTo(16);
        assertThat(dump(img, "shared2").xattrSize()).isEqualTo(16);

        byte[] image = Files.readAllBytes(img);
        assertThat(image.length % 4096).isZero();
        ByteBuffer sb = ByteBuffer.wrap(image).order(ByteOrder.LITTLE_ENDIAN);
        assertThat(sb.getInt(1024)).isEqualTo(0xE0F5E1E2);
        int rootNid = Short.toUnsignedInt(sb.getShort(1024 + 0x0E));
        assertThat(rootNid).isPositive();
        assertThat(sb.getInt(1024 + 0x08)).isEqualTo(0x3); // sb_csum | mtime
        assertThat(sb.getInt(1024 + 0x50)).isZero(); // a plain image is core format: no incompat bits
        assertThat(sb.getShort(1024 + 0x54)).isZero();
        assertThat(sb.getLong(1024 + 0x18)).isEqualTo(BUILD);
        assertThat(sb.getInt(1024 + 0x24)).isEqualTo(image.length / 4096);
        // The checksum: raw CRC-32C (no final inversion) of block 0 from the superblock on, field zeroed.
        int stored = sb.getInt(1024 + 4);
        sb.putInt(1024 + 4, 0);
        CRC32C crc = new CRC32C();
        crc.update(image, 1024, 4096 - 1024);
        assertThat(stored).isEqualTo((int) ~crc.getValue());
        // A compact inode's offset 12 stays 0: kernels up to 6.14 ignore it, later ones add it to the epoch.
        int compactNid = dump(img, "compact").nid();
        assertThat(sb.getInt(compactNid * 32 + 12)).isZero();
    }

    @Test
    void compressedFeatureBitsAndLayouts() throws IOException {
        Path big = tmp.resolve("big.erofs");
        ErofsWriterFixtures.write(tree(), big, new ErofsWriter.Options(Algorithm.LZ4HC, 9, 65536, null, BUILD));
        ByteBuffer sb = ByteBuffer.wrap(Files.readAllBytes(big)).order(ByteOrder.LITTLE_ENDIAN);
        assertThat(sb.getInt(1024 + 0x50)).isEqualTo(0x3); // LZ4_0PADDING | COMPR_CFGS (big pcluster)
        assertThat(sb.getShort(1024 + 0x54)).isEqualTo((short) 1); // available algorithms: LZ4
        // The LZ4 config record right after the superblock: length 14, distance 65535, 16 blocks.
        assertThat(sb.getShort(1152)).isEqualTo((short) 14);
        assertThat(Short.toUnsignedInt(sb.getShort(1154))).isEqualTo(65535);
        assertThat(sb.getShort(1156)).isEqualTo((short) 16);
        Dumped text = dump(big, "text");
        assertThat(text.layout()).isEqualTo(1); // COMPRESSED_FULL
        // Random data does not compress: stored uncompressed with its tail inline, as mkfs does.
        assertThat(dump(big, "random").layout()).isEqualTo(2);
        // A file of one block or less is never compressed (it cannot save a block); 4097 zeros
        // can, and do: one block instead of two.
        assertThat(dump(big, "size4096").layout()).isEqualTo(0);
        assertThat(dump(big, "size4097").layout()).isEqualTo(1);
        assertThat(dump(big, "size4097").onDisk()).isEqualTo(4096);

        Path small = tmp.resolve("small.erofs");
        ErofsWriterFixtures.write(tree(), small, new ErofsWriter.Options(Algorithm.LZ4, 9, 4096, null, BUILD));
        sb = ByteBuffer.wrap(Files.readAllBytes(small)).order(ByteOrder.LITTLE_ENDIAN);
        // One-block pclusters: Linux 5.4 format, 0padding only, u1 = LZ4 max distance.
        assertThat(sb.getInt(1024 + 0x50)).isEqualTo(0x1);
        assertThat(Short.toUnsignedInt(sb.getShort(1024 + 0x54))).isEqualTo(65535);
        assertThat(dump(small, "text").layout()).isEqualTo(1);
        ErofsWriterFixtures.fsckExtract(small, tmp.resolve("x"));
        ErofsWriterFixtures.fsckExtract(big, tmp.resolve("y"));
    }

    @Test
    void emptyTreeIsOneBlockAndMounts() throws IOException {
        Path img = tmp.resolve("empty.erofs");
        Tree empty = new Tree(new Metadata(0700, 5, 6, 1_234_567_890L, 999_999_999, Xattrs.of(Map.of("user.root", "r".getBytes()))));
        ErofsWriterFixtures.write(empty, img, ErofsWriter.Options.defaults());
        assertThat(Files.size(img)).isEqualTo(4096);
        ErofsWriterFixtures.fsckExtract(img, tmp.resolve("x"));
        Path mnt = tmp.resolve("mnt");
        ErofsWriterFixtures.mount(img, mnt);
        try {
            dev.kiln.fs.testing.Listing.Options all = dev.kiln.fs.testing.Listing.Options.ALL.withNanos(true).withXattrs(true);
            ErofsWriterFixtures.assertSameListing(dev.kiln.fs.testing.Listing.of(mnt, all), dev.kiln.fs.testing.Listing.of(empty, all));
        } finally {
            ErofsWriterFixtures.unmount(mnt);
        }
    }

    @Test
    void progressCountsEveryPathAndContentByte() throws IOException {
        Tree t = tree();
        t.put(p("hard"), new Node.HardLink(p("text")));
        long[] seen = new long[2];
        try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(tmp.resolve("p.erofs"),
                java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.WRITE)) {
            new ErofsWriter(new ErofsWriter.Options(Algorithm.LZ4, 9, 65536, null, BUILD)).write(t, ch, (bytes, entries) -> {
                seen[0] += bytes;
                seen[1] += entries;
            });
        }
        assertThat(seen[1]).isEqualTo(t.size());
        assertThat(seen[0]).isEqualTo(t.contentBytes());
    }

    @Test
    void aHostFileThatGrewFailsTheBuildNamingIt() throws IOException {
        Path f = tmp.resolve("grows");
        Files.write(f, new byte[100]);
        Tree t = new Tree();
        // Nested, and with a sibling before it: the writer spells the path from its directories.
        t.put(p("a/b/grows"), new Node.File(Metadata.of(0644), Content.ofFile(f, 100)));
        t.put(p("a/b/fine"), new Node.File(Metadata.of(0644), Content.of(new byte[10])));
        Files.write(f, new byte[150]);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> ErofsWriterFixtures.write(t, tmp.resolve("g.erofs"), ErofsWriter.Options.defaults()))
                .isInstanceOf(dev.kiln.fs.KilnException.class)
                .hasMessageContaining("/a/b/grows").hasMessageContaining("changed");
    }
}
