package dev.kiln.fs.erofs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kiln.fs.EntryPath;
import dev.kiln.fs.FormatException;
import dev.kiln.fs.Node;
import dev.kiln.fs.Tree;
import dev.kiln.fs.testing.Listing;
import dev.kiln.fs.testing.SampleTree;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Hand-made damage to real mkfs.erofs images: each case must end in a {@link FormatException}
 * that says where (nid or offset) and what, never a hang, a crash or a silently wrong tree.
 */
class ErofsReaderCorruptTest {
    private static Path work, src;

    @BeforeAll
    static void setUp() throws IOException {
        ErofsReaderMkfsTest.requireTool("mkfs.erofs", "erofs-utils");
        work = Files.createTempDirectory("kiln-erofsr-bad-");
        src = Files.createDirectory(work.resolve("src"));
        Files.createDirectories(src.resolve("a/b"));
        Files.write(src.resolve("a/file"), SampleTree.bytes(200_000, 1));
        Files.write(src.resolve("zeros"), new byte[3 * 4096]);
        Files.writeString(src.resolve("small"), "small\n");
    }

    @AfterAll
    static void cleanUp() throws IOException {
        if (work != null) SampleTree.delete(work);
    }

    private static byte[] mkfs(String... options) throws IOException {
        Path img = Files.createTempFile(work, "img-", ".erofs");
        String[] cmd = new String[options.length + 4];
        cmd[0] = "mkfs.erofs";
        cmd[1] = "-T0";
        System.arraycopy(options, 0, cmd, 2, options.length);
        cmd[cmd.length - 2] = img.toString();
        cmd[cmd.length - 1] = src.toString();
        SampleTree.run(cmd);
        return Files.readAllBytes(img);
    }

    private static Path write(byte[] image) throws IOException {
        Path p = Files.createTempFile(work, "bad-", ".erofs");
        Files.write(p, image);
        return p;
    }

    /** Recomputes the superblock checksum so that a patch reaches the code behind the check. */
    static void fixChecksum(byte[] img) {
        int bits = img[1024 + 0x0C] & 0xFF;
        if (bits < 9 || bits > 16) return; // the reader refuses such a block size before the checksum
        int bs = 1 << bits;
        int len = bs > 1024 ? bs - 1024 : bs;
        if (img.length < 1024 + len) return;
        byte[] b = Arrays.copyOfRange(img, 1024, 1024 + len);
        b[4] = b[5] = b[6] = b[7] = 0;
        CRC32C crc = new CRC32C();
        crc.update(b);
        putInt(img, 1024 + 4, (int) ~crc.getValue());
    }

    static void putInt(byte[] b, int at, int v) {
        for (int i = 0; i < 4; i++) b[at + i] = (byte) (v >>> (8 * i));
    }

    static void putLong(byte[] b, int at, long v) {
        for (int i = 0; i < 8; i++) b[at + i] = (byte) (v >>> (8 * i));
    }

    static long getLong(byte[] b, int at) {
        long v = 0;
        for (int i = 7; i >= 0; i--) v = v << 8 | (b[at + i] & 0xFF);
        return v;
    }

    /** Offset of the dirent block of a directory whose names are exactly {@code names} (sorted). */
    static int direntBlock(byte[] img, String... names) {
        byte[] pattern = String.join("", names).getBytes(StandardCharsets.UTF_8);
        int nameoff = 12 * names.length;
        for (int i = nameoff; i + pattern.length <= img.length; i++) {
            if (Arrays.equals(img, i, i + pattern.length, pattern, 0, pattern.length)
                    && (img[i - nameoff + 8] & 0xFF | (img[i - nameoff + 9] & 0xFF) << 8) == nameoff) {
                return i - nameoff;
            }
        }
        throw new AssertionError("no dirent block with " + String.join(",", names));
    }

    private static Tree readAll(Path p) throws IOException {
        Tree t = new ErofsReader().read(p);
        Listing.of(t, Listing.Options.ALL); // opens and hashes every file
        return t;
    }

    @Test
    void untouchedImageReads() throws IOException {
        byte[] img = mkfs();
        Tree t = readAll(write(img));
        assertThat(t.list(EntryPath.parse("a"))).containsExactly("b", "file");
    }

    @Test
    void truncatedImages() throws IOException {
        byte[] img = mkfs("-zlz4hc");
        assertThatThrownBy(() -> readAll(write(Arrays.copyOf(img, 1100))))
                .isInstanceOf(FormatException.class).hasMessageContaining("too small");
        for (int cut : new int[] {4096, img.length / 2, img.length - 4096}) {
            assertThatThrownBy(() -> readAll(write(Arrays.copyOf(img, cut))))
                    .as("cut at %d", cut).isInstanceOf(FormatException.class).hasMessageContaining("bad-");
        }
    }

