package dev.kiln.fs.tar;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.kiln.fs.EntryPath;
import dev.kiln.fs.FormatException;
import dev.kiln.fs.Node;
import dev.kiln.fs.Tree;
import dev.kiln.fs.testing.Listing;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every kind of broken or hostile archive ends in a FormatException that says where. */
class TarBadInputTest {
    @TempDir Path tmp;

    private Tree read(byte[] tar) throws IOException {
        Path f = tmp.resolve("in.tar");
        Files.write(f, tar);
        return new TarReader().read(f, "in.tar");
    }

    private FormatException fails(byte[] tar) {
        FormatException e = catchThrowableOfType(FormatException.class, () -> read(tar));
        assertThat(e).as("expected a FormatException").isNotNull();
        assertThat(e.getMessage()).startsWith("in.tar: offset " + e.offset());
        return e;
    }

    private static RawTar good() {
        return new RawTar().block(RawTar.header("./", '5', 0)).file("./etc/passwd", "root:x:0:0\n");
    }

    @Test
    void wellFormedBaselineReads() throws Exception {
        Tree t = read(good().end().bytes());
        assertThat(t.resolve(EntryPath.parse("etc/passwd"))).isInstanceOf(Node.File.class);
    }

    @Test
    void missingEndBlocksAreTolerated() throws Exception {
        Tree t = read(good().bytes());
        assertThat(t.contains(EntryPath.parse("etc/passwd"))).isTrue();
    }

    @Test
    void badChecksum() {
        byte[] tar = good().end().bytes();
        tar[512 + 10] ^= 1; // a byte of the second header's name
        FormatException e = fails(tar);
        assertThat(e.offset()).isEqualTo(512);
        assertThat(e.getMessage()).contains("checksum");
    }

    @Test
    void signedChecksumIsAccepted() throws Exception {
        byte[] h = RawTar.header("./é", '0', 0);
        String s = String.format("%06o", TarFormat.signedChecksum(h));
        for (int i = 0; i < 6; i++) h[TarFormat.CHKSUM + i] = (byte) s.charAt(i);
        assertThat(read(new RawTar().block(h).end().bytes()).contains(EntryPath.parse("é"))).isTrue();
    }

    @Test
    void partialHeader() {
        RawTar t = good();
        int at = t.size();
        byte[] tar = Arrays.copyOf(t.block(RawTar.header("./x", '0', 0)).bytes(), at + 300);
        FormatException e = fails(tar);
        assertThat(e.offset()).isEqualTo(at);
        assertThat(e.getMessage()).contains("truncated header");
    }

    @Test
    void truncatedData() {
        RawTar t = good();
        int at = t.size();
        byte[] tar = t.block(RawTar.header("./big", '0', 5000)).raw(new byte[1000]).bytes();
        FormatException e = fails(tar);
        assertThat(e.offset()).isEqualTo(at);
        assertThat(e.getMessage()).contains("entry \"./big\"").contains("runs past the end");
    }

    @Test
    void truncatedInPadding() {
        byte[] tar = good().bytes();
        FormatException e = fails(Arrays.copyOf(tar, tar.length - 100));
        assertThat(e.offset()).isEqualTo(512 + 512 + 11); // after "root:x:0:0\n"
        assertThat(e.getMessage()).contains("entry \"./etc/passwd\"").contains("truncated");
    }

    @Test
    void hugeBase256SizeRunsPastEnd() {
        byte[] h = RawTar.header("./huge", '0', 0);
        h[TarFormat.SIZE] = (byte) 0x80;
        Arrays.fill(h, TarFormat.SIZE + 1, TarFormat.SIZE + 12, (byte) 0);
        h[TarFormat.SIZE + 4] = 0x7f;
        Arrays.fill(h, TarFormat.SIZE + 5, TarFormat.SIZE + 12, (byte) 0xff); // Long.MAX_VALUE
        FormatException e = fails(new RawTar().block(RawTar.checksum(h)).end().bytes());
        assertThat(e.offset()).isZero();
        assertThat(e.getMessage()).contains("runs past the end");
        h[TarFormat.SIZE + 3] = 1; // one bit more than a long holds
        assertThat(fails(new RawTar().block(RawTar.checksum(h)).end().bytes()).getMessage()).contains("does not fit in 64 bits");
    }

