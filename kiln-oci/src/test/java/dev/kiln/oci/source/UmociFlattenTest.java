package dev.kiln.oci.source;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.fs.ImageFormat;
import dev.kiln.fs.Images;
import dev.kiln.fs.Tree;
import dev.kiln.fs.TreeDiff;
import dev.kiln.fs.build.ImageBuild;
import dev.kiln.fs.build.MtimePolicy;
import dev.kiln.fs.testing.SampleTree;
import dev.kiln.oci.ImageReference;
import dev.kiln.oci.ResolvedImage;
import dev.kiln.oci.archive.ImageReferences;
import dev.kiln.oci.testing.Tools;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A multi-layer image built by a third party, umoci: a busybox root filesystem with owners,
 * setuid and sticky bits, a device, a fifo and symlinks; then an upper layer that deletes files
 * and recreates a directory (whiteouts, which {@code umoci repack} writes), one that replaces a
 * directory ({@code umoci insert --opaque}), one that deletes by {@code umoci insert --whiteout},
 * and one added verbatim whose hard link names a file of a lower layer (GNU tar's archive with the
 * link's target deleted from it). kiln flattens it into cpio and EROFS, and each must equal what
 * {@code umoci unpack} extracts, owners, modes and times included.
 */
class UmociFlattenTest {
    @TempDir
    static Path work;
    static Path layout;
    static Path rootfs;

    private static final String BUILD = """
            set -eu
            work=$1
            cd "$work"
            umoci init --layout img
            umoci new --image img:t
            umoci unpack --image img:t b > /dev/null
            r=b/rootfs
            mkdir -p $r/bin $r/etc $r/usr/share/doc/x $r/opq/sub $r/keep $r/srv $r/dev $r/run
            cp /bin/busybox $r/bin/busybox
            chmod 4755 $r/bin/busybox
            ln -s busybox $r/bin/sh
            ln -s /bin/busybox $r/bin/ls
            printf 'root:x:0:0:root:/root:/bin/sh\\n' > $r/etc/passwd
            printf 'alpha\\n' > $r/etc/a
            chown 1000:1001 $r/etc/a
            chmod 0640 $r/etc/a
            printf 'bye\\n' > $r/etc/gone
            for i in $(seq 1 20); do head -c $((i * 7000)) /usr/share/common-licenses/GPL-3 > $r/usr/share/doc/x/$i; done
            printf 'o1\\n' > $r/opq/o1; printf 'o2\\n' > $r/opq/o2; printf 'o3\\n' > $r/opq/sub/o3
            printf 'kept\\n' > $r/keep/k
            chmod 1777 $r/srv
            chown 33:33 $r/srv
            mknod $r/dev/null c 1 3
            mkfifo $r/run/fifo
            touch -h -d @1600000000 $r/bin/sh
            find $r -exec touch -h -d @1650000000 {} +
            umoci repack --refresh-bundle --image img:t b
            rm $r/etc/gone
            rm -r $r/usr/share/doc/x/1 $r/usr/share/doc/x/2
            rm -r $r/opq
            mkdir $r/opq
            printf 'new\\n' > $r/opq/new
            ln $r/keep/k $r/keep/k2
            chmod 0600 $r/etc/a
            printf 'more\\n' >> $r/etc/passwd
            umoci repack --refresh-bundle --image img:t b
            mkdir -p ins/opq && printf 'inserted\\n' > ins/opq/only && touch -d @1660000000 ins/opq/only ins/opq
            umoci insert --image img:t --opaque ins/opq /opq
            umoci insert --image img:t --whiteout /usr/share/doc/x/5
            mkdir -p cl
            cp -a $r/keep cl/keep
            ln cl/keep/k cl/keep/k3
            tar -C cl --numeric-owner --no-recursion -cf cross.tar keep keep/k keep/k3
            tar --delete -f cross.tar keep/k
            umoci raw add-layer --image img:t cross.tar
            umoci unpack --image img:t final > /dev/null
            """;

    @BeforeAll
    static void build() throws IOException {
        Tools.require("umoci", "umoci");
        Tools.require("busybox", "busybox-static");
        assertThat(SampleTree.isRoot()).as("umoci unpack keeps owners and makes device nodes only as root: run the tests as root").isTrue();
        Tools.run("bash", "-c", BUILD, "build", work.toString());
        layout = work.resolve("img");
        rootfs = work.resolve("final/rootfs");
    }

    @ParameterizedTest
    @ValueSource(strings = {"cpio", "erofs"})
    void kilnFlattensAsUmociUnpacks(String format) throws IOException {
        checkLayers();
        Path out = work.resolve("rootfs." + format);
        ImageBuild.Builder b = ImageBuild.builder().source(ContainerImageSource.parse("oci:" + layout + ":t"))
                .format(ImageFormat.parse(format)).mtime(MtimePolicy.KEEP).temporaryDirectory(work);
        if (format.equals("erofs")) b.compression("lz4hc");
        b.build().writeTo(out);
        try (Tree kiln = Images.read(out); Tree umoci = Images.readDirectory(rootfs)) {
            List<String> lines = new ArrayList<>();
            for (TreeDiff.Difference d : TreeDiff.compare(umoci, kiln, TreeDiff.Options.DEFAULT)) lines.add(d.line());
            assertThat(lines).as("umoci unpack vs kiln's " + format).isEmpty();
            assertThat(kiln.contains(dev.kiln.fs.EntryPath.parse("keep/k3"))).isTrue();
        }
    }

    /** The image has what the test is about: whiteouts, an opaque directory and a link to a lower layer. */
    private static void checkLayers() throws IOException {
        try (ResolvedImage image = ImageReferences.open(ImageReference.parse("oci:" + layout + ":t"), null, work)) {
            assertThat(image.manifest().layers()).hasSize(5);
            List<String> listings = new ArrayList<>();
            for (var d : image.manifest().layers()) {
                // GNU tar lists what it can of a cut layer (umoci 0.4.7 insert leaves its last padding short) and exits 2.
                listings.add(Tools.run("bash", "-c", "tar -tvzf \"$0\" 2>&1 || true", layout.resolve("blobs/sha256/" + d.digest().encoded()).toString()));
            }
            assertThat(listings.get(1)).contains("etc/.wh.gone", "usr/share/doc/x/.wh.1", "opq/.wh.o1");
            assertThat(listings.get(2)).contains("opq/.wh..wh..opq");
            assertThat(listings.get(3)).contains("usr/share/doc/x/.wh.5");
            assertThat(listings.get(4)).contains("keep/k3 link to keep/k").doesNotContainPattern("(?m)^-.* keep/k$");
        }
    }
}
