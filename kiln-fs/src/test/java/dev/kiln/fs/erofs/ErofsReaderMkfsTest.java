package dev.kiln.fs.erofs;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.fs.Entry;
import dev.kiln.fs.Images;
import dev.kiln.fs.Node;
import dev.kiln.fs.Tree;
import dev.kiln.fs.testing.Listing;
import dev.kiln.fs.testing.SampleTree;
import java.io.IOException;
import java.io.InputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Reads images made by the real mkfs.erofs (erofs-utils 1.5, Debian package erofs-utils) under
 * the option sets that select each on-disk layout, and compares what kiln reads with the source
 * directory through the shared {@link Listing} oracle.
 */
class ErofsReaderMkfsTest {
    private static Path work, src, many;
    private static final Map<Listing.Options, String> hostListings = new HashMap<>();

    @BeforeAll
    static void buildSources() throws IOException {
        requireTool("mkfs.erofs", "erofs-utils");
        requireTool("setfattr", "attr");
        work = Files.createTempDirectory("kiln-erofsr-");
        src = Files.createDirectory(work.resolve("src"));
        SampleTree.create(src);
        // mkfs.erofs 1.5 fails ("Could not format the device: No such file or directory") on a
        // 255-byte name, which the kernel allows; 254 bytes still exercises the long-name path.
        Files.move(src.resolve("names/" + "l".repeat(255)), src.resolve("names/" + "l".repeat(254)));
        Path big = Files.createDirectory(src.resolve("big"));
        Files.write(big.resolve("zeros"), new byte[3 << 20]); // decodes to long extents from tiny pclusters
        StringBuilder text = new StringBuilder();
        for (int i = 0; text.length() < 1 << 20; i++) text.append("line ").append(i % 977).append(" of a compressible file\n");
        Files.writeString(big.resolve("text"), text);
        Files.write(big.resolve("mixed"), SampleTree.bytes(700_000, 99));
        SampleTree.run("truncate", "-s", "300000", big.resolve("sparse").toString());
        Files.write(big.resolve("tail-8191"), SampleTree.bytes(8191, 5));
        try (ServerSocketChannel s = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            s.bind(UnixDomainSocketAddress.of(src.resolve("sock")));
        }
        // Shared xattrs (on more inodes than mkfs's default -x 2) and inline ones in several namespaces.
        for (String p : new String[] {"etc/hostname", "etc/passwd", "data/size-1", "bin/plain", "names"}) {
            SampleTree.run("setfattr", "-n", "user.x", "-v", "y", src.resolve(p).toString());
        }
        SampleTree.run("setfattr", "-n", "user.unique", "-v", "a value that is only here", src.resolve("data/size-4097").toString());
        SampleTree.run("setfattr", "-n", "user.empty", src.resolve("data/size-0").toString());
        SampleTree.run("setfattr", "-n", "user.big", "-v", "0x" + "ab".repeat(1500), src.resolve("bin/suid").toString());
        if (SampleTree.isRoot()) {
            SampleTree.run("setfattr", "-n", "trusted.overlay.opaque", "-v", "y", src.resolve("tmp").toString());
            // Numbers above 8 bits of minor and 12 of major exercise all of new_encode_dev.
            SampleTree.run("mknod", src.resolve("dev/wide").toString(), "c", "300", "70000");
            SampleTree.run("setfattr", "-n", "security.capability", "-v", "0x0100000200000000000000000000000000000000", src.resolve("bin/plain").toString());
        }
        SampleTree.setTimes(src);

        many = Files.createDirectory(work.resolve("many"));
        Path flat = Files.createDirectory(many.resolve("flat"));
        for (int i = 0; i < 10_000; i++) Files.write(flat.resolve("entry-" + i), i % 10 == 0 ? new byte[] {(byte) i} : new byte[0]);
        SampleTree.createMany(many.resolve("tree"), 1000, 3);
    }

    @AfterAll
    static void cleanUp() throws IOException {
        if (work != null) SampleTree.delete(work);
    }

    static void requireTool(String tool, String debianPackage) {
        for (String dir : System.getenv("PATH").split(":")) {
            if (Files.isExecutable(Path.of(dir, tool))) return;
        }
        throw new AssertionError(tool + " is missing: apt-get install " + debianPackage);
    }

