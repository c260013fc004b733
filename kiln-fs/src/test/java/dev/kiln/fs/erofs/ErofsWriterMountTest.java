package dev.kiln.fs.erofs;

import dev.kiln.fs.testing.HostTrees;
import static dev.kiln.fs.erofs.ErofsWriterFixtures.fsckExtract;
import static dev.kiln.fs.erofs.ErofsWriterFixtures.mount;
import static dev.kiln.fs.erofs.ErofsWriterFixtures.run;
import static dev.kiln.fs.erofs.ErofsWriterFixtures.unmount;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.fs.Metadata;
import dev.kiln.fs.Node;
import dev.kiln.fs.Tree;
import dev.kiln.fs.erofs.ErofsWriter.Algorithm;
import dev.kiln.fs.testing.Listing;
import dev.kiln.fs.testing.SampleTree;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * What consumers see: every image passes fsck.erofs 1.5 with full data extraction and mounts on
 * the host kernel with the same tree as the source — owners, modes, mtimes to the nanosecond,
 * hard links, xattrs (inline, shared, security.capability, POSIX ACL), devices, fifo, socket —
 * uncompressed and with LZ4 and LZ4HC at big and one-block pclusters.
 */
class ErofsWriterMountTest {
    static final long BUILD_TIME = 1_700_000_000L;

    @TempDir static Path shared;
    static Path src;
    static Tree tree;
    /** The source as fsck.erofs 1.5 can extract it (see below). */
    static Tree fsckTree;

    @BeforeAll
    static void createSource() throws IOException {
        src = Files.createDirectory(shared.resolve("src"));
        SampleTree.create(src);
        Path data = src.resolve("data");
        Files.write(data.resolve("random"), random(1 << 20 | 5000, 1));
        Files.write(data.resolve("zeros"), new byte[9 << 20]);
        Files.write(data.resolve("text"), SampleTree.bytes(10 << 20, 7));
        // Raw extents between compressed ones inside one file, at unaligned offsets.
        java.io.ByteArrayOutputStream mixed = new java.io.ByteArrayOutputStream();
        mixed.write(random(300_001, 2));
        mixed.write("compressible text line\n".repeat(20_000).getBytes());
        mixed.write(random(100_003, 3));
        mixed.write(new byte[70_000]);
        Files.write(data.resolve("mixed"), mixed.toByteArray());
        // Incompressible and larger than one compression batch, last in the tree: written
        // compressed segment by segment, then rewritten plain over the same blocks.
        Files.write(src.resolve("zz-random"), random((5 << 20) + 3, 4));
        Files.write(data.resolve("compact"), "mtime equals build time\n".getBytes());
        Files.write(data.resolve("big-link"), SampleTree.bytes(300_000, 3));
        Files.createLink(data.resolve("big-link2"), data.resolve("big-link"));
        Files.createLink(src.resolve("big-link3"), data.resolve("big-link"));
        try (ServerSocketChannel s = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            s.bind(UnixDomainSocketAddress.of(src.resolve("sock")));
        }
        String attr = "setfattr (Debian package attr)";
        run(attr, "setfattr", "-n", "user.note", "-v", "inline only here", src.resolve("etc/hostname").toString());
        for (String p : new String[] {"etc/passwd", "data/size-1", "bin/plain", "data/deep", "data/zeros"}) {
            run(attr, "setfattr", "-n", "user.shared", "-v", "same on five inodes", src.resolve(p).toString());
        }
        run(attr, "setfattr", "-n", "trusted.overlay.opaque", "-v", "y", src.resolve("tmp").toString());
        run(attr, "setfattr", "-n", "user.big", "-v", "x".repeat(3000), src.resolve("data/size-4095").toString());
        run("setcap (Debian package libcap2-bin)", "setcap", "cap_net_raw+ep", src.resolve("bin/plain").toString());
        run("setfacl (Debian package acl)", "setfacl", "-m", "u:1000:r", src.resolve("names/a").toString());
        run("setfacl (Debian package acl)", "setfacl", "-d", "-m", "g:100:rx", src.resolve("data/deep").toString());
        SampleTree.setTimes(src);
        for (String p : new String[] {"data/compact", "etc"}) {
            run("touch (Debian package coreutils)", "touch", "-h", "-d", "@" + BUILD_TIME, src.resolve(p).toString());
        }
        tree = HostTrees.read(src);
        fsckTree = HostTrees.read(src);
        fsckTree.mapMetadata(n -> n instanceof Node.File
                ? n.meta().withPermissions(n.meta().permissions() & ~(Metadata.SETUID | Metadata.SETGID)) : n.meta());
    }

    static byte[] random(int size, long seed) {
        byte[] b = new byte[size];
        new SplittableRandom(seed).nextBytes(b);
        return b;
    }

    static Stream<Arguments> configurations() {
        return Stream.of(
                Arguments.of(Algorithm.NONE, 65536),
                Arguments.of(Algorithm.LZ4, 65536),
                Arguments.of(Algorithm.LZ4, 4096),
                Arguments.of(Algorithm.LZ4HC, 65536),
                Arguments.of(Algorithm.LZ4HC, 4096));
    }

    @ParameterizedTest(name = "{0} pcluster {1}")
    @MethodSource("configurations")
    void fsckAndKernelSeeTheSourceTree(Algorithm alg, int pcluster, @TempDir Path tmp) throws IOException {
        Path img = tmp.resolve("image.erofs");
        ErofsWriterFixtures.write(tree, img, new ErofsWriter.Options(alg, 9, pcluster, null, BUILD_TIME));
        assertThat(Files.size(img) % 4096).isZero();

        // fsck.erofs 1.5 decompresses and checks every file while extracting. What it restores
        // is limited, so the comparison leaves out what it drops (all of it is compared on the
        // kernel mount below): it sets no times, has no xattr support, extracts each hard link
        // as a separate file, and chmods before chown, which clears setuid/setgid on files.
        Path extracted = tmp.resolve("extracted");
        fsckExtract(img, extracted);
        Listing.Options fsckView = Listing.Options.ALL.withMtimes(false).withDirMtimes(false).withHardLinks(false);
        ErofsWriterFixtures.assertSameListing(Listing.of(extracted, fsckView), Listing.of(fsckTree, fsckView));

        // kiln's own reader sees the same tree, xattrs and nanoseconds included.
        Listing.Options everything = Listing.Options.ALL.withNanos(true).withXattrs(true);
        ErofsWriterFixtures.assertSameListing(Listing.of(new ErofsReader().read(img, img.toString()), everything),
                Listing.of(tree, everything));

        Path mnt = tmp.resolve("mnt");
        mount(img, mnt);
        try {
            Listing.Options all = Listing.Options.ALL.withNanos(true).withXattrs(true);
            ErofsWriterFixtures.assertSameListing(Listing.of(mnt, all), Listing.of(tree, all));
            // the kernel reports link counts from the inode: 3 paths share big-link
            assertThat(Files.getAttribute(mnt.resolve("big-link3"), "unix:nlink")).isEqualTo(3);
            assertThat(Files.getAttribute(mnt.resolve("data"), "unix:nlink")).isEqualTo(2 + 1);
        } finally {
            unmount(mnt);
        }
    }
}
