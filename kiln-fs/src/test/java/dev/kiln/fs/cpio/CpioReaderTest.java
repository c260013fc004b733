package dev.kiln.fs.cpio;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kiln.fs.Content;
import dev.kiln.fs.EntryPath;
import dev.kiln.fs.FormatException;
import dev.kiln.fs.Node;
import dev.kiln.fs.Tree;
import dev.kiln.fs.testing.Listing;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.GZIPOutputStream;
import org.assertj.core.api.AbstractThrowableAssert;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The reader on hand-made archives: the conventions of other producers it must accept, and every
 * class of damage, each of which must be a one-line {@link FormatException} saying where.
 */
class CpioReaderTest {
    @TempDir Path tmp;

    private static final String FIELDS_OK = "00000000";

    // ---- what other producers write ----

    @Test
    void concatenatedArchivesAreReadOnAndLaterEntriesWin() throws Exception {
        RawCpio.Builder b = new RawCpio.Builder().dir("etc").file("etc/a", "first\n").trailer();
        b.zeros(512 - b.size() % 512);
        b.file("etc/a", "second\n").file("etc/b", "b\n").trailer().zeros(1024);
        Tree t = read(b.build());
        assertThat(text(t, "etc/a")).isEqualTo("second\n");
        assertThat(text(t, "etc/b")).isEqualTo("b\n");
    }

    @Test
    void inodeNumbersOfConcatenatedArchivesDoNotLinkAcrossTheTrailer() throws Exception {
        byte[] one = "one".getBytes(StandardCharsets.US_ASCII), two = "two".getBytes(StandardCharsets.US_ASCII);
        RawCpio.Builder b = new RawCpio.Builder().entry("a", 0100644, 5, 2, one).trailer()
                .entry("b", 0100644, 5, 2, two).trailer();
        Tree t = read(b.build());
        assertThat(text(t, "a")).isEqualTo("one");
        assertThat(text(t, "b")).isEqualTo("two");
        assertThat(Listing.of(t, Listing.Options.ALL)).doesNotContain("link=");
    }

    @Test
    void hardLinkDataMayTravelOnTheFirstOrTheLastLink() throws Exception {
        byte[] abc = "abc".getBytes(StandardCharsets.US_ASCII);
        Tree first = read(new RawCpio.Builder()
                .entry("x", 0100644, 7, 2, abc).entry("y", 0100644, 7, 2, new byte[0]).trailer().build());
        Tree last = read(new RawCpio.Builder()
                .entry("x", 0100644, 7, 2, new byte[0]).entry("y", 0100644, 7, 2, abc).trailer().build());
        for (Tree t : new Tree[] {first, last}) {
            assertThat(text(t, "x")).isEqualTo("abc");
            assertThat(text(t, "y")).isEqualTo("abc");
            assertThat(Listing.of(t, Listing.Options.ALL)).contains("/y - 0644 0:0 t=1600000000 ").contains("link=/x");
        }
    }

    @Test
    void hardLinkGroupsNeedTheSameDeviceAndSurviveAReplacedFirstPath() throws Exception {
        byte[] abc = "abc".getBytes(StandardCharsets.US_ASCII);
        RawCpio.Builder b = new RawCpio.Builder()
                .entry("x", 0100644, 9, 3, new byte[0])
                .entry("z", 0100644, 9, 3, new byte[0])
                .dir("x") // the group's first path becomes a directory before the data arrives
                .entry("y", 0100644, 9, 3, abc)
                .trailer();
        Tree t = read(b.build());
        assertThat(t.resolve(EntryPath.parse("x"))).isInstanceOf(Node.Directory.class);
        assertThat(text(t, "y")).isEqualTo("abc");
        assertThat(text(t, "z")).isEqualTo("abc");
        assertThat(Listing.of(t, Listing.Options.ALL)).contains("link=/y");
    }

