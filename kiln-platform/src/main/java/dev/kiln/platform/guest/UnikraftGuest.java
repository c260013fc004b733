package dev.kiln.platform.guest;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * A Unikraft kernel booted by QEMU's multiboot loader. The line it gets is
 * {@code vfs.fstab=[ "ENTRY" ... ] env.vars=K=V ... -- ARG ...}: library parameters, the stop
 * word, then the application's argv.
 *
 * <h2>How Unikraft 0.17 reads the line (checked by booting the unikraft-probe kernel)</h2>
 * ukargparse splits it into words at ' ', \t, \r, \n and \v. Outside quotes a backslash takes the
 * next character literally; {@code "..."} and {@code '...'} group, and quoted pieces join their
 * neighbours ({@code a"b c"d} is one word {@code ab cd}); inside {@code "..."} only {@code \"}
 * and {@code \\} are escapes (any other backslash stays); inside {@code '...'} nothing is. So a
 * word needing quotes is written {@code "..."} with {@code "} and {@code \} escaped. An empty
 * quoted string yields no word at all, so an empty argument cannot be passed and is refused.
 *
 * <p>uklibparam then reads the words before the first {@code --}. Arguments come after it, so no
 * argument, whatever it holds ({@code --}, {@code help}, {@code vfs.fstab=...}), is read as a
 * parameter. Environment variables are parameters, and are written one word each,
 * {@code env.vars=K=V}, rather than in the {@code env.vars=[ ... ]} list form: inside a list,
 * uklibparam ends the list at any word whose last character is {@code ]}, so a value ending in
 * {@code ]} would lose it and the variables after it would be read as parameters. A word
 * {@code env.vars=K=V} is one value of the array parameter whatever V holds.
 *
 * <h2>Limits</h2>
 * See {@link Limits#RELEASE_0_17}; each is refused up front with a {@link GuestArgsException},
 * because past it the guest silently loses data or mis-parses.
 */
public record UnikraftGuest(boolean initrd, Limits limits) implements Guest {
    /** posix-environ stores K=V as given; a key that is not an identifier would be unreadable by getenv. */
    private static final Pattern ENV_KEY = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");

    /**
     * What one Unikraft kernel accepts; the values are build options, so another kernel may differ.
     *
     * @param maxArgv   {@code CONFIG_LIBUKBOOT_MAXNBARGS}: argparse stops splitting when argv is
     *                  full, and the last word then holds the rest of the line with its quotes
     *                  and escapes unprocessed, so at most {@code maxArgv - 1} words are usable,
     *                  counting argv[0] (the kernel path QEMU was given, one word: QemuVmm
     *                  passes {@code kernel}), the parameters, {@code --} and the args
     * @param maxEnv    {@code CONFIG_LIBPOSIX_ENVIRON_LIBPARAM_MAXCOUNT}: more are dropped silently
     * @param maxMounts {@code CONFIG_LIBVFSCORE_AUTOMOUNT_UP_SIZE}: vfs.fstab entries, the root included
     * @param maxBytes  the longest line, in UTF-8 bytes
     */
    public record Limits(int maxArgv, int maxEnv, int maxMounts, int maxBytes) {
        /**
         * Unikraft 0.17 configured as the unikraft-probe kernel: MAXNBARGS 256 (a 256th word
         * came out with its closing quote still in it; 255 words parsed correctly), 32
         * variables, 16 fstab entries. The kernel showed no length limit of its own (a 131,071
         * byte line arrived whole); the bound is the host's: QEMU gets the line as one exec
         * argument, and Linux refuses an argument of 128 KiB (MAX_ARG_STRLEN, NUL included).
         */
        public static final Limits RELEASE_0_17 = new Limits(256, 32, 16, 131_071);
    }

    public UnikraftGuest {
        Objects.requireNonNull(limits, "limits");
    }

    /** A Unikraft 0.17 kernel; {@code initrd} says whether the image has one to unpack as the root. */
    public UnikraftGuest(boolean initrd) {
        this(initrd, Limits.RELEASE_0_17);
    }

    @Override
    public String kind() {
        return "unikraft";
    }

    @Override
    public String commandLine(List<String> args, Map<String, String> env, List<Mount> mounts) {
        List<String> words = new ArrayList<>();
        words.add("vfs.fstab=[");
        List<String> entries = fstab(mounts);
        for (String e : entries) words.add("\"" + e + "\"");
        words.add("]");
        int params = 2 + entries.size();

        if (env.size() > limits.maxEnv()) {
            throw new GuestArgsException("env", env.size() + " variables; Unikraft's posix-environ takes at most "
                    + limits.maxEnv() + " and drops the rest without a word");
        }
        for (Map.Entry<String, String> e : env.entrySet()) {
            String field = Words.envField(e.getKey());
            if (!ENV_KEY.matcher(e.getKey()).matches()) {
                throw new GuestArgsException(field, "the name must be an identifier: a letter or '_', then letters,"
                        + " digits or '_'");
            }
            String problem = Words.textProblem(e.getValue());
            if (problem != null) throw new GuestArgsException(field, "the value " + problem);
            words.add(quote("env.vars=" + e.getKey() + "=" + e.getValue()));
        }
        params += env.size();

        words.add("--");
        for (int i = 0; i < args.size(); i++) {
            String a = args.get(i);
            if (a.isEmpty()) {
                throw new GuestArgsException("args[" + i + "]", "Unikraft's argument parser drops an empty word, so an"
                        + " empty argument cannot reach the application");
            }
            String problem = Words.textProblem(a);
            if (problem != null) throw new GuestArgsException("args[" + i + "]", problem);
            words.add(quote(a));
        }

        int argv = 1 + words.size();
        if (argv > limits.maxArgv() - 1) {
            throw new GuestArgsException("args", "the command line would split into " + argv + " words (the kernel"
                    + " path, " + params + " for the root filesystem, mounts and env, '--' and " + args.size()
                    + " args); this Unikraft kernel parses at most " + (limits.maxArgv() - 1));
        }
        String line = String.join(" ", words);
        int bytes = Words.utf8Length(line);
        if (bytes > limits.maxBytes()) {
            throw new GuestArgsException("args", "the command line would be " + bytes + " bytes (args and env"
                    + " together); at most " + limits.maxBytes() + " fit");
        }
        return line;
    }

    /**
     * The fstab entries, root first: the initrd unpacked into a ramfs, or an empty ramfs (the
     * compiled-in fallback would try to unpack an initrd that is not there and stop the boot).
     * 9p mounts get {@code mkmp} so that their mount point need not exist in the image; flags
     * 0x1 is MNT_RDONLY, automount's only way to say read-only.
     */
    private List<String> fstab(List<Mount> mounts) {
        List<Mount> ordered = Words.checkMounts(mounts);
        List<String> entries = new ArrayList<>();
        boolean userRoot = ordered.stream().anyMatch(m -> m.at().equals("/"));
        if (userRoot && initrd) {
            int i = indexOfRoot(mounts);
            throw new GuestArgsException("mounts[" + i + "].at", "/ is where this image's initrd is unpacked");
        }
        if (initrd) entries.add("initrd0:/:extract::ramfs=1:");
        else if (!userRoot) entries.add("none:/:ramfs");
        for (Mount m : ordered) {
            if (m.block()) {
                throw new GuestArgsException("mounts[" + mounts.indexOf(m) + "]", "a block volume at " + m.at()
                        + ": Unikraft 0.17 has no ext4 driver; it mounts 9p volumes");
            }
            entries.add(m.tag() + ":" + m.at() + ":9pfs:" + (m.readOnly() ? "0x1" : "") + "::mkmp");
        }
        if (entries.size() > limits.maxMounts()) {
            throw new GuestArgsException("mounts", entries.size() + " vfs.fstab entries with the root; this Unikraft"
                    + " kernel mounts at most " + limits.maxMounts());
        }
        return entries;
    }

    private static int indexOfRoot(List<Mount> mounts) {
        for (int i = 0; i < mounts.size(); i++) if (mounts.get(i).at().equals("/")) return i;
        return -1;
    }

    /** One word as ukargparse will give it back: bare when nothing in it is special, else in "...". */
    static String quote(String word) {
        boolean plain = true;
        for (int i = 0; i < word.length() && plain; i++) {
            char c = word.charAt(i);
            plain = c != ' ' && c != '"' && c != '\'' && c != '\\';
        }
        if (plain) return word;
        StringBuilder b = new StringBuilder(word.length() + 8).append('"');
        for (int i = 0; i < word.length(); i++) {
            char c = word.charAt(i);
            if (c == '"' || c == '\\') b.append('\\');
            b.append(c);
        }
        return b.append('"').toString();
    }
}