    @Test
    void negativeSize() {
        byte[] h = RawTar.header("./neg", '0', 0);
        Arrays.fill(h, TarFormat.SIZE, TarFormat.SIZE + 12, (byte) 0xff);
        assertThat(fails(new RawTar().block(RawTar.checksum(h)).end().bytes()).getMessage()).contains("negative size");
    }

    @Test
    void badOctalDigits() {
        byte[] h = RawTar.header("./x", '0', 0);
        h[TarFormat.UID] = '9';
        assertThat(fails(new RawTar().block(RawTar.checksum(h)).end().bytes()).getMessage()).contains("bad uid field");
    }

    @Test
    void absurdPaxRecordLength() {
        RawTar t = good();
        int at = t.size();
        byte[] tar = t.pax('x', RawTar.utf8("99999999 path=x\n")).file("./y", "y").end().bytes();
        FormatException e = fails(tar);
        assertThat(e.offset()).isEqualTo(at + 512);
        assertThat(e.getMessage()).contains("pax record");
    }

    @Test
    void paxRecordLengthBeyondHeader() {
        byte[] tar = good().pax('x', RawTar.utf8("900 path=x\n")).file("./y", "y").end().bytes();
        assertThat(fails(tar).getMessage()).contains("pax record length 900");
    }

    @Test
    void paxRecordWithoutKey() {
        byte[] tar = good().pax('x', RawTar.utf8("11 novalue\n")).file("./y", "y").end().bytes();
        assertThat(fails(tar).getMessage()).contains("no \"key=\"");
    }

    @Test
    void oversizedPaxHeaderIsRefusedBeforeReading() {
        RawTar t = good();
        int at = t.size();
        int size = TarReader.MAX_EXTENSION + 1;
        byte[] tar = t.block(RawTar.header(RawTar.utf8("PaxHeaders/x"), 'x', size, null)).data(new byte[size]).end().bytes();
        FormatException e = fails(tar);
        assertThat(e.offset()).isEqualTo(at);
        assertThat(e.getMessage()).contains("limit");
    }

    @Test
    void badPaxNumbers() {
        assertThat(fails(good().pax('x', RawTar.paxRecord("uid", RawTar.utf8("-5"))).file("./y", "y").end().bytes())
                .getMessage()).contains("entry \"./y\"").contains("uid");
        assertThat(fails(good().pax('x', RawTar.paxRecord("mtime", RawTar.utf8("1.2.3"))).file("./y", "y").end().bytes())
                .getMessage()).contains("mtime");
        assertThat(fails(good().pax('x', RawTar.paxRecord("size", RawTar.utf8("12x"))).file("./y", "y").end().bytes())
                .getMessage()).contains("size");
        assertThat(fails(good().pax('x', RawTar.paxRecord("uid", RawTar.utf8("4294967296"))).file("./y", "y").end().bytes())
                .getMessage()).contains("out of range");
    }

    @Test
    void nonUtf8Name() {
        RawTar t = good();
        int at = t.size();
        byte[] tar = t.block(RawTar.header(new byte[] {'.', '/', (byte) 0xff, (byte) 0xfe}, '0', 0, null)).end().bytes();
        FormatException e = fails(tar);
        assertThat(e.offset()).isEqualTo(at);
        assertThat(e.getMessage()).contains("not valid UTF-8").contains("fffe");
    }

    @Test
    void escapingNames() {
        for (String bad : new String[] {"../etc/passwd", "./a/../../b", "/../x", "a//b"}) {
            FormatException e = fails(good().file(bad, "x").end().bytes());
            assertThat(e.getMessage()).as(bad).contains("entry \"" + bad + "\"");
        }
    }

    @Test
    void absurdlyDeepPath() throws Exception {
        byte[] deep = RawTar.utf8("a/".repeat(TarReader.MAX_DEPTH + 1) + "f");
        assertThat(fails(good().pax('x', RawTar.paxRecord("path", deep)).file("./y", "y").end().bytes()).getMessage())
                .contains("levels deep");
        byte[] ok = RawTar.utf8("a/".repeat(TarReader.MAX_DEPTH - 1) + "f");
        Tree t = read(good().pax('x', RawTar.paxRecord("path", ok)).file("./y", "y").end().bytes());
        assertThat(Listing.of(t, Listing.Options.ALL)).contains("/a/a/a/");
    }

