package dev.kiln.fs.cpio;

import dev.kiln.fs.testing.HostTrees;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kiln.fs.Compression;
import dev.kiln.fs.Content;
import dev.kiln.fs.EntryPath;
import dev.kiln.fs.Images;
import dev.kiln.fs.KilnException;
import dev.kiln.fs.Metadata;
import dev.kiln.fs.Node;
import dev.kiln.fs.Tree;
import dev.kiln.fs.testing.Listing;
import dev.kiln.fs.testing.SampleTree;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** kiln writes a cpio archive and reads it back: the tree must survive unchanged. */
class CpioRoundTripTest {
    @TempDir static Path shared;
    static Path sample;
    static String sampleListing;

    @TempDir Path tmp;

    @BeforeAll
    static void createSample() throws Exception {
        sample = Files.createDirectory(shared.resolve("sample"));
        SampleTree.create(sample);
        sampleListing = Listing.of(sample, Listing.Options.ALL);
    }

    @ParameterizedTest(name = "crc={0} compression={1}")
    @CsvSource({"false,NONE", "true,NONE", "false,GZIP", "true,GZIP", "false,ZSTD"})
    void writtenArchiveReadsBackAsTheSameTree(boolean crc, Compression compression) throws Exception {
        Tree tree = HostTrees.read(sample);
        String expected = sampleListing;
        if (compression != Compression.NONE) {
            // zstd at level 19 spends seconds on the 3 MiB file; the wrapping is what is under test here.
            EntryPath big = EntryPath.parse("data/size-" + (3 * 1024 * 1024 + 17));
            assertThat(tree.remove(big)).isTrue();
            expected = expected.replaceAll("(?m)^" + big.display() + " .*\n", "");
        }
        Path archive = CpioTesting.write(tree, new CpioWriter.Options(crc, false, compression),
                tmp.resolve("sample.cpio" + compression.suffix()));

        assertThat(Compression.detect(archive)).isEqualTo(compression);
        try (Tree back = Images.read(archive)) {
            assertThat(Listing.of(back, Listing.Options.ALL)).isEqualTo(expected);
        }
        assertThat(sampleListing).contains("/bin/suid - 4755").contains("/tmp d 1777 65534:65534")
                .contains("/links/hard2 - 0644").contains("link=/links/hard1").contains("/dev/console c 0600 0:0")
                .contains("/fifo p").contains("/names/" + "l".repeat(255)).contains("/names/日本語");
    }

    @Test
    void readerSeesTheWriterOutputDirectly() throws Exception {
        Path archive = CpioTesting.write(HostTrees.read(sample), CpioTesting.newc(), tmp.resolve("a.cpio"));
        Tree back = new CpioReader().read(archive);
        assertThat(Listing.of(back, Listing.Options.ALL)).isEqualTo(sampleListing);
        // Contents stay slices of the archive rather than copies.
        Node size4097 = back.resolve(EntryPath.parse("data/size-4097"));
        assertThat(((Node.File) size4097).content()).isInstanceOf(Content.Slice.class);
    }