    static Path mkfs(Path source, String... options) throws IOException {
        Path img = Files.createTempFile(work, "img-", ".erofs");
        List<String> cmd = new ArrayList<>(List.of("mkfs.erofs", "-U", "11111111-2222-3333-4444-555555555555"));
        cmd.addAll(List.of(options));
        cmd.add(img.toString());
        cmd.add(source.toString());
        SampleTree.run(cmd.toArray(String[]::new));
        return img;
    }

    private static String host(Path dir, Listing.Options o) throws IOException {
        if (dir != src) return Listing.of(dir, o);
        String cached = hostListings.get(o);
        if (cached == null) {
            cached = Listing.of(dir, o);
            hostListings.put(o, cached);
        }
        return cached;
    }

    private static final Listing.Options FULL = Listing.Options.ALL.withNanos(true).withXattrs(true);

    static Stream<Arguments> optionSets() {
        return Stream.of(
                Arguments.of("", FULL, "slice blocks+tail"),
                Arguments.of("-Enoinline_data", FULL, "slice"),
                Arguments.of("-x0", FULL, "slice blocks+tail"),
                Arguments.of("-Eforce-inode-extended", FULL, "slice blocks+tail"),
                Arguments.of("--chunksize=8192", FULL, "chunk4"),
                Arguments.of("--chunksize=4096 -Eforce-chunk-indexes", FULL, "chunk8"),
                Arguments.of("-zlz4", FULL, "compact+2b"),
                Arguments.of("-zlz4hc", FULL, "compact+2b"),
                Arguments.of("-zlz4hc,12 -C65536", FULL, "compact+2b+big"),
                Arguments.of("-zlz4 -Elegacy-compress", FULL, "full"),
                Arguments.of("-zlz4hc -C16384 -Elegacy-compress", FULL, "full+big"),
                Arguments.of("-zlz4hc -Eztailpacking", FULL, "compact+2b+inline compact+inline"),
                Arguments.of("-zlz4hc -C65536 -Eztailpacking", FULL, "compact+2b+big+inline compact+big+inline"),
                Arguments.of("-zlz4 -Eztailpacking -Elegacy-compress", FULL, "full+inline"),
                // -T0 stamps every inode with time 0 and --all-root makes everything root's.
                Arguments.of("-T0 --all-root", FULL.withMtimes(false).withDirMtimes(false).withOwners(false), "slice"),
                Arguments.of("-T0 --all-root -zlz4hc", FULL.withMtimes(false).withDirMtimes(false).withOwners(false), "compact+2b"),
                // Compact inodes only: every mtime becomes the build time (kernels up to 6.14 read it so).
                Arguments.of("-Eforce-inode-compact", FULL.withMtimes(false).withDirMtimes(false), "slice blocks+tail"),
                Arguments.of("-x-1", FULL.withXattrs(false), "slice"));
    }

    @ParameterizedTest(name = "mkfs.erofs {0}")
    @MethodSource("optionSets")
    void readsWhatMkfsWrote(String options, Listing.Options compare, String expectedShapes) throws IOException {
        Path img = mkfs(src, options.isEmpty() ? new String[0] : options.split(" "));
        Tree tree = new ErofsReader().read(img);
        assertThat(Listing.of(tree, compare)).isEqualTo(host(src, compare));
        assertThat(shapes(tree)).as("data layouts of the files").containsAll(List.of(expectedShapes.split(" ")));
        if (options.contains("-T0")) {
            for (Entry e : tree.entries()) {
                if (e.node() instanceof Node.HardLink) continue;
                assertThat(e.node().meta().mtime()).as(e.path().toString()).isZero();
                assertThat(e.node().meta().uid()).as(e.path().toString()).isZero();
            }
        }
        if (options.contains("force-inode-compact")) {
            assertThat(tree.entries()).filteredOn(e -> !(e.node() instanceof Node.HardLink))
                    .extracting(e -> e.node().meta().mtime()).containsOnly(tree.resolve(dev.kiln.fs.EntryPath.ROOT).meta().mtime());
        }
        if (options.contains("-x-1")) {
            for (Entry e : tree.entries()) {
                if (!(e.node() instanceof Node.HardLink)) assertThat(e.node().meta().xattrs().isEmpty()).isTrue();
            }
        }
    }

