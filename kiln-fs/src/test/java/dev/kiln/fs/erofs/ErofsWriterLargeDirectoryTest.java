package dev.kiln.fs.erofs;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.fs.Content;
import dev.kiln.fs.EntryPath;
import dev.kiln.fs.Metadata;
import dev.kiln.fs.Node;
import dev.kiln.fs.Tree;
import dev.kiln.fs.Xattrs;
import dev.kiln.fs.testing.Listing;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A directory of 10 000 entries spans many directory blocks: names must stay sorted across
 * blocks for the kernel's binary search, and every name must resolve by lookup, not only by
 * readdir.
 */
class ErofsWriterLargeDirectoryTest {
    @TempDir Path tmp;

    @Test
    void tenThousandEntriesListAndResolve() throws IOException {
        Tree tree = new Tree();
        Metadata m = new Metadata(0644, 0, 0, 1_600_000_000L, 5, Xattrs.NONE);
        for (int i = 0; i < 10_000; i++) {
            // Mixed lengths and a non-ASCII tail so block boundaries fall at uneven places.
            String name = "entry-" + Integer.toString(i * 7919 % 10_007, 36) + "-" + "x".repeat(i % 40) + (i % 13 == 0 ? "-é" : "");
            Node n = i % 10 == 0 ? new Node.Directory(m.withPermissions(0755)) : new Node.File(m, Content.of(name.getBytes()));
            tree.put(EntryPath.parse("big/" + name), n);
        }
        Path img = tmp.resolve("big.erofs");
        ErofsWriterFixtures.write(tree, img, ErofsWriter.Options.defaults());
        ErofsWriterFixtures.fsckExtract(img, tmp.resolve("x"));
        Listing.Options o = Listing.Options.ALL.withNanos(true);
        ErofsWriterFixtures.assertSameListing(Listing.of(tmp.resolve("x").resolve("big").getParent(),
                o.withMtimes(false).withDirMtimes(false)), Listing.of(tree, o.withMtimes(false).withDirMtimes(false)));
        Path mnt = tmp.resolve("mnt");
        ErofsWriterFixtures.mount(img, mnt);
        try {
            ErofsWriterFixtures.assertSameListing(Listing.of(mnt, o), Listing.of(tree, o));
            // Lookups go through the kernel's binary search over the directory blocks.
            for (String name : tree.list(EntryPath.parse("big"))) {
                assertThat(Files.exists(mnt.resolve("big").resolve(name))).as(name).isTrue();
            }
            assertThat(Files.exists(mnt.resolve("big/entry-missing"))).isFalse();
            assertThat(Files.getAttribute(mnt.resolve("big"), "unix:nlink")).isEqualTo(2 + 1000);
        } finally {
            ErofsWriterFixtures.unmount(mnt);
        }
    }
}