    @Test
    void aFourGigabyteMemberIsSkippedNotRead() throws Exception {
        // A sparse file: the member's data is a hole, so only seeking past it can be this quick.
        long size = 0xFFFFFFFFL;
        byte[] head = new RawCpio.Builder().entry("big\0".getBytes(StandardCharsets.US_ASCII), 4, 0100644, 1, 1, size, new byte[0])
                .build();
        byte[] trailer = new RawCpio.Builder().file("after", "still here").trailer().build();
        long dataEnd = head.length + size;
        long trailerAt = (dataEnd + 3) & ~3L;
        Path p = tmp.resolve("sparse.cpio");
        try (java.io.RandomAccessFile f = new java.io.RandomAccessFile(p.toFile(), "rw")) {
            f.write(head);
            f.seek(trailerAt);
            f.write(trailer);
        }
        Tree t = new CpioReader().read(p);
        Content big = ((Node.File) t.resolve(EntryPath.parse("big"))).content();
        assertThat(big.size()).isEqualTo(size);
        assertThat(text(t, "after")).isEqualTo("still here");
    }

    @Test
    void prefixedNamesAndTheRootEntryLandInPlace() throws Exception {
        byte[] archive = new RawCpio.Builder().entry(".", 041777, 1, 2, new byte[0]).file("./a", "1").file("/b", "2")
                .entry("c/", 040700, 2, 2, new byte[0]).trailer().build();
        Tree t = read(archive);
        assertThat(Listing.of(t, Listing.Options.ALL)).startsWith("/ d 1777 0:0 t=1600000000\n/a - 0644");
        assertThat(t.contains(EntryPath.parse("b"))).isTrue();
        assertThat(t.resolve(EntryPath.parse("c")).meta().permissions()).isEqualTo(0700);
        // File contents are slices of the archive, not copies.
        Content c = ((Node.File) t.resolve(EntryPath.parse("b"))).content();
        assertThat(c).isInstanceOf(Content.Slice.class);
    }

    @Test
    void gnuCpioTrailerWithModeZeroAndBlockPaddingIsFine() throws Exception {
        RawCpio.Builder b = new RawCpio.Builder().file("a", "x").trailer();
        b.zeros(512 - b.size() % 512);
        assertThat(text(read(b.build()), "a")).isEqualTo("x");
    }

    // ---- damage ----

    @Test
    void badMagic() {
        assertFails("hello, this is not a cpio archive".getBytes(StandardCharsets.US_ASCII))
                .hasMessageContaining("offset 0").hasMessageContaining("bad magic \"hello,\"");
        RawCpio.Builder b = new RawCpio.Builder().file("a", "x");
        int second = b.size();
        b.bytes("07070Xgarbage".getBytes(StandardCharsets.US_ASCII));
        assertFails(b.build()).hasMessageContaining("offset " + second).hasMessageContaining("bad magic");
    }

    @Test
    void nonHexField() {
        String[] f = fields(0100644, 2, 1);
        f[6] = "0000G001"; // c_filesize
        byte[] archive = new RawCpio.Builder().rawHeader(f, "a\0".getBytes(StandardCharsets.US_ASCII), new byte[0]).trailer().build();
        assertFails(archive).hasMessageContaining("offset " + (6 + 6 * 8 + 4)).hasMessageContaining("c_filesize")
                .hasMessageContaining("non-hex character 'G'");
    }

    @Test
    void nonOctalOdcField() {
        byte[] archive = ("070707" + "000000" + "000001" + "1006x4" + "0".repeat(76 - 24) + "a\0")
                .getBytes(StandardCharsets.US_ASCII);
        assertFails(archive).hasMessageContaining("offset 22").hasMessageContaining("c_mode").hasMessageContaining("non-octal");
    }

    @Test
    void truncatedHeader() {
        byte[] whole = new RawCpio.Builder().file("a", "hello").file("b", "x").trailer().build();
        assertFails(Arrays.copyOf(whole, 50)).hasMessageContaining("offset 0").hasMessageContaining("truncated header: 50 of 110");
        int second = new RawCpio.Builder().file("a", "hello").size();
        assertFails(Arrays.copyOf(whole, second + 3)).hasMessageContaining("offset " + second).hasMessageContaining("truncated header");
    }

