package dev.kiln.cli;

import dev.kiln.fs.KilnException;

/** The two attachment forms {@code kiln run} and {@code kiln instance create} both take. */
final class AttachArgs {
    private AttachArgs() {}

    /** {@code SOURCE:/PATH[:ro|rw]}: a volume or host directory mounted at {@code at}. */
    record Mount(String source, String at, boolean readonly) {
        /** {@code option} and {@code form} name the flag and its shape in the message (-v, HOSTDIR:/PATH[:ro]). */
        static Mount parse(String option, String form, String arg) {
            String[] parts = arg.split(":", -1);
            boolean ro = parts.length == 3 && parts[2].equals("ro");
            if (parts.length < 2 || parts.length > 3 || (parts.length == 3 && !ro && !parts[2].equals("rw"))) {
                throw new KilnException(option + " \"" + arg + "\": expected " + form);
            }
            return new Mount(parts[0], parts[1], ro);
        }
    }

    /** {@code NAME=SOURCE[,at=PATH]}: a ROM, its files also at {@code at} (null without). */
    record Rom(String name, String source, String at) {
        static Rom parse(String option, String form, String arg) {
            int eq = arg.indexOf('=');
            if (eq <= 0) throw new KilnException(option + " \"" + arg + "\": expected " + form);
            String rest = arg.substring(eq + 1);
            int comma = rest.lastIndexOf(",at=");
            return comma < 0 ? new Rom(arg.substring(0, eq), rest, null)
                    : new Rom(arg.substring(0, eq), rest.substring(0, comma), rest.substring(comma + 4));
        }
    }
}
