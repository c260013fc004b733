package dev.kiln.platform.rom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class InlineRomsTest {
    static InlineFile file(String path, String text) {
        return new InlineFile(path, text.getBytes(StandardCharsets.UTF_8));
    }

    static List<InlineFile> files(String... paths) {
        List<InlineFile> out = new ArrayList<>();
        for (String p : paths) out.add(file(p, "x"));
        return out;
    }

    /** The refusal for {@code files} under the prefix {@code roms[2]}. */
    static RomException refusal(List<InlineFile> files) {
        try {
            InlineRoms.validate("roms[2]", files);
        } catch (RomException e) {
            return e;
        }
        throw new AssertionError("accepted " + files);
    }

    @Test
    void aLeadingSlashMeansTheRomsRootAndIsDropped() {
        assertThat(InlineRoms.validate("roms[0]", files("/config.json", "etc/app/a", "/etc/app/b")))
                .containsExactly("config.json", "etc/app/a", "etc/app/b");
    }

    @Test
    void sixteenFilesAreAcceptedAndSeventeenAreRefusedNamingTheFilesField() {
        List<InlineFile> sixteen = new ArrayList<>();
        for (int i = 0; i < 16; i++) sixteen.add(file("f" + i, "x"));
        assertThat(InlineRoms.validate("roms[2]", sixteen)).hasSize(16);
        sixteen.add(file("f16", "x"));
        RomException e = refusal(sixteen);
        assertThat(e.field()).isEqualTo("roms[2].files");
        assertThat(e.getMessage()).isEqualTo("roms[2].files: 17 files; an inline ROM holds at most 16");
    }

    @Test
    void oneMibOfDataInAllIsAcceptedAndOneByteMoreIsRefused() {
        List<InlineFile> full = List.of(new InlineFile("a", new byte[1 << 19]), new InlineFile("b", new byte[1 << 19]));
        assertThat(InlineRoms.validate("roms[2]", full)).hasSize(2);
        RomException e = refusal(List.of(new InlineFile("a", new byte[1 << 19]), new InlineFile("b", new byte[(1 << 19) + 1])));
        assertThat(e.field()).isEqualTo("roms[2].files");
        assertThat(e.getMessage()).contains("1,048,577 bytes of data in all").contains("at most 1 MiB (1,048,576 bytes)");
    }

    @Test
    void aRomWithoutFilesIsRefused() {
        assertThat(refusal(List.of()).field()).isEqualTo("roms[2].files");
    }

    @ParameterizedTest(name = "[{index}] {0} -> {1}")
    @CsvSource(delimiter = '|', value = {
            "''            | empty",
            "/             | empty",
            "a//b          | an empty component",
            "//a           | an empty component",
            "a/./b         | a '.' component",
            "./a           | a '.' component",
            "a/../b        | a '..' component",
            "..            | a '..' component",
            "a/            | ends with '/'",
    })
    void aBadPathIsRefusedNamingItsFieldAndValue(String path, String why) {
        RomException e = refusal(List.of(file("ok", "x"), file(path, "x")));
        assertThat(e.field()).isEqualTo("roms[2].files[1].path");
        assertThat(e.getMessage()).startsWith("roms[2].files[1].path: \"" + path + "\": ").contains(why);
    }

    @Test
    void aNulIsRefusedAndShownEscaped() {
        RomException e = refusal(List.of(file("a\0b", "x")));
        assertThat(e.field()).isEqualTo("roms[2].files[0].path");
        assertThat(e.getMessage()).isEqualTo("roms[2].files[0].path: \"a\\x00b\": contains a NUL character");
    }

    @Test
    void aLoneSurrogateIsRefusedAsNotUnicode() {
        RomException e = refusal(List.of(file("a\uD800b", "x")));
        assertThat(e.getMessage()).contains("\"a\\ud800b\"").contains("not valid Unicode");
    }

    @Test
    void aComponentOf255BytesIsAcceptedAnd256AreRefused() {
        assertThat(InlineRoms.validate("", files("d/" + "n".repeat(255)))).hasSize(1);
        // 128 two-byte characters: 128 characters but 256 bytes.
        RomException e = refusal(List.of(file("d/" + "é".repeat(128), "x")));
        assertThat(e.field()).isEqualTo("roms[2].files[0].path");
        assertThat(e.getMessage()).contains("a component longer than 255 bytes");
    }

    @Test
    void aPathOf4095BytesIsAcceptedAnd4096AreRefusedWithTheValueShortened() {
        String ok = ("d".repeat(200) + "/").repeat(20) + "f".repeat(4095 - 201 * 20);
        assertThat(ok.length()).isEqualTo(4095);
        assertThat(InlineRoms.validate("", files("/" + ok))).hasSize(1);
        RomException e = refusal(List.of(file(ok + "g", "x")));
        assertThat(e.getMessage()).contains("longer than 4095 bytes").contains("…\"").hasSizeLessThan(200);
    }

    @Test
    void theSamePathTwiceIsRefusedEvenWhenOneHasALeadingSlash() {
        RomException e = refusal(files("a", "b", "/a"));
        assertThat(e.field()).isEqualTo("roms[2].files[2].path");
        assertThat(e.getMessage()).isEqualTo("roms[2].files[2].path: \"/a\": the same file as files[0]");
    }

    @Test
    void aFileThatIsAnotherFilesParentIsRefusedInEitherOrder() {
        RomException below = refusal(files("etc/app", "x", "etc/app/config.json"));
        assertThat(below.field()).isEqualTo("roms[2].files[2].path");
        assertThat(below.getMessage()).contains("\"etc/app/config.json\": below files[0], which is a file");
        RomException above = refusal(files("etc/app/config.json", "/etc/app"));
        assertThat(above.field()).isEqualTo("roms[2].files[1].path");
        assertThat(above.getMessage()).contains("\"/etc/app\": a file, but files[0] needs it as a directory");
    }

    @Test
    void siblingsThatShareAPrefixAreNotParents() {
        assertThat(InlineRoms.validate("", files("a", "a-b/c", "ab/c"))).hasSize(3);
    }

    @Test
    void aMissingPathIsRequired() {
        RomException e = refusal(List.of(new InlineFile(null, new byte[0])));
        assertThat(e.getMessage()).isEqualTo("roms[2].files[0].path: required");
    }

    @Test
    void withoutAPrefixTheFieldStartsAtFiles() {
        assertThatThrownBy(() -> InlineRoms.validate("", files("a//b")))
                .isInstanceOf(RomException.class).extracting(t -> ((RomException) t).field()).isEqualTo("files[0].path");
    }
}
