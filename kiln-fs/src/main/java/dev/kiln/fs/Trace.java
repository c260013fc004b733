package dev.kiln.fs;

import java.lang.management.ManagementFactory;

/**
 * Phase timings on stderr when the environment sets {@code KILN_TRACE}: where a build spends its
 * time (walk, layout, data, metadata, rename), measured from JVM start. Off by default and free
 * then; it exists because performance work here is guided by measurement, not by guesses.
 */
public final class Trace {
    private static final boolean ON = System.getenv("KILN_TRACE") != null;
    private static long last;

    private Trace() {}

    /** Prints the time since JVM start and since the previous mark, with {@code what} just ended. */
    public static synchronized void mark(String what) {
        if (!ON) return;
        long now = ManagementFactory.getRuntimeMXBean().getUptime();
        System.err.printf("kiln trace: %5d ms  +%4d ms  %s%n", now, now - last, what);
        last = now;
    }
}