    @Test
    void truncatedName() {
        byte[] whole = new RawCpio.Builder().file("a-rather-long-name", "hello").trailer().build();
        assertFails(Arrays.copyOf(whole, 115)).hasMessageContaining("offset 110").hasMessageContaining("truncated name: 5 of 19 bytes");
    }

    @Test
    void truncatedDataAndSizesPastTheEnd() {
        byte[] whole = new RawCpio.Builder().file("etc/passwd", "root:x:0:0\n").trailer().build();
        assertFails(Arrays.copyOf(whole, 125)).hasMessageContaining("offset 0 (entry \"etc/passwd\")")
                .hasMessageContaining("file size 11 runs past the end of the archive (1 bytes left)");
        byte[] huge = new RawCpio.Builder().entry("big\0".getBytes(StandardCharsets.US_ASCII), 4, 0100644, 1, 1, 0xFFFFFFFFL, new byte[8])
                .trailer().build();
        assertFails(huge).hasMessageContaining("entry \"big\"").hasMessageContaining("file size 4294967295 runs past the end");
    }

    @Test
    void nameSizeZeroOrAbsurd() {
        assertFails(new RawCpio.Builder().entry(new byte[0], 0, 0100644, 1, 1, 0, new byte[0]).trailer().build())
                .hasMessageContaining("offset 0").hasMessageContaining("name size is 0");
        assertFails(new RawCpio.Builder().entry("a\0".getBytes(StandardCharsets.US_ASCII), 70_000, 0100644, 1, 1, 0, new byte[0])
                .trailer().build()).hasMessageContaining("offset 0").hasMessageContaining("name size 70000 is absurd");
        assertFails(new RawCpio.Builder().entry(new byte[1], 1, 040755, 1, 1, 0, new byte[0]).trailer().build())
                .hasMessageContaining("offset 0").hasMessageContaining("empty name");
        assertFails(new RawCpio.Builder().entry("abc".getBytes(StandardCharsets.US_ASCII), 3, 0100644, 1, 1, 0, new byte[0])
                .trailer().build()).hasMessageContaining("offset 110").hasMessageContaining("not NUL-terminated");
    }

    @Test
    void missingTrailer() {
        byte[] noTrailer = new RawCpio.Builder().file("a", "x").file("b", "y").build();
        assertFails(noTrailer).hasMessageContaining("offset " + noTrailer.length).hasMessageContaining("without a TRAILER!!!");
        assertFails(new byte[0]).hasMessageContaining("empty file");
    }

    @Test
    void namesThatAreNotUtf8OrTryToEscape() {
        byte[] latin1 = {'c', 'a', 'f', (byte) 0xe9, 0};
        assertFails(new RawCpio.Builder().entry(latin1, latin1.length, 0100644, 1, 1, 0, new byte[0]).trailer().build())
                .hasMessageContaining("offset 110").hasMessageContaining("not valid UTF-8").hasMessageContaining("636166e9");
        assertFails(new RawCpio.Builder().file("../etc/shadow", "x").trailer().build())
                .hasMessageContaining("offset 0 (entry \"../etc/shadow\")").hasMessageContaining("\"..\"");
        assertFails(new RawCpio.Builder().file("a/../../b", "x").trailer().build()).hasMessageContaining("\"..\"");
        assertFails(new RawCpio.Builder().file("a//b", "x").trailer().build()).hasMessageContaining("empty component");
        assertFails(new RawCpio.Builder().file("a\0b", "x").trailer().build()).hasMessageContaining("NUL");
    }

    @Test
    void unknownFileTypeBits() {
        assertFails(new RawCpio.Builder().entry("odd", 0000644, 1, 1, new byte[0]).trailer().build())
                .hasMessageContaining("offset 0 (entry \"odd\")").hasMessageContaining("unknown file type bits 000000 in mode 000644");
        assertFails(new RawCpio.Builder().entry("odd", 0150644, 1, 1, new byte[0]).trailer().build())
                .hasMessageContaining("unknown file type bits 150000");
        assertFails(new RawCpio.Builder().entry("odd", 0x12345678L, 1, 1, new byte[0]).trailer().build())
                .hasMessageContaining("has bits above");
    }

