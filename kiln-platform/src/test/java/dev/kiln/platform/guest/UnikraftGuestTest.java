package dev.kiln.platform.guest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class UnikraftGuestTest {
    private static final UnikraftGuest GUEST = new UnikraftGuest(true);

    @Test
    void theLineHasTheRootThenOneEnvWordPerVariableThenTheArgs() {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("APP_MODE", "test");
        env.put("GREETING", "hello world");
        assertThat(GUEST.commandLine(List.of("env", "args"), env, List.of())).isEqualTo(
                "vfs.fstab=[ \"initrd0:/:extract::ramfs=1:\" ] env.vars=APP_MODE=test \"env.vars=GREETING=hello world\""
                        + " -- env args");
    }

    @Test
    void wordsWithSpacesQuotesOrBackslashesAreDoubleQuotedWithQuoteAndBackslashEscaped() {
        assertThat(UnikraftGuest.quote("plain-=[]{}é")).isEqualTo("plain-=[]{}é");
        assertThat(UnikraftGuest.quote("a b")).isEqualTo("\"a b\"");
        assertThat(UnikraftGuest.quote("say \"hi\"")).isEqualTo("\"say \\\"hi\\\"\"");
        assertThat(UnikraftGuest.quote("c:\\dir\\")).isEqualTo("\"c:\\\\dir\\\\\"");
        assertThat(UnikraftGuest.quote("it's")).isEqualTo("\"it's\"");
    }

    @Test
    void argumentsThatLookLikeParametersStayArgumentsBecauseTheyComeAfterTheStopWord() {
        String line = GUEST.commandLine(List.of("--", "help", "vfs.fstab=[", "env.vars=X=1"), Map.of(), List.of());
        assertThat(line).endsWith(" -- -- help vfs.fstab=[ env.vars=X=1");
    }

    @Test
    void mountsComeAfterTheRootParentsFirstWithReadOnlyAsFlag0x1() {
        String line = GUEST.commandLine(List.of(), Map.of(), List.of(
                new Mount("vol1", "/data/cache", true), new Mount("vol0", "/data", false)));
        assertThat(line).isEqualTo("vfs.fstab=[ \"initrd0:/:extract::ramfs=1:\" \"vol0:/data:9pfs:::mkmp\""
                + " \"vol1:/data/cache:9pfs:0x1::mkmp\" ] --");
    }

    @Test
    void withoutAnInitrdTheRootIsAnEmptyRamfsUnlessAMountIsAtTheRoot() {
        UnikraftGuest bare = new UnikraftGuest(false);
        assertThat(bare.commandLine(List.of(), Map.of(), List.of())).isEqualTo("vfs.fstab=[ \"none:/:ramfs\" ] --");
        assertThat(bare.commandLine(List.of(), Map.of(), List.of(new Mount("root", "/", false))))
                .isEqualTo("vfs.fstab=[ \"root:/:9pfs:::mkmp\" ] --");
        assertThatThrownBy(() -> GUEST.commandLine(List.of(), Map.of(), List.of(new Mount("root", "/", false))))
                .isInstanceOf(GuestArgsException.class).hasMessageStartingWith("mounts[0].at:");
    }

    @Test
    void anEmptyArgumentIsRefusedBecauseTheParserDropsEmptyWords() {
        assertThatThrownBy(() -> GUEST.commandLine(List.of("a", ""), Map.of(), List.of()))
                .isInstanceOfSatisfying(GuestArgsException.class, e -> {
                    assertThat(e.field()).isEqualTo("args[1]");
                    assertThat(e.problem()).contains("empty");
                });
    }

    @Test
    void controlCharactersAndBrokenUnicodeAreRefusedNamingTheField() {
        assertThatThrownBy(() -> GUEST.commandLine(List.of("a\nb"), Map.of(), List.of()))
                .isInstanceOf(GuestArgsException.class).hasMessage("args[0]: holds the control character U+000A at"
                        + " index 1; a kernel command line carries no control characters");
        assertThatThrownBy(() -> GUEST.commandLine(List.of("ok", "x\ud800"), Map.of(), List.of()))
                .isInstanceOf(GuestArgsException.class).hasMessageStartingWith("args[1]: holds an unpaired");
        assertThatThrownBy(() -> GUEST.commandLine(List.of(), Map.of("K", "v\0"), List.of()))
                .isInstanceOf(GuestArgsException.class).hasMessageStartingWith("env[K]: the value holds the control");
    }

    @Test
    void envNamesMustBeIdentifiers() {
        for (String bad : List.of("1X", "A-B", "A.B", "", "A B", "É")) {
            assertThatThrownBy(() -> GUEST.commandLine(List.of(), Map.of(bad, "v"), List.of()))
                    .isInstanceOfSatisfying(GuestArgsException.class, e -> assertThat(e.field()).isEqualTo("env[" + bad + "]"));
        }
        assertThat(GUEST.commandLine(List.of(), Map.of("_lower_9", "v"), List.of())).contains("env.vars=_lower_9=v");
    }

    @Test
    void envValuesMayHoldAnythingPrintableEvenAClosingBracket() {
        assertThat(GUEST.commandLine(List.of(), Map.of("K", "x] -- vfs.fstab=[ \"a\\"), List.of()))
                .contains(" \"env.vars=K=x] -- vfs.fstab=[ \\\"a\\\\\" --");
    }

    @Test
    void moreThan32VariablesAreRefusedBecausePosixEnvironDropsTheRest() {
        Map<String, String> env = new LinkedHashMap<>();
        for (int i = 0; i < 32; i++) env.put("V" + i, "x");
        assertThat(GUEST.commandLine(List.of(), env, List.of())).contains("env.vars=V31=x");
        env.put("V32", "x");
        assertThatThrownBy(() -> GUEST.commandLine(List.of(), env, List.of()))
                .isInstanceOfSatisfying(GuestArgsException.class, e -> {
                    assertThat(e.field()).isEqualTo("env");
                    assertThat(e.problem()).contains("33 variables").contains("at most 32");
                });
    }

    @Test
    void atMost255WordsCountingTheKernelPathRootAndStopWord() {
        // argv[0] + "vfs.fstab=[" + entry + "]" + "--" = 5 words, leaving 250 for args.
        List<String> args = new ArrayList<>(Collections.nCopies(250, "w"));
        assertThat(GUEST.commandLine(args, Map.of(), List.of())).endsWith(" w");
        args.add("w");
        assertThatThrownBy(() -> GUEST.commandLine(args, Map.of(), List.of()))
                .isInstanceOfSatisfying(GuestArgsException.class, e -> {
                    assertThat(e.field()).isEqualTo("args");
                    assertThat(e.problem()).contains("256 words").contains("at most 255");
                });
    }

    @Test
    void theLineIsLimitedTo131071BytesTheLongestExecArgument() {
        String prefix = "vfs.fstab=[ \"initrd0:/:extract::ramfs=1:\" ] -- ";
        String fits = "é".repeat((131_071 - prefix.length()) / 2) + "x".repeat((131_071 - prefix.length()) % 2);
        assertThat(GUEST.commandLine(List.of(fits), Map.of(), List.of())).hasSize(prefix.length() + fits.length());
        assertThatThrownBy(() -> GUEST.commandLine(List.of(fits + "x"), Map.of(), List.of()))
                .isInstanceOfSatisfying(GuestArgsException.class, e -> {
                    assertThat(e.field()).isEqualTo("args");
                    assertThat(e.problem()).contains("131072 bytes").contains("at most 131071");
                });
    }

    @Test
    void atMost16FstabEntriesWithTheRoot() {
        List<Mount> mounts = new ArrayList<>();
        for (int i = 0; i < 15; i++) mounts.add(new Mount("v" + i, "/m" + i, false));
        assertThat(GUEST.commandLine(List.of(), Map.of(), mounts)).contains("v14:/m14");
        mounts.add(new Mount("v15", "/m15", false));
        assertThatThrownBy(() -> GUEST.commandLine(List.of(), Map.of(), mounts))
                .isInstanceOf(GuestArgsException.class).hasMessageContaining("mounts: 17 vfs.fstab entries");
    }

    @Test
    void mountTagsAndPathsAreHeldToPlainCharacters() {
        assertThatThrownBy(() -> GUEST.commandLine(List.of(), Map.of(), List.of(new Mount("a:b", "/x", false))))
                .isInstanceOf(GuestArgsException.class).hasMessageStartingWith("mounts[0].tag:");
        for (String bad : List.of("x", "/a:b", "/a b", "/a/../b", "/a//b", "/a/", "/a\"b")) {
            assertThatThrownBy(() -> GUEST.commandLine(List.of(), Map.of(), List.of(new Mount("t", bad, false))))
                    .isInstanceOf(GuestArgsException.class).hasMessageStartingWith("mounts[0].at:");
        }
        assertThatThrownBy(() -> GUEST.commandLine(List.of(), Map.of(),
                List.of(new Mount("a", "/x", false), new Mount("b", "/x", true))))
                .isInstanceOf(GuestArgsException.class).hasMessage("mounts[1].at: /x is mounted twice");
    }

    @Test
    void theKindComesFromTheImageMetadata() {
        assertThat(Guest.of("unikraft", false)).isEqualTo(new UnikraftGuest(false));
        assertThat(Guest.of("linux", true)).isEqualTo(new LinuxGuest());
        assertThatThrownBy(() -> Guest.of("windows", true)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("windows");
    }
}
