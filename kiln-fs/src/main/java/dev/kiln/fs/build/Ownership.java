package dev.kiln.fs.build;

import dev.kiln.fs.Metadata;

/** Who owns the entries of a source: the owners it records, or one uid:gid for all. */
public sealed interface Ownership {
    Metadata apply(Metadata m);

    record Keep() implements Ownership {
        public Metadata apply(Metadata m) { return m; }
    }

    record Fixed(long uid, long gid) implements Ownership {
        public Fixed {
            if (uid < 0 || gid < 0 || uid > 0xFFFFFFFFL || gid > 0xFFFFFFFFL) {
                throw new BuildOptionException("owner", "uid and gid must be 0..4294967295, not " + uid + ":" + gid);
            }
        }

        public Metadata apply(Metadata m) {
            return m.uid() == uid && m.gid() == gid ? m : m.withOwner(uid, gid);
        }
    }

    Ownership KEEP = new Keep();
    Ownership ROOT = new Fixed(0, 0);

    /** Parses {@code keep}, {@code root} or {@code UID:GID}. */
    static Ownership parse(String s) {
        if (s.equals("keep")) return KEEP;
        if (s.equals("root")) return ROOT;
        int colon = s.indexOf(':');
        try {
            if (colon > 0) {
                long u = Long.parseLong(s.substring(0, colon)), g = Long.parseLong(s.substring(colon + 1));
                if (u >= 0 && g >= 0 && u <= 0xFFFFFFFFL && g <= 0xFFFFFFFFL) return new Fixed(u, g);
            }
        } catch (NumberFormatException ignored) {
            // fall through to the message
        }
        throw new BuildOptionException("owner", "expected keep, root or UID:GID (numbers), got \"" + s + "\"");
    }
}
