package dev.kiln.fs.erofs;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.fs.Tree;
import dev.kiln.fs.testing.Listing;
import dev.kiln.fs.testing.SampleTree;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ErofsWriterSmokeTest {
    @TempDir Path tmp;

    @Test
    void sampleTreeMountsAndPassesFsck() throws Exception {
        Path src = Files.createDirectory(tmp.resolve("src"));
        SampleTree.create(src);
        Tree tree = ErofsWriterFixtures.treeOf(src);
        Path img = tmp.resolve("a.erofs");
        ErofsWriterFixtures.write(tree, img, ErofsWriter.Options.defaults());
        System.out.println(ErofsWriterFixtures.fsckExtract(img, tmp.resolve("x")));
        Path mnt = tmp.resolve("mnt");
        ErofsWriterFixtures.mount(img, mnt);
        try {
            Listing.Options o = Listing.Options.ALL.withNanos(true).withXattrs(true);
            assertThat(Listing.of(mnt, o)).isEqualTo(Listing.of(tree, o));
        } finally {
            ErofsWriterFixtures.unmount(mnt);
        }
    }
}