    @Test
    void badSymlinksAndRoot() {
        assertFails(new RawCpio.Builder().entry("l", 0120777, 1, 1, new byte[0]).trailer().build())
                .hasMessageContaining("entry \"l\"").hasMessageContaining("empty target");
        assertFails(new RawCpio.Builder().entry("l", 0120777, 1, 1, "a\0b".getBytes(StandardCharsets.US_ASCII)).trailer().build())
                .hasMessageContaining("entry \"l\"").hasMessageContaining("NUL");
        assertFails(new RawCpio.Builder().entry("l", 0120777, 1, 1, new byte[] {(byte) 0xc3}).trailer().build())
                .hasMessageContaining("offset 112 (entry \"l\")").hasMessageContaining("not valid UTF-8");
        assertFails(new RawCpio.Builder().entry(".", 0100644, 1, 1, new byte[0]).trailer().build())
                .hasMessageContaining("root entry must be a directory");
    }

    @Test
    void junkAfterTheTrailer() throws Exception {
        RawCpio.Builder b = new RawCpio.Builder().file("a", "x").trailer().zeros(100);
        int junk = b.size();
        assertFails(b.bytes("garbage".getBytes(StandardCharsets.US_ASCII)).build())
                .hasMessageContaining("offset " + junk).hasMessageContaining("unexpected bytes after TRAILER!!!");
        ByteArrayOutputStream gz = new ByteArrayOutputStream();
        try (GZIPOutputStream z = new GZIPOutputStream(gz)) {
            z.write(new RawCpio.Builder().file("b", "y").trailer().build());
        }
        assertFails(new RawCpio.Builder().file("a", "x").trailer().bytes(gz.toByteArray()).build())
                .hasMessageContaining("gzip-compressed archive follows the trailer");
    }

    @Test
    void crcArchivesWithAWrongDataSumAreRefusedLikeLinuxDoes() throws Exception {
        byte[] data = "kiln\n".getBytes(StandardCharsets.US_ASCII); // 107+105+108+110+10 = 0x1B8
        String[] f = fields(0100644, 2, 1);
        f[6] = String.format("%08X", data.length);
        f[12] = "000001B8";
        byte[] good = new RawCpio.Builder().magic("070702").rawHeader(f, "a\0".getBytes(StandardCharsets.US_ASCII), data)
                .trailer().build();
        assertThat(text(read(good), "a")).isEqualTo("kiln\n");
        f[12] = "000001B9";
        byte[] bad = new RawCpio.Builder().magic("070702").rawHeader(f, "a\0".getBytes(StandardCharsets.US_ASCII), data)
                .trailer().build();
        assertFails(bad).hasMessageContaining("offset 0 (entry \"a\")")
                .hasMessageContaining("bad data checksum: c_check is 000001B9, the data sums to 000001B8");
    }

    // ---- helpers ----

    private static String[] fields(long mode, long nameSize, long nlink) {
        String[] f = new String[13];
        Arrays.fill(f, FIELDS_OK);
        f[1] = String.format("%08X", mode);
        f[4] = String.format("%08X", nlink);
        f[11] = String.format("%08X", nameSize);
        return f;
    }

    private int reads;

    private Tree read(byte[] archive) throws Exception {
        // Contents are lazy slices of the file, so every archive of a test needs its own.
        Path dir = Files.createDirectory(tmp.resolve("r" + reads++));
        Path p = Files.write(dir.resolve("t.cpio"), archive);
        return new CpioReader().read(p);
    }

    private AbstractThrowableAssert<?, ? extends Throwable> assertFails(byte[] archive) {
        return assertThatThrownBy(() -> read(archive)).isInstanceOf(FormatException.class)
                .hasMessageStartingWith("t.cpio: offset ").satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
    }

    private static String text(Tree t, String path) throws Exception {
        return new String(((Node.File) t.resolve(EntryPath.parse(path))).content().readAll(), StandardCharsets.UTF_8);
    }
}
