package dev.kiln.fs.source;

import dev.kiln.fs.KilnException;
import dev.kiln.fs.Metadata;

/**
 * The --mtime policy. {@code keep} keeps source times, {@code EPOCH} sets every time to that
 * second, and the default clamps times later than SOURCE_DATE_EPOCH to it when that variable
 * is set (the reproducible-builds convention), keeping them otherwise.
 */
public sealed interface MtimePolicy {
    Metadata apply(Metadata m);

    /** The time for directories that sources imply but do not list. */
    long impliedTime();

    record Keep() implements MtimePolicy {
        public Metadata apply(Metadata m) { return m; }
        public long impliedTime() { return 0; }
    }

    record Fixed(long epoch) implements MtimePolicy {
        public Metadata apply(Metadata m) {
            return m.mtime() == epoch && m.mtimeNanos() == 0 ? m : m.withMtime(epoch, 0);
        }
        public long impliedTime() { return epoch; }
    }

    record Clamp(long epoch) implements MtimePolicy {
        public Metadata apply(Metadata m) {
            return m.mtime() >= epoch ? (m.mtime() == epoch && m.mtimeNanos() == 0 ? m : m.withMtime(epoch, 0)) : m;
        }
        public long impliedTime() { return epoch; }
    }

    /** Parses {@code keep} or an epoch in seconds; null means the default. */
    static MtimePolicy parse(String s, String sourceDateEpoch) {
        if (s == null) {
            if (sourceDateEpoch == null || sourceDateEpoch.isBlank()) return new Keep();
            return new Clamp(epoch(sourceDateEpoch.trim(), "SOURCE_DATE_EPOCH"));
        }
        if (s.equals("keep")) return new Keep();
        return new Fixed(epoch(s, "--mtime"));
    }

    private static long epoch(String s, String what) {
        try {
            return Long.parseLong(s);
        } catch (NumberFormatException e) {
            throw new KilnException(what + ": expected keep or seconds since 1970, got \"" + s + "\"");
        }
    }
}
