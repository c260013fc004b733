package dev.kiln.platform.guest;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * A Linux kernel with an initramfs whose {@code /init} is the application (or starts it). The
 * line is {@code console=ttyS0 panic=-1 quiet [kiln.mount=TAG:AT:ro|rw ...] [K=V ...] -- ARG ...}.
 *
 * <h2>How Linux reads it (init/main.c, kernel/params.c; checked on Debian's 6.1)</h2>
 * Words split at whitespace, and the kernel's isspace() also counts byte 0xA0, which occurs
 * inside UTF-8 (à is C3 A0): an unquoted non-ASCII word can split in two. A word may be wrapped
 * in {@code "..."} (or only its value, {@code K="..."}); the quotes are removed. There is no
 * escape character, so a {@code "} inside a word cannot be expressed and is refused, and every
 * word that is not plain printable ASCII is quoted.
 *
 * <p>Everything after {@code --} goes to init as argv, so no argument can become a kernel
 * parameter; but the kernel stops again at a second {@code --} and drops what follows, so an
 * argument that is exactly {@code --} is refused. An empty argument passes as {@code ""}.
 *
 * <p>Before {@code --}, a {@code K=V} word that is not a kernel parameter becomes an environment
 * variable of init. Kernel parameter names ({@code __setup}, early and core parameters) are
 * lower case, so env names are held to {@code [A-Z_][A-Z0-9_]*}: such a name cannot be
 * mistaken for one (a name with '.' would be taken for a module parameter and dropped). The
 * kernel sets HOME=/ and TERM=linux itself; giving them replaces the kernel's value.
 *
 * <p>{@code kiln.mount=TAG:AT:ro|rw} (a 9p share) and {@code kiln.disk=SERIAL:AT:ro|rw} (an ext4
 * block device found by its serial) words are for kiln's own init, which reads them from
 * /proc/cmdline; the kernel ignores them (a dotted name is a module parameter of a module that
 * does not exist) and does not pass them to init.
 */
public record LinuxGuest(Limits limits) implements Guest {
    private static final Pattern ENV_KEY = Pattern.compile("[A-Z_][A-Z0-9_]*");
    private static final String BASE = "console=ttyS0 panic=-1 quiet";

    /**
     * What one kernel accepts.
     *
     * @param maxBytes    {@code COMMAND_LINE_SIZE - 1}
     * @param maxInitArgs arguments after {@code --}
     * @param maxInitEnv  variables besides HOME and TERM
     */
    public record Limits(int maxBytes, int maxInitArgs, int maxInitEnv) {
        /**
         * x86 with {@code CONFIG_INIT_ENV_ARG_LIMIT=32} (Debian's kernels), checked on 6.1: a
         * 2,047-byte line boots, a 2,048-byte one hangs the boot with no output; 32 arguments
         * arrive, a 33rd panics "Too many boot init vars"; 31 variables arrive, a 32nd panics
         * "Too many boot env vars". Refusing is the only way to keep the guest alive.
         */
        public static final Limits X86_DEFAULT = new Limits(2047, 32, 31);
    }

    public LinuxGuest {
        Objects.requireNonNull(limits, "limits");
    }

    public LinuxGuest() {
        this(Limits.X86_DEFAULT);
    }

    @Override
    public String kind() {
        return "linux";
    }

    @Override
    public String commandLine(List<String> args, Map<String, String> env, List<Mount> mounts) {
        List<String> words = new ArrayList<>(List.of(BASE));
        for (Mount m : Words.checkMounts(mounts)) {
            if (m.at().equals("/")) {
                throw new GuestArgsException("mounts[" + mounts.indexOf(m) + "].at", "/ is the initramfs of a Linux"
                        + " guest");
            }
            words.add((m.block() ? "kiln.disk=" : "kiln.mount=") + m.tag() + ":" + m.at() + ":" + (m.readOnly() ? "ro" : "rw"));
        }

        int added = 0;
        for (Map.Entry<String, String> e : env.entrySet()) {
            String field = Words.envField(e.getKey());
            if (!ENV_KEY.matcher(e.getKey()).matches()) {
                throw new GuestArgsException(field, "a Linux guest takes env names of A-Z, 0-9 and '_' (not starting"
                        + " with a digit), which no kernel parameter has: the kernel passes K=V to init only when K is"
                        + " not one of its own parameters");
            }
            String value = e.getValue();
            String problem = Words.textProblem(value);
            if (problem != null) throw new GuestArgsException(field, "the value " + problem);
            if (value.indexOf('"') >= 0) {
                throw new GuestArgsException(field, "the value holds '\"', which the Linux command line cannot"
                        + " carry (it has quotes but no escape character)");
            }
            if (!e.getKey().equals("HOME") && !e.getKey().equals("TERM")) added++;
            words.add(e.getKey() + "=" + quote(value));
        }
        if (added > limits.maxInitEnv()) {
            throw new GuestArgsException("env", added + " variables besides HOME and TERM; the kernel hands init at"
                    + " most " + limits.maxInitEnv() + " and panics on more");
        }

        if (args.size() > limits.maxInitArgs()) {
            throw new GuestArgsException("args", args.size() + " args; the kernel hands init at most "
                    + limits.maxInitArgs() + " and panics on more");
        }
        words.add("--");
        for (int i = 0; i < args.size(); i++) {
            String a = args.get(i);
            String field = "args[" + i + "]";
            String problem = Words.textProblem(a);
            if (problem != null) throw new GuestArgsException(field, problem);
            if (a.indexOf('"') >= 0) {
                throw new GuestArgsException(field, "holds '\"', which the Linux command line cannot carry (it has"
                        + " quotes but no escape character)");
            }
            if (a.equals("--")) {
                throw new GuestArgsException(field, "the kernel stops reading init's arguments at a second '--' and"
                        + " drops the rest, so '--' cannot be passed");
            }
            words.add(quote(a));
        }

        String line = String.join(" ", words);
        int bytes = Words.utf8Length(line);
        if (bytes > limits.maxBytes()) {
            throw new GuestArgsException("args", "the command line would be " + bytes + " bytes (args and env"
                    + " together); this kernel takes at most " + limits.maxBytes());
        }
        return line;
    }

    /** Plain printable ASCII goes bare; anything else (space, non-ASCII, empty) in "...". */
    static String quote(String word) {
        boolean plain = !word.isEmpty();
        for (int i = 0; i < word.length() && plain; i++) {
            char c = word.charAt(i);
            plain = c > ' ' && c < 0x7f;
        }
        return plain ? word : "\"" + word + "\"";
    }
}
