package dev.kiln.fs.guest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kiln.fs.testing.Listing;
import org.junit.jupiter.api.Test;

/** The console parser on its own: a boot test is only as honest as the text it compares. */
class GuestListingTest {
    private static final String SHA = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    private static final String CONSOLE = """
            [    1.0] noise before
            KILN-LISTING-BEGIN x
            S|41ed|3|1|0|0|100|0|0|1600000000|2020-09-13 12:26:40.5 +0000|/mnt/x
            S|81a4|2|7|1000|100|0|0|0|1600000001|2020-09-13 12:26:41.000000001 +0000|/mnt/x/b
            S|81a4|2|7|1000|100|0|0|0|1600000001|2020-09-13 12:26:41.000000001 +0000|/mnt/x/a
            S|a1ff|1|8|0|0|3|0|0|1600000002|2020-09-13 12:26:42.000000000 +0000|/mnt/x/l
            S|21b0|1|9|0|0|0|fe|10|1600000003|2020-09-13 12:26:43.000000000 +0000|/mnt/x/dev
            H|%s  /mnt/x/a
            H|%s  /mnt/x/b
            L|/mnt/x/l
            T|a b
            KILN-LISTING-END x
            """.formatted(SHA, SHA);

    @Test
    void producesListingLinesWithLinkGroupsInTreeOrder() {
        assertThat(GuestListing.parse(CONSOLE, "x", "/mnt/x", Listing.Options.ALL.withNanos(true))).isEqualTo("""
                / d 0755 0:0 t=1600000000.500000000
                /a - 0644 1000:100 t=1600000001.000000001 %s 0
                /b - 0644 1000:100 t=1600000001.000000001 %s 0 link=/a
                /dev c 0660 0:0 t=1600000003.000000000 254:16
                /l l 0777 0:0 t=1600000002.000000000 -> a b
                """.formatted(SHA, SHA));
    }

    @Test
    void keepsErrorsInsideTheMarkersAsLinesThatCannotMatch() {
        String console = CONSOLE.replace("L|/mnt/x/l", "sha256sum: /mnt/x/c: Input/output error\nL|/mnt/x/l");
        assertThat(GuestListing.parse(console, "x", "/mnt/x", Listing.Options.ALL))
                .contains("!! sha256sum: /mnt/x/c: Input/output error");
    }

    @Test
    void failsWithTheConsoleWhenTheListingIsMissing() {
        assertThatThrownBy(() -> GuestListing.parse("Kernel panic\n", "x", "/mnt/x", Listing.Options.ALL))
                .hasMessageContaining("no complete listing \"x\"").hasMessageContaining("Kernel panic");
    }
}
