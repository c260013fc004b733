package dev.kiln.oci.registry;

import dev.kiln.oci.Digest;
import java.io.Console;
import java.io.PrintStream;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A one-line progress bar for a push or pull: all blobs together, redrawn in place with a
 * carriage return at most ten times a second. It draws only on a terminal: on a pipe, in a CI
 * log or behind {@code --quiet} a bar is noise, so {@link #forTerminal} returns a bar that stays
 * silent there. Thread-safe, as transfers report from several threads.
 */
public final class ProgressBar implements Progress, AutoCloseable {
    private static final long REDRAW_NANOS = 100_000_000L;

    private final String label;
    private final PrintStream out;
    private final int width;
    private final boolean enabled;
    private final Map<Digest, long[]> blobs = new LinkedHashMap<>();
    private long lastDraw = Long.MIN_VALUE;
    private int lastLength;
    private boolean drawn;

    /** A bar that draws on {@code out}, {@code width} columns wide. */
    public ProgressBar(String label, PrintStream out, int width) {
        this(label, out, width, true);
    }

    private ProgressBar(String label, PrintStream out, int width, boolean enabled) {
        this.label = label;
        this.out = out;
        this.width = Math.max(width, 40);
        this.enabled = enabled;
    }

    /** A bar on stderr if this process has a terminal, else one that draws nothing. */
    public static ProgressBar forTerminal(String label) {
        Console c = System.console();
        boolean tty = c != null && c.isTerminal();
        int columns = 80;
        try {
            String env = System.getenv("COLUMNS");
            if (env != null) columns = Integer.parseInt(env.trim());
        } catch (NumberFormatException ignored) {
            // keep 80
        }
        return new ProgressBar(label, System.err, columns, tty);
    }

    public boolean enabled() {
        return enabled;
    }

    @Override
    public synchronized void blob(Digest digest, long done, long total) {
        if (!enabled) return;
        blobs.put(digest, new long[] {done, total});
        long now = System.nanoTime();
        if (lastDraw != Long.MIN_VALUE && now - lastDraw < REDRAW_NANOS && !allDone()) return;
        lastDraw = now;
        draw();
    }

    private boolean allDone() {
        for (long[] b : blobs.values()) if (b[0] < b[1]) return false;
        return true;
    }

    /** The line as it would be drawn now (without the carriage return). */
    public synchronized String line() {
        long done = 0, total = 0;
        int complete = 0;
        for (long[] b : blobs.values()) {
            done += Math.min(b[0], b[1]);
            total += b[1];
            if (b[0] >= b[1]) complete++;
        }
        String tail = String.format(" %3d%% %s/%s %d/%d blobs", total == 0 ? 100 : done * 100 / total, size(done), size(total), complete, blobs.size());
        int barWidth = Math.max(10, width - label.length() - tail.length() - 3);
        int filled = total == 0 ? barWidth : (int) (barWidth * done / total);
        return label + " [" + "#".repeat(filled) + "-".repeat(barWidth - filled) + "]" + tail;
    }

    private void draw() {
        String l = line();
        // pad over the rest of a longer previous line instead of an escape sequence terminals may not know
        out.print("\r" + l + " ".repeat(Math.max(0, lastLength - l.length())));
        out.flush();
        lastLength = l.length();
        drawn = true;
    }

    static String size(long bytes) {
        if (bytes < 1000) return bytes + " B";
        if (bytes < 1_000_000) return String.format("%.1f kB", bytes / 1e3);
        if (bytes < 1_000_000_000) return String.format("%.1f MB", bytes / 1e6);
        return String.format("%.2f GB", bytes / 1e9);
    }

    /** Draws the final state and ends the line, if anything was drawn. */
    @Override
    public synchronized void close() {
        if (!enabled || !drawn) return;
        draw();
        out.println();
        out.flush();
    }
}
