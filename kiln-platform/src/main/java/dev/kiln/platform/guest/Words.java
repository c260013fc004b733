package dev.kiln.platform.guest;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/** Checks shared by both guest kinds; each kind owns its quoting, because the two parsers differ. */
final class Words {
    private Words() {}

    /** 9p mount tags: what QEMU's mount_tag, Unikraft's fstab and our Linux init all take unquoted. */
    static final Pattern TAG = Pattern.compile("[A-Za-z0-9_.-]{1,32}");

    /** One component of a mount path: no separator of either form (':', ' ') and nothing to quote. */
    private static final Pattern PATH_COMPONENT = Pattern.compile("[A-Za-z0-9_.@+-]+");

    /**
     * Why {@code s} cannot travel on a command line at all, or null. Control characters are
     * refused for every guest: both parsers split at some of them, a serial console would act on
     * others, and no API client means to send them. Unpaired surrogates have no UTF-8 form.
     */
    static String textProblem(String s) {
        for (int i = 0; i < s.length(); ) {
            int cp = s.codePointAt(i);
            if (Character.isSurrogate(s.charAt(i)) && Character.charCount(cp) == 1) {
                return "holds an unpaired UTF-16 surrogate at index " + i + ", which has no UTF-8 form";
            }
            if (Character.isISOControl(cp)) {
                return String.format("holds the control character U+%04X at index %d; a kernel command line carries no"
                        + " control characters", cp, i);
            }
            i += Character.charCount(cp);
        }
        return null;
    }

    static int utf8Length(String s) {
        return s.getBytes(StandardCharsets.UTF_8).length;
    }

    /** The API's name for one env entry; a key with control characters is shown escaped. */
    static String envField(String key) {
        return "env[" + printable(key) + "]";
    }

    /**
     * The mounts checked and ordered parents first (stable otherwise), so that a mount at
     * /data/x is not hidden by a later one at /data: both guests mount in the order given.
     */
    static List<Mount> checkMounts(List<Mount> mounts) {
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < mounts.size(); i++) {
            Mount m = mounts.get(i);
            String field = "mounts[" + i + "]";
            if (!TAG.matcher(m.tag()).matches()) {
                throw new GuestArgsException(field + ".tag", "\"" + printable(m.tag()) + "\" is not a 9p tag: 1-32 of"
                        + " A-Z a-z 0-9 _ . -");
            }
            String problem = pathProblem(m.at());
            if (problem != null) throw new GuestArgsException(field + ".at", problem);
            if (!seen.add(m.at())) throw new GuestArgsException(field + ".at", m.at() + " is mounted twice");
        }
        List<Mount> ordered = new ArrayList<>(mounts);
        ordered.sort(Comparator.comparingLong(m -> depth(m.at())));
        return ordered;
    }

    private static long depth(String path) {
        return path.equals("/") ? 0 : path.chars().filter(c -> c == '/').count();
    }

    static String pathProblem(String at) {
        if (at.equals("/")) return null;
        if (!at.startsWith("/")) return "\"" + printable(at) + "\" is not an absolute path";
        if (at.endsWith("/")) return "\"" + printable(at) + "\" ends in '/'";
        for (String c : at.substring(1).split("/", -1)) {
            if (c.isEmpty() || c.equals(".") || c.equals("..")) {
                return "\"" + printable(at) + "\" has an empty, '.' or '..' component";
            }
            if (!PATH_COMPONENT.matcher(c).matches()) {
                return "\"" + printable(at) + "\" has a character outside A-Z a-z 0-9 _ . @ + - (mount fields are"
                        + " separated by ':' and cannot be quoted)";
            }
        }
        return null;
    }

    static String printable(String s) {
        StringBuilder b = new StringBuilder();
        s.codePoints().forEach(cp -> {
            if (Character.isISOControl(cp)) b.append(String.format("\\u%04x", cp));
            else b.appendCodePoint(cp);
        });
        return b.toString();
    }
}