    @Test
    void headersFollowTheNewcConventions() throws Exception {
        Path archive = CpioTesting.write(HostTrees.read(sample), CpioTesting.newc(), tmp.resolve("a.cpio"));
        byte[] bytes = Files.readAllBytes(archive);
        List<RawCpio.Header> hs = RawCpio.parse(bytes);

        assertThat(bytes.length % 512).isZero();
        assertThat(hs.getFirst().name()).isEqualTo(".");
        assertThat(hs.getLast().name()).isEqualTo("TRAILER!!!");
        assertThat(hs.getLast().nlink()).isEqualTo(1);
        // Everything after the trailer is zero padding.
        int end = RawCpio.align4(hs.getLast().dataOffset());
        for (int i = end; i < bytes.length; i++) assertThat(bytes[i]).isZero();

        Map<String, RawCpio.Header> byName = new HashMap<>();
        long expectedIno = 1;
        List<String> names = new ArrayList<>();
        for (RawCpio.Header h : hs.subList(0, hs.size() - 1)) {
            assertThat(h.magic()).isEqualTo("070701");
            assertThat(h.devMajor()).isZero();
            assertThat(h.devMinor()).isZero();
            assertThat(h.check()).as("c_check of " + h.name()).isZero();
            assertThat(h.name()).doesNotStartWith("./").doesNotStartWith("/");
            byName.put(h.name(), h);
            names.add(h.name());
            if (!h.name().equals("links/hard2")) assertThat(h.ino()).as(h.name()).isEqualTo(expectedIno++);
        }
        // Parents come before children.
        for (String n : names) {
            int slash = n.lastIndexOf('/');
            if (slash > 0) assertThat(names.indexOf(n.substring(0, slash))).as(n).isLessThan(names.indexOf(n));
        }
        // Directory nlink is 2 + subdirectories: "data" holds "deep"; "." holds bin data dev empty etc links names tmp.
        assertThat(byName.get("data").nlink()).isEqualTo(3);
        assertThat(byName.get("data/deep/er/still").nlink()).isEqualTo(2);
        assertThat(byName.get(".").nlink()).isEqualTo(2 + 8);
        // Hard links: shared inode and nlink, data on the last link only.
        RawCpio.Header h1 = byName.get("links/hard1"), h2 = byName.get("links/hard2");
        assertThat(h1.ino()).isEqualTo(h2.ino());
        assertThat(h1.nlink()).isEqualTo(2);
        assertThat(h2.nlink()).isEqualTo(2);
        assertThat(h1.fileSize()).isZero();
        assertThat(new String(h2.data(bytes))).isEqualTo("shared by two names\n");
        // Devices, symlinks, times.
        assertThat(byName.get("dev/console").rdevMajor()).isEqualTo(5);
        assertThat(byName.get("dev/console").rdevMinor()).isEqualTo(1);
        assertThat(byName.get("dev/vda").rdevMajor()).isEqualTo(254);
        assertThat(byName.get("dev/vda").mode()).isEqualTo(0060660);
        assertThat(new String(byName.get("links/rel").data(bytes))).isEqualTo("../etc/hostname");
        assertThat(byName.get("bin/suid").mode()).isEqualTo(0104755);
        assertThat(byName.get("etc/hostname").mtime()).isBetween(1_600_000_000L, 1_700_000_000L);
    }

    @Test
    void crcHeadersCarryTheDataSum() throws Exception {
        Tree tree = HostTrees.read(sample);
        // A large in-memory content and a large host file take the streaming path, the rest the buffered one.
        byte[] big = SampleTree.bytes(700_000, 7);
        tree.put(EntryPath.parse("mem/big"), new Node.File(Metadata.of(0644), Content.of(big)));
        byte[] bytes = Files.readAllBytes(CpioTesting.write(tree, new CpioWriter.Options(true, false, Compression.NONE),
                tmp.resolve("c.cpio")));
        int checked = 0;
        for (RawCpio.Header h : RawCpio.parse(bytes)) {
            assertThat(h.magic()).isEqualTo("070702");
            long sum = 0;
            for (byte b : h.data(bytes)) sum += b & 0xff;
            assertThat(h.check()).as(h.name()).isEqualTo(sum & 0xFFFFFFFFL);
            if (sum != 0) checked++;
        }
        assertThat(checked).isGreaterThan(20);
        Tree back = new CpioReader().read(tmp.resolve("c.cpio"));
        assertThat(((Node.File) back.resolve(EntryPath.parse("mem/big"))).content().readAll()).isEqualTo(big);
    }

    @Test
    void copyModeGivesEveryLinkItsOwnInodeAndData() throws Exception {
        Path archive = CpioTesting.write(HostTrees.read(sample), new CpioWriter.Options(false, true, Compression.NONE),
                tmp.resolve("u.cpio"));
        byte[] bytes = Files.readAllBytes(archive);
        Map<String, RawCpio.Header> byName = new HashMap<>();
        for (RawCpio.Header h : RawCpio.parse(bytes)) byName.put(h.name(), h);
        RawCpio.Header h1 = byName.get("links/hard1"), h2 = byName.get("links/hard2");
        assertThat(h1.ino()).isNotEqualTo(h2.ino());
        assertThat(h1.nlink()).isEqualTo(1);
        assertThat(h2.nlink()).isEqualTo(1);
        assertThat(new String(h1.data(bytes))).isEqualTo("shared by two names\n");
        assertThat(new String(h2.data(bytes))).isEqualTo("shared by two names\n");
        // Inodes stay sequential and unique in copy mode.
        long ino = 1;
        for (RawCpio.Header h : RawCpio.parse(bytes)) if (!h.name().equals("TRAILER!!!")) assertThat(h.ino()).isEqualTo(ino++);

        Listing.Options noLinks = Listing.Options.ALL.withHardLinks(false);
        assertThat(Listing.of(new CpioReader().read(archive), noLinks)).isEqualTo(Listing.of(sample, noLinks));
    }