    @Test
    void nulInPaxPath() {
        byte[] tar = good().pax('x', RawTar.paxRecord("path", new byte[] {'a', 0, 'b'})).file("./y", "y").end().bytes();
        assertThat(fails(tar).getMessage()).contains("NUL");
    }

    @Test
    void hardLinkToMissingTarget() {
        RawTar t = good();
        int at = t.size();
        byte[] tar = t.block(RawTar.header(RawTar.utf8("./link"), '1', 0, RawTar.utf8("./nowhere"))).end().bytes();
        FormatException e = fails(tar);
        assertThat(e.offset()).isEqualTo(at);
        assertThat(e.getMessage()).contains("entry \"./link\"").contains("hard link to \"nowhere\"");
    }

    @Test
    void hardLinkToDirectory() {
        byte[] tar = good().block(RawTar.header(RawTar.utf8("./link"), '1', 0, RawTar.utf8("./"))).end().bytes();
        assertThat(fails(tar).getMessage()).contains("entry \"./link\"").contains("directory");
    }

    @Test
    void rootThatIsNotADirectory() {
        assertThat(fails(new RawTar().file(".", "x").end().bytes()).getMessage()).contains("root");
    }

    @Test
    void gnuSparseIsRefused() {
        byte[] tar = good().block(RawTar.header("./sparse", 'S', 0)).end().bytes();
        assertThat(fails(tar).getMessage()).contains("entry \"./sparse\"").contains("sparse");
        byte[] pax = good().pax('x', RawTar.paxRecord("GNU.sparse.major", RawTar.utf8("1"))).file("./s", "s").end().bytes();
        assertThat(fails(pax).getMessage()).contains("sparse");
    }

    @Test
    void extendedHeaderWithoutMember() {
        RawTar t = good();
        int at = t.size();
        FormatException e = fails(t.block(RawTar.header("././@LongLink", 'L', 3)).data(RawTar.utf8("abc")).end().bytes());
        assertThat(e.offset()).isEqualTo(at);
        assertThat(e.getMessage()).contains("no member");
    }

    @Test
    void emptySymlinkTarget() {
        byte[] tar = good().block(RawTar.header("./sym", '2', 0)).end().bytes();
        assertThat(fails(tar).getMessage()).contains("entry \"./sym\"").contains("empty link target");
    }

    @Test
    void badBase64Xattr() {
        byte[] tar = good().pax('x', RawTar.paxRecord("LIBARCHIVE.xattr.user.x", RawTar.utf8("!!!"))).file("./y", "y").end().bytes();
        assertThat(fails(tar).getMessage()).contains("base64");
    }

    @Test
    void typeFlagsMapToNodes() throws Exception {
        Tree t = read(good()
                .block(RawTar.header("./contiguous", '7', 3)).data(RawTar.utf8("abc"))
                .block(RawTar.header("./dumpdir", 'D', 4)).data(RawTar.utf8("Nx\0\0"))
                .block(RawTar.header("./vendor", 'Z', 2)).data(RawTar.utf8("zz"))
                .block(RawTar.header("label", 'V', 0))
                .block(RawTar.header("./fifo", '6', 0))
                .block(RawTar.header(RawTar.utf8("./sym"), '2', 0, RawTar.utf8("../etc/passwd")))
                .end().bytes());
        assertThat(((Node.File) t.resolve(EntryPath.parse("contiguous"))).content().readAll()).asString().isEqualTo("abc");
        assertThat(t.resolve(EntryPath.parse("dumpdir"))).isInstanceOf(Node.Directory.class);
        assertThat(t.resolve(EntryPath.parse("vendor"))).isInstanceOf(Node.File.class); // unknown types read as files, as POSIX asks
        assertThat(t.contains(EntryPath.parse("label"))).isFalse();
        assertThat(t.resolve(EntryPath.parse("fifo"))).isInstanceOf(Node.Fifo.class);
        assertThat(((Node.Symlink) t.resolve(EntryPath.parse("sym"))).target()).isEqualTo("../etc/passwd");
    }

