package dev.kiln.platform.guest;

import static dev.kiln.platform.vmm.TestGuests.console;
import static dev.kiln.platform.vmm.TestGuests.probe;
import static dev.kiln.platform.vmm.TestGuests.probeArgs;
import static dev.kiln.platform.vmm.TestGuests.probeEnv;
import static dev.kiln.platform.vmm.TestGuests.vmm;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kiln.platform.vmm.VmExit;
import dev.kiln.platform.vmm.VmHandle;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Args and env travel through the real Unikraft 0.17 argument and parameter parsers and come
 * back intact: the probe's {@code env} and {@code args} commands print what the application
 * received. The probe runs its arguments as commands, so each boot runs {@code env args exit=0}
 * first and the arguments under test are never executed.
 */
class UnikraftArgsRoundTripTest {
    private static final List<String> HEAD = List.of("env", "args", "exit=0");

    @TempDir
    Path work;

    @Test
    void injectionAttemptsArriveAsPlainArgumentsAndValues() throws Exception {
        List<String> args = List.of("--", "-", "help", "vfs.fstab=[", "\"initrd0:/:9pfs\"", "]", "env.vars=EVIL=1",
                "a b", " lead", "trail ", "say \"hi\"", "it's", "back\\slash", "\\", "\"", "'", "a\\\"b", "=",
                "x=y=z", "[x]", "x]", "é à 中 😀", "\u00a0nbsp\u00a0", "\ufffd", "$HOME", "`id`", ";", "#", "%s");
        Map<String, String> env = new LinkedHashMap<>();
        env.put("ENDS_IN_BRACKET", "x]");
        env.put("AFTER_BRACKET", "still here");
        env.put("LOOKS_LIKE_A_PARAM", "-- vfs.fstab=[ \"none:/:ramfs\" ] env.vars=X=1");
        env.put("QUOTES", "\"'\\");
        env.put("EMPTY", "");
        env.put("UNICODE", "é à 中 😀 \u00a0");
        roundTrip(args, env);
    }

    @Test
    void randomArgsAndEnvRoundTrip() throws Exception {
        long seed = Long.getLong("kiln.seed", System.nanoTime());
        int boots = Integer.getInteger("kiln.roundtrip.boots", 12);
        Random r = new Random(seed);
        System.out.println("UnikraftArgsRoundTripTest seed " + seed + " (rerun with -Dkiln.seed=" + seed + ")");
        for (int b = 0; b < boots; b++) {
            Map<String, String> env = new LinkedHashMap<>();
            int vars = r.nextInt(4) == 0 ? 32 : r.nextInt(10);
            while (env.size() < vars) env.put(key(r), text(r, r.nextInt(20)));
            // 255 words: kernel path, 3 for the root, the variables, '--', and the 3 head commands.
            int room = 255 - 1 - 3 - env.size() - 1 - HEAD.size();
            List<String> args = new ArrayList<>();
            int n = r.nextInt(5) == 0 ? room : r.nextInt(Math.min(room, 40) + 1);
            while (args.size() < n) args.add(text(r, 1 + r.nextInt(24)));
            roundTrip(args, env);
        }
    }

    private void roundTrip(List<String> args, Map<String, String> env) throws Exception {
        List<String> all = new ArrayList<>(HEAD);
        all.addAll(args);
        VmHandle vm = vmm().start(probe(work, all, env));
        VmExit e = vm.exit().get(60, TimeUnit.SECONDS);
        String c = console(vm);
        assertThat(e.exitCode()).as("%s\n%s", e.detail(), c).hasValue(0);
        List<String> expectArgs = new ArrayList<>(List.of("kernel"));
        expectArgs.addAll(all);
        assertThat(probeArgs(c)).as("argv as the guest saw it").containsExactlyElementsOf(expectArgs);
        List<String> expectEnv = env.entrySet().stream().map(x -> x.getKey() + "=" + x.getValue()).toList();
        assertThat(probeEnv(c)).as("environ as the guest saw it").containsExactlyElementsOf(expectEnv);
    }

    private static final String SPECIAL = " \"'\\=[]-.:,;$`#%{}()*?!~^|&<>";
    private static final String[] WIDE = {"é", "à", "\u00a0", "→", "中", "😀", "\ufffd", "ß", "Ω"};

    /** Text the guest must carry: printable ASCII weighted towards what parsers act on, and non-ASCII. */
    private static String text(Random r, int length) {
        StringBuilder b = new StringBuilder();
        while (b.codePointCount(0, b.length()) < length) {
            int k = r.nextInt(10);
            if (k < 4) b.append(SPECIAL.charAt(r.nextInt(SPECIAL.length())));
            else if (k < 6) b.append(WIDE[r.nextInt(WIDE.length)]);
            else b.append((char) (0x21 + r.nextInt(0x7f - 0x21)));
        }
        if (r.nextInt(8) == 0) return "--";
        return b.toString();
    }

    private static String key(Random r) {
        String first = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_";
        String rest = first + "0123456789";
        StringBuilder b = new StringBuilder().append(first.charAt(r.nextInt(first.length())));
        for (int i = r.nextInt(12); i > 0; i--) b.append(rest.charAt(r.nextInt(rest.length())));
        return b.toString();
    }
}