    @Test
    void wrongMagicAndChecksum() throws IOException {
        byte[] img = mkfs();
        byte[] noMagic = img.clone();
        noMagic[1024] ^= 1;
        assertThatThrownBy(() -> readAll(write(noMagic))).isInstanceOf(FormatException.class).hasMessageContaining("magic");
        byte[] badSum = img.clone();
        badSum[1024 + 0x30] ^= 1; // the uuid: harmless to everything but the checksum
        assertThatThrownBy(() -> readAll(write(badSum))).isInstanceOf(FormatException.class).hasMessageContaining("checksum mismatch");
        byte[] feature = img.clone();
        feature[1024 + 0x50] = (byte) 0x80; // 48-bit addressing
        fixChecksum(feature);
        assertThatThrownBy(() -> readAll(write(feature))).isInstanceOf(FormatException.class)
                .hasMessageContaining("unsupported incompatible feature bits 0x80");
    }

    @Test
    void directoryCyclesAndWildNids() throws IOException {
        byte[] img = mkfs();
        int blk = direntBlock(img, ".", "..", "b", "file"); // the dirents of /a
        long self = getLong(img, blk);
        byte[] cycle = img.clone();
        putLong(cycle, blk + 24, self); // "b" now names /a itself
        fixChecksum(cycle);
        assertThatThrownBy(() -> readAll(write(cycle))).isInstanceOf(FormatException.class)
                .hasMessageContaining("nid " + self).hasMessageContaining("reachable twice");
        byte[] toRoot = img.clone();
        long root = getLong(img, blk + 12); // ".." of /a is the root
        putLong(toRoot, blk + 24, root);
        fixChecksum(toRoot);
        assertThatThrownBy(() -> readAll(write(toRoot))).isInstanceOf(FormatException.class).hasMessageContaining("reachable twice");
        byte[] wild = img.clone();
        putLong(wild, blk + 24, 0x7FFF_FFFF_FFFFL);
        fixChecksum(wild);
        assertThatThrownBy(() -> readAll(write(wild))).isInstanceOf(FormatException.class).hasMessageContaining("outside the image");
        byte[] slash = img.clone();
        int names = blk + 48;
        slash[names + 3] = '/'; // "b" -> "/"
        fixChecksum(slash);
        assertThatThrownBy(() -> readAll(write(slash))).isInstanceOf(FormatException.class).hasMessageContaining("invalid name");
    }

    @Test
    void unsupportedCompressionAlgorithm() throws IOException {
        byte[] img = mkfs("-zlz4hc");
        Tree t = new ErofsReader().read(write(img));
        ZMapContent z = (ZMapContent) ((Node.File) t.resolve(EntryPath.parse("a/file"))).content();
        int header = headerPos(write(img), z.nid);
        for (int alg : new int[] {1, 2, 3}) {
            byte[] bad = img.clone();
            bad[header + 6] = (byte) alg;
            fixChecksum(bad);
            assertThatThrownBy(() -> readAll(write(bad))).isInstanceOf(FormatException.class)
                    .hasMessageContaining("nid " + z.nid).hasMessageContaining("unsupported compression algorithm " + alg);
        }
    }

    private static int headerPos(Path img, long nid) throws IOException {
        try (ErofsReaderImage i = new ErofsReaderImage(img, "x")) {
            return (int) ((ErofsReaderInode.read(i, nid).dataPos() + 7) & ~7L);
        }
    }

    @Test
    void corruptLz4DataFailsWhenTheFileIsRead() throws IOException {
        byte[] img = mkfs("-zlz4hc", "-Elegacy-compress");
        Tree t = new ErofsReader().read(write(img));
        ZMapContent z = (ZMapContent) ((Node.File) t.resolve(EntryPath.parse("a/file"))).content();
        int header = headerPos(write(img), z.nid);
        // FULL index: the first entry is a HEAD1 whose last four bytes are its block address.
        long blk = getLong(img, header + 16 + 4) & 0xFFFFFFFFL;
        byte[] bad = img.clone();
        int end = (int) ((blk + 1) * 4096);
        Arrays.fill(bad, end - 300, end, (byte) 0xFF);
        Path p = write(bad);
        Tree broken = new ErofsReader().read(p); // metadata is intact: the damage shows on read
        Node.File f = (Node.File) broken.resolve(EntryPath.parse("a/file"));
        assertThatThrownBy(() -> {
            try (InputStream in = f.content().open()) {
                in.transferTo(java.io.OutputStream.nullOutputStream());
            }
        }).isInstanceOf(FormatException.class).hasMessageContaining("nid " + z.nid).hasMessageContaining("LZ4");
    }