    @Test
    void linkedSpecialsShareAnInodeWhileLinkedSymlinksBecomeCopies() throws Exception {
        Tree t = new Tree();
        t.put(EntryPath.parse("p1"), new Node.Fifo(Metadata.of(0600)));
        t.put(EntryPath.parse("p2"), new Node.HardLink(EntryPath.parse("p1")));
        t.put(EntryPath.parse("s1"), new Node.Symlink(Metadata.of(0777), "target"));
        t.put(EntryPath.parse("s2"), new Node.HardLink(EntryPath.parse("s1")));
        Path archive = CpioTesting.write(t, CpioTesting.newc(), tmp.resolve("l.cpio"));
        byte[] bytes = Files.readAllBytes(archive);
        Map<String, RawCpio.Header> byName = new HashMap<>();
        for (RawCpio.Header h : RawCpio.parse(bytes)) byName.put(h.name(), h);
        assertThat(byName.get("p1").ino()).isEqualTo(byName.get("p2").ino());
        assertThat(byName.get("p2").nlink()).isEqualTo(2);
        // Linux's unpacker creates every symlink on its own, so each carries its target.
        assertThat(byName.get("s1").ino()).isNotEqualTo(byName.get("s2").ino());
        assertThat(new String(byName.get("s2").data(bytes))).isEqualTo("target");

        String back = Listing.of(new CpioReader().read(archive), Listing.Options.ALL);
        assertThat(back).contains("/p2 p 0600 0:0 t=0 link=/p1").contains("/s2 l 0777 0:0 t=0 -> target\n");
    }

    @Test
    void sameTreeFromDifferentlyOrderedCopiesGivesIdenticalBytes() throws Exception {
        Path a = Files.createDirectory(tmp.resolve("a")), b = Files.createDirectory(tmp.resolve("b"));
        List<String> names = new ArrayList<>();
        for (int i = 0; i < 40; i++) names.add("d" + (i % 5) + "/f" + i);
        populate(a, names);
        populate(b, names.reversed());
        // Different inode numbers and directory order on the host, same content and metadata.
        assertThat(Files.getAttribute(a.resolve("d0/f0"), "unix:ino")).isNotEqualTo(Files.getAttribute(b.resolve("d0/f0"), "unix:ino"));
        assertThat(Listing.of(a, Listing.Options.ALL)).isEqualTo(Listing.of(b, Listing.Options.ALL));

        for (CpioWriter.Options o : List.of(CpioTesting.newc(), new CpioWriter.Options(true, true, Compression.GZIP))) {
            byte[] x = Files.readAllBytes(CpioTesting.write(HostTrees.read(a), o, tmp.resolve("a.cpio")));
            byte[] y = Files.readAllBytes(CpioTesting.write(HostTrees.read(b), o, tmp.resolve("b.cpio")));
            assertThat(x).isEqualTo(y);
        }
    }

    /** Creates files (and a hard link per directory) in the given order, then fixes modes and times. */
    private static void populate(Path root, List<String> names) throws Exception {
        for (String n : names) {
            Path p = root.resolve(n);
            Files.createDirectories(p.getParent());
            Files.writeString(p, "content of " + n + "\n");
            if (n.endsWith("/f7") || n.endsWith("/f8")) SampleTree.chmod(p, 04750);
        }
        for (String n : names) {
            if (n.endsWith("/f0") || n.endsWith("/f1")) Files.createLink(root.resolve(n + ".link"), root.resolve(n));
        }
        try (var s = Files.walk(root)) {
            for (Path p : s.toList()) {
                Files.setLastModifiedTime(p, java.nio.file.attribute.FileTime.fromMillis(1_234_567_000L * 1000 + 999));
            }
        }
    }

