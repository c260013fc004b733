package dev.kiln.platform.guest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class LinuxGuestTest {
    private static final LinuxGuest GUEST = new LinuxGuest();

    @Test
    void consoleOnTtyS0ThenMountsThenEnvThenTheArgsAfterTheStopWord() {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("APP_MODE", "test");
        env.put("GREETING", "hello world");
        String line = GUEST.commandLine(List.of("serve", "--port=8080", "a b"), env,
                List.of(new Mount("vol0", "/data", false), new Mount("vol1", "/ro", true)));
        assertThat(line).isEqualTo("console=ttyS0 panic=-1 quiet kiln.mount=vol0:/data:rw kiln.mount=vol1:/ro:ro"
                + " APP_MODE=test GREETING=\"hello world\" -- serve --port=8080 \"a b\"");
    }

    @Test
    void nonAsciiAndEmptyWordsAreQuotedBecauseTheKernelSplitsAtByte0xA0() {
        assertThat(LinuxGuest.quote("à")).isEqualTo("\"à\"");
        assertThat(LinuxGuest.quote("")).isEqualTo("\"\"");
        assertThat(LinuxGuest.quote("a=b'c\\d")).isEqualTo("a=b'c\\d");
        assertThat(GUEST.commandLine(List.of(), Map.of("K", "à"), List.of())).contains(" K=\"à\" --");
    }

    @Test
    void aDoubleQuoteCannotBeCarriedInArgsOrEnv() {
        assertThatThrownBy(() -> GUEST.commandLine(List.of("ok", "say \"hi\""), Map.of(), List.of()))
                .isInstanceOfSatisfying(GuestArgsException.class, e -> {
                    assertThat(e.field()).isEqualTo("args[1]");
                    assertThat(e.problem()).contains("no escape");
                });
        assertThatThrownBy(() -> GUEST.commandLine(List.of(), Map.of("K", "\""), List.of()))
                .isInstanceOf(GuestArgsException.class).hasMessageStartingWith("env[K]:");
    }

    @Test
    void aSecondStopWordIsRefusedBecauseTheKernelDropsWhatFollowsIt() {
        assertThatThrownBy(() -> GUEST.commandLine(List.of("a", "--", "b"), Map.of(), List.of()))
                .isInstanceOf(GuestArgsException.class).hasMessageStartingWith("args[1]: the kernel stops");
        assertThat(GUEST.commandLine(List.of("---", "-", "--x"), Map.of(), List.of())).endsWith("-- --- - --x");
    }

    @Test
    void envNamesAreUpperCaseSoNoKernelParameterCanBeInjected() {
        for (String bad : List.of("console", "init", "rdinit", "Path", "A.B", "1A", "A-B", "")) {
            assertThatThrownBy(() -> GUEST.commandLine(List.of(), Map.of(bad, "x"), List.of()))
                    .isInstanceOfSatisfying(GuestArgsException.class, e -> assertThat(e.field()).isEqualTo("env[" + bad + "]"));
        }
        assertThat(GUEST.commandLine(List.of(), Map.of("_X9", "1"), List.of())).contains(" _X9=1 ");
    }

    @Test
    void controlCharactersAreRefused() {
        assertThatThrownBy(() -> GUEST.commandLine(List.of("a\tb"), Map.of(), List.of()))
                .isInstanceOf(GuestArgsException.class).hasMessageStartingWith("args[0]: holds the control character U+0009");
        assertThatThrownBy(() -> GUEST.commandLine(List.of("\u0085"), Map.of(), List.of()))
                .isInstanceOf(GuestArgsException.class).hasMessageStartingWith("args[0]: holds the control character U+0085");
    }

    @Test
    void atMost32ArgsAnd31VariablesBesidesHomeAndTerm() {
        List<String> args = new ArrayList<>(Collections.nCopies(32, "a"));
        assertThat(GUEST.commandLine(args, Map.of(), List.of())).endsWith(" a");
        args.add("a");
        assertThatThrownBy(() -> GUEST.commandLine(args, Map.of(), List.of()))
                .isInstanceOf(GuestArgsException.class).hasMessageStartingWith("args: 33 args");

        Map<String, String> env = new LinkedHashMap<>();
        env.put("HOME", "/root");
        env.put("TERM", "vt100");
        for (int i = 0; i < 31; i++) env.put("V" + i, "x");
        assertThat(GUEST.commandLine(List.of(), env, List.of())).contains("HOME=/root TERM=vt100 V0=x");
        env.put("V31", "x");
        assertThatThrownBy(() -> GUEST.commandLine(List.of(), env, List.of()))
                .isInstanceOf(GuestArgsException.class).hasMessageStartingWith("env: 32 variables besides HOME and TERM");
    }

    @Test
    void theLineIsLimitedTo2047Bytes() {
        String prefix = "console=ttyS0 panic=-1 quiet -- ";
        String fits = "x".repeat(2047 - prefix.length());
        assertThat(GUEST.commandLine(List.of(fits), Map.of(), List.of())).hasSize(2047);
        assertThatThrownBy(() -> GUEST.commandLine(List.of(fits + "x"), Map.of(), List.of()))
                .isInstanceOfSatisfying(GuestArgsException.class, e -> {
                    assertThat(e.field()).isEqualTo("args");
                    assertThat(e.problem()).isEqualTo("the command line would be 2048 bytes (args and env together);"
                            + " this kernel takes at most 2047");
                });
    }

    @Test
    void theRootIsTheInitramfs() {
        assertThatThrownBy(() -> GUEST.commandLine(List.of(), Map.of(), List.of(new Mount("v", "/", false))))
                .isInstanceOf(GuestArgsException.class).hasMessageStartingWith("mounts[0].at: / is the initramfs");
    }
}