    @Test
    void unknownLayoutAndBadInlineTail() throws IOException {
        byte[] img = mkfs();
        Tree t = new ErofsReader().read(write(img));
        long nid;
        try (ErofsReaderImage i = new ErofsReaderImage(write(img), "x")) {
            // The dirent of "small" in the root names its nid.
            int blk = direntBlock(img, ".", "..", "a", "small", "zeros");
            nid = getLong(img, blk + 36);
            long pos = ErofsReaderInode.read(i, nid).pos();
            byte[] bad = img.clone();
            bad[(int) pos] = (byte) ((bad[(int) pos] & 1) | (5 << 1));
            fixChecksum(bad);
            assertThatThrownBy(() -> readAll(write(bad))).isInstanceOf(FormatException.class)
                    .hasMessageContaining("nid " + nid).hasMessageContaining("unknown data layout 5");
            byte[] huge = img.clone();
            putInt(huge, (int) pos + 8, 4095); // an inline tail that would run past its block
            fixChecksum(huge);
            assertThatThrownBy(() -> readAll(write(huge))).isInstanceOf(FormatException.class).hasMessageContaining("nid " + nid);
        }
        assertThat(t.contains(EntryPath.parse("small"))).isTrue();
    }

    /**
     * mkfs.erofs 1.5 cannot write fragments (1.6 added them), so this patches a real image: file
     * "b" becomes a whole-file fragment of the packed inode, played here by file "all", whose
     * bytes end with exactly b's. Reading b must then go through the packed inode.
     */
    @Test
    void wholeFileFragmentsReadFromThePackedInode() throws IOException {
        Path fsrc = Files.createDirectory(work.resolve("frag-src"));
        byte[] a = SampleTree.bytes(10_000, 7);
        StringBuilder text = new StringBuilder();
        for (int i = 0; text.length() < 20_000; i++) text.append("fragment line ").append(i).append('\n');
        byte[] b = text.toString().getBytes(StandardCharsets.US_ASCII);
        byte[] all = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, all, a.length, b.length);
        Files.write(fsrc.resolve("all"), all);
        Files.write(fsrc.resolve("b"), b);
        Path imgPath = Files.createTempFile(work, "frag-", ".erofs");
        SampleTree.run("mkfs.erofs", "-T0", "-zlz4", imgPath.toString(), fsrc.toString());
        byte[] img = Files.readAllBytes(imgPath);
        Tree t = new ErofsReader().read(imgPath);
        long allNid = ((ErofsContent) ((Node.File) t.resolve(EntryPath.parse("all"))).content()).nid;
        long bNid = ((ErofsContent) ((Node.File) t.resolve(EntryPath.parse("b"))).content()).nid;
        int header = headerPos(imgPath, bNid);
        byte[] patched = img.clone();
        patched[1024 + 0x50] |= 0x20; // FRAGMENTS
        putLong(patched, 1024 + 0x60, allNid); // packed_nid
        putLong(patched, header, Long.MIN_VALUE | a.length); // bit 63: the whole file is a fragment at this offset
        fixChecksum(patched);
        Tree f = new ErofsReader().read(write(patched));
        Node.File fb = (Node.File) f.resolve(EntryPath.parse("b"));
        assertThat(fb.content()).isInstanceOf(ErofsContent.Fragment.class);
        assertThat(fb.content().readAll()).isEqualTo(b);
        assertThat(((Node.File) f.resolve(EntryPath.parse("all"))).content().readAll()).isEqualTo(all);

        byte[] outside = patched.clone();
        putLong(outside, header, Long.MIN_VALUE | (all.length - 10));
        fixChecksum(outside);
        assertThatThrownBy(() -> readAll(write(outside))).isInstanceOf(FormatException.class)
                .hasMessageContaining("nid " + bNid).hasMessageContaining("outside the packed inode");
    }

    @Test
    void chunkHolesReadAsZeros() throws IOException {
        byte[] img = mkfs("--chunksize=4096");
        Path p = write(img);
        Tree t = new ErofsReader().read(p);
        ErofsContent.Chunked c = (ErofsContent.Chunked) ((Node.File) t.resolve(EntryPath.parse("zeros"))).content();
        assertThat(c.unit()).isEqualTo(4);
        byte[] holes = img.clone();
        for (int i = 0; i < 3; i++) putInt(holes, (int) c.indexPos() + 4 * i, -1); // EROFS_NULL_ADDR
        fixChecksum(holes);
        Tree h = new ErofsReader().read(write(holes));
        byte[] data = ((Node.File) h.resolve(EntryPath.parse("zeros"))).content().readAll();
        assertThat(data).isEqualTo(new byte[3 * 4096]);
    }
}
