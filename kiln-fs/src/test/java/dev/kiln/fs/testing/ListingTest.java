package dev.kiln.fs.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The oracle itself: a faithful copy lists the same, a changed copy does not. */
class ListingTest {
    @TempDir Path tmp;

    @Test
    void copyListsIdenticallyAndChangesShow() throws Exception {
        Path a = Files.createDirectory(tmp.resolve("a"));
        SampleTree.create(a);
        SampleTree.run("cp", "-a", a.toString(), tmp.resolve("b").toString());
        Path b = tmp.resolve("b");
        String la = Listing.of(a, Listing.Options.ALL.withNanos(true));
        assertThat(Listing.of(b, Listing.Options.ALL.withNanos(true))).isEqualTo(la);
        assertThat(la).contains("/links/hard2 - 0644").contains("link=/links/hard1").contains("/tmp d 1777")
                .contains("/bin/suid - 4755").contains("/fifo p");

        SampleTree.chmod(b.resolve("etc/hostname"), 0600);
        assertThat(Listing.of(b, Listing.Options.ALL.withNanos(true))).isNotEqualTo(la);
    }
}