    @Test
    void progressHearsOfEveryEntryAndContentByte() throws Exception {
        Tree tree = HostTrees.read(sample);
        AtomicLong bytes = new AtomicLong();
        AtomicInteger entries = new AtomicInteger();
        CpioTesting.write(tree, CpioTesting.newc(), tmp.resolve("p.cpio"), (b, e) -> {
            bytes.addAndGet(b);
            entries.addAndGet(e);
        });
        assertThat(entries.get()).isEqualTo(tree.size());
        long symlinkBytes = 0;
        for (var e : tree.entries()) if (e.node() instanceof Node.Symlink s) symlinkBytes += s.target().getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
        assertThat(bytes.get()).isEqualTo(tree.contentBytes() + symlinkBytes);
    }

    @Test
    void valuesOutsideNewcFieldsAreRefusedNamingTheEntry() throws Exception {
        for (long mtime : new long[] {-1, 0x1_0000_0000L}) {
            Tree t = new Tree();
            t.put(EntryPath.parse("etc/old"), new Node.File(Metadata.of(0644).withMtime(mtime, 0), Content.of(new byte[] {1})));
            assertThatThrownBy(() -> CpioTesting.write(t, CpioTesting.newc(), tmp.resolve("bad.cpio")))
                    .isInstanceOf(KilnException.class).hasMessageContaining("/etc/old").hasMessageContaining("mtime");
        }
        Tree t = new Tree();
        t.put(EntryPath.parse("huge"), new Node.File(Metadata.of(0644), new Content() {
            public long size() { return 0x1_0000_0000L; }
            public java.io.InputStream open() { throw new AssertionError("must not be read"); }
        }));
        assertThatThrownBy(() -> CpioTesting.write(t, CpioTesting.newc(), tmp.resolve("bad.cpio")))
                .isInstanceOf(KilnException.class).hasMessageContaining("/huge").hasMessageContaining("file size");
    }

    @Test
    void aFailureMidwayStopsTheOutputThread() throws Exception {
        Tree t = new Tree();
        // Large enough to be handed to the output thread rather than copied into the buffer.
        t.put(EntryPath.parse("a/big"), new Node.File(Metadata.of(0644), Content.of(SampleTree.bytes(2_000_000, 1))));
        t.put(EntryPath.parse("b/late"), new Node.File(Metadata.of(0644).withMtime(-5, 0), Content.of(new byte[] {1})));
        assertThatThrownBy(() -> CpioTesting.write(t, CpioTesting.newc(), tmp.resolve("bad.cpio")))
                .isInstanceOf(KilnException.class).hasMessageContaining("/b/late").hasMessageContaining("mtime -5");
        assertThat(Thread.getAllStackTraces().keySet()).noneMatch(th -> th.getName().equals("kiln-cpio-output"));
    }

    @Test
    void contentThatLiesAboutItsSizeIsCaught() throws Exception {
        Tree t = new Tree();
        t.put(EntryPath.parse("liar"), new Node.File(Metadata.of(0644), new Content() {
            public long size() { return 1_000_000; }
            public java.io.InputStream open() { return new java.io.ByteArrayInputStream(new byte[10]); }
        }));
        assertThatThrownBy(() -> CpioTesting.write(t, CpioTesting.newc(), tmp.resolve("bad.cpio")))
                .isInstanceOf(KilnException.class).hasMessageContaining("liar");
    }

    @Test
    void emptyTreeIsARootAndATrailer() throws Exception {
        byte[] bytes = Files.readAllBytes(CpioTesting.write(new Tree(), CpioTesting.newc(), tmp.resolve("e.cpio")));
        assertThat(bytes).hasSize(512);
        assertThat(RawCpio.parse(bytes)).extracting(RawCpio.Header::name).containsExactly(".", "TRAILER!!!");
        assertThat(Listing.of(new CpioReader().read(tmp.resolve("e.cpio")), Listing.Options.ALL)).isEqualTo("/ d 0755 0:0 t=0\n");
    }
}
