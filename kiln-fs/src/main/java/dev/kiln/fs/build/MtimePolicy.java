package dev.kiln.fs.build;

import dev.kiln.fs.Metadata;

/**
 * Modification times: keep what sources record, set every time to one second, or clamp times
 * later than a given second to it (the reproducible-builds SOURCE_DATE_EPOCH convention, which
 * {@link ImageBuild.Builder#sourceDateEpoch} applies when no policy is set).
 */
public sealed interface MtimePolicy {
    Metadata apply(Metadata m);

    /** The time for directories that sources imply but do not list. */
    long impliedTime();

    MtimePolicy KEEP = new Keep();

    static MtimePolicy fixed(long epoch) {
        return new Fixed(epoch);
    }

    static MtimePolicy clamp(long epoch) {
        return new Clamp(epoch);
    }

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

    /** Parses {@code keep} or seconds since 1970. */
    static MtimePolicy parse(String s) {
        if (s.equals("keep")) return KEEP;
        return new Fixed(epoch(s, "mtime"));
    }

    /** Parses seconds since 1970 for {@code option} (named in the message). */
    static long epoch(String s, String option) {
        try {
            return Long.parseLong(s.trim());
        } catch (NumberFormatException e) {
            throw new BuildOptionException(option, "expected keep or seconds since 1970, got \"" + s + "\"");
        }
    }
}