    /** How each file's data is mapped, so the test knows the option set really exercised a layout. */
    static java.util.Set<String> shapes(Tree tree) {
        java.util.Set<String> out = new java.util.TreeSet<>();
        for (Entry e : tree.entries()) {
            if (!(e.node() instanceof Node.File f)) continue;
            out.add(switch (f.content()) {
                case ZMapContent z -> z.shape();
                case ErofsContent.Chunked c -> "chunk" + c.unit();
                case ErofsContent.Fixed x -> "blocks+tail";
                case dev.kiln.fs.Content.Slice s -> "slice";
                default -> "other";
            });
        }
        return out;
    }

    @Test
    void readsTenThousandEntryDirectoriesAndManyFiles() throws IOException {
        Listing.Options o = Listing.Options.ALL.withNanos(true);
        String expected = Listing.of(many, o);
        for (String[] opts : new String[][] {{}, {"-zlz4hc"}}) {
            Path img = mkfs(many, opts);
            Tree tree = new ErofsReader().read(img);
            assertThat(tree.list(dev.kiln.fs.EntryPath.parse("flat"))).hasSize(10_000);
            assertThat(Listing.of(tree, o)).isEqualTo(expected);
        }
    }

    @ParameterizedTest(name = "mkfs.erofs {0}")
    @org.junit.jupiter.params.provider.ValueSource(strings = {"-zlz4hc -C65536", "-zlz4 -Elegacy-compress -Eztailpacking", "--chunksize=8192", "-T0"})
    void skipLandsOnTheRightByte(String options) throws IOException {
        Tree tree = new ErofsReader().read(mkfs(src, options.split(" ")));
        for (String name : new String[] {"data/size-3145745", "data/size-4097", "big/text", "big/tail-8191"}) {
            byte[] expected = Files.readAllBytes(src.resolve(name));
            Node.File f = (Node.File) tree.resolve(dev.kiln.fs.EntryPath.parse(name));
            for (long at : new long[] {0, 1, 4095, 4096, 70_000, expected.length / 2, expected.length - 1, expected.length, expected.length + 5}) {
                try (InputStream in = f.content().open()) {
                    // Read a little first so the skip starts inside a buffered piece.
                    int head = (int) Math.min(at, 100);
                    byte[] first = in.readNBytes(head);
                    assertThat(first).isEqualTo(java.util.Arrays.copyOf(expected, head));
                    long skipped = in.skip(at - head);
                    assertThat(skipped).as("%s skip to %d", name, at).isEqualTo(Math.min(at, expected.length) - head);
                    byte[] rest = in.readAllBytes();
                    int from = (int) Math.min(at, expected.length);
                    assertThat(rest).as("%s from %d (%s)", name, at, f.content().getClass().getSimpleName())
                            .isEqualTo(java.util.Arrays.copyOfRange(expected, from, expected.length));
                }
            }
        }
    }

    @Test
    void imagesReadDetectsErofs() throws IOException {
        Path img = mkfs(src, "-zlz4hc");
        try (Tree tree = Images.read(img)) {
            assertThat(Listing.of(tree, FULL)).isEqualTo(host(src, FULL));
        }
    }

    @Test
    void contentsAreLazyAndReopenable() throws IOException {
        Path img = mkfs(src, "-zlz4hc", "-C65536");
        Tree tree = new ErofsReader().read(img);
        Node.File f = (Node.File) tree.resolve(dev.kiln.fs.EntryPath.parse("data/size-3145745"));
        assertThat(f.content()).isInstanceOf(ErofsContent.class);
        byte[] expected = Files.readAllBytes(src.resolve("data/size-3145745"));
        for (int round = 0; round < 2; round++) {
            try (InputStream in = f.content().open()) {
                // Odd-sized reads cross extent boundaries at every possible phase.
                byte[] got = new byte[expected.length];
                int n = 0;
                while (n < got.length) {
                    int r = in.read(got, n, Math.min(777, got.length - n));
                    assertThat(r).isPositive();
                    n += r;
                }
                assertThat(in.read()).isEqualTo(-1);
                assertThat(got).isEqualTo(expected);
            }
        }
        // Plain images hand out slices of the image file: no decoding, no copies.
        Tree plain = new ErofsReader().read(mkfs(src));
        Node.File g = (Node.File) plain.resolve(dev.kiln.fs.EntryPath.parse("data/size-4096"));
        assertThat(g.content()).isInstanceOf(dev.kiln.fs.Content.Slice.class);
    }
}