    @Test
    void oldHardLinkSizeWithoutBodyIsIgnored() throws Exception {
        // A v7-style hard link that repeats its target's size but stores no data.
        Tree t = read(good()
                .block(RawTar.header(RawTar.utf8("./etc/link"), '1', 11, RawTar.utf8("./etc/passwd")))
                .file("./after", "still read")
                .end().bytes());
        assertThat(t.resolve(EntryPath.parse("etc/link"))).isSameAs(t.resolve(EntryPath.parse("etc/passwd")));
        assertThat(((Node.File) t.resolve(EntryPath.parse("after"))).content().readAll()).asString().isEqualTo("still read");
        // With pax saying so, a hard link's body is data to skip, even if it looks like a header.
        byte[] body = RawTar.header("./inner", '0', 0);
        Tree p = read(good()
                .pax('x', RawTar.paxRecord("size", RawTar.utf8("512")))
                .block(RawTar.header(RawTar.utf8("./etc/link"), '1', 512, RawTar.utf8("./etc/passwd"))).data(body)
                .end().bytes());
        assertThat(p.contains(EntryPath.parse("inner"))).isFalse();
    }

    @Test
    void whiteoutsStayOrdinaryEntries() throws Exception {
        Tree t = read(good().file("./etc/.wh.passwd", "").file("./usr/.wh..wh..opq", "").end().bytes());
        assertThat(t.contains(EntryPath.parse("etc/passwd"))).isTrue();
        assertThat(t.contains(EntryPath.parse("etc/.wh.passwd"))).isTrue();
        assertThat(t.contains(EntryPath.parse("usr/.wh..wh..opq"))).isTrue();
    }

    @Test
    void extensionsApply() throws Exception {
        // GNU long name and link, pax global + local with fraction, ustar prefix, v7 directory by slash.
        byte[] prefixed = RawTar.header("name-part", '0', 0);
        System.arraycopy(RawTar.utf8("./prefix/dir"), 0, prefixed, TarFormat.PREFIX, 12);
        byte[] v7dir = RawTar.header("./olddir/", '\0', 0);
        Arrays.fill(v7dir, TarFormat.MAGIC, TarFormat.MAGIC + 8, (byte) 0);
        String longName = "./" + "n".repeat(150);
        byte[] tar = good()
                .pax('g', RawTar.paxRecord("uid", RawTar.utf8("77")), RawTar.paxRecord("SCHILY.xattr.user.g", RawTar.utf8("global")))
                .block(RawTar.header("././@LongLink", 'L', longName.length() + 1)).data(RawTar.utf8(longName + "\0"))
                .file("./ignored-short-name", "long")
                .block(RawTar.header("././@LongLink", 'K', 3)).data(RawTar.utf8("./etc/passwd"))
                .block(RawTar.header("././@LongLink", 'K', longName.length())).data(RawTar.utf8(longName))
                .block(RawTar.header(RawTar.utf8("./hard"), '1', 0, RawTar.utf8("./whatever")))
                .pax('x', RawTar.paxRecord("mtime", RawTar.utf8("-1.25")), RawTar.paxRecord("uid", RawTar.utf8("")),
                        RawTar.paxRecord("LIBARCHIVE.xattr.user.a%3Db", RawTar.utf8("AP8")))
                .block(RawTar.checksum(prefixed)).block(RawTar.checksum(v7dir))
                .end().bytes();
        Tree t = read(tar);
        Node longFile = t.resolve(EntryPath.parse("n".repeat(150)));
        assertThat(longFile.meta().uid()).isEqualTo(77);
        assertThat(longFile.meta().xattrs().get("user.g")).isEqualTo(RawTar.utf8("global"));
        assertThat(t.resolve(EntryPath.parse("hard"))).isSameAs(longFile);
        Node prefixedNode = t.resolve(EntryPath.parse("prefix/dir/name-part"));
        assertThat(prefixedNode.meta().mtime()).isEqualTo(-2);
        assertThat(prefixedNode.meta().mtimeNanos()).isEqualTo(750_000_000);
        assertThat(prefixedNode.meta().uid()).isZero(); // the empty local uid unset the global one
        assertThat(prefixedNode.meta().xattrs().get("user.a=b")).containsExactly(0, 0xff);
        assertThat(prefixedNode.meta().xattrs().get("user.g")).isEqualTo(RawTar.utf8("global"));
        assertThat(t.resolve(EntryPath.parse("olddir"))).isInstanceOf(Node.Directory.class);
    }
}
