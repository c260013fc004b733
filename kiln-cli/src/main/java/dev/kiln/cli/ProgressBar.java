package dev.kiln.cli;

import dev.kiln.fs.Progress;
import java.io.PrintStream;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A one-line progress bar on stderr for long builds. It stays silent for the first second (most
 * builds are over by then) and when stderr is not a terminal, so logs and pipes stay clean.
 */
final class ProgressBar implements Progress, AutoCloseable {
    private final long totalBytes;
    private final int totalEntries;
    private final PrintStream err;
    private final AtomicLong bytes = new AtomicLong();
    private final AtomicInteger entries = new AtomicInteger();
    private final Thread painter;
    private volatile boolean drawn;

    private ProgressBar(long totalBytes, int totalEntries, PrintStream err) {
        this.totalBytes = totalBytes;
        this.totalEntries = totalEntries;
        this.err = err;
        this.painter = Thread.ofPlatform().daemon().name("kiln-progress").unstarted(this::paintLoop);
    }

    /**
     * A bar when stderr is an interactive terminal, otherwise {@link Progress#NONE}. The totals
     * cost a pass over the tree, so they are computed only when a bar will be drawn.
     */
    static Progress start(dev.kiln.fs.Tree tree, PrintStream err, boolean quiet) {
        java.io.Console c = System.console();
        if (quiet || c == null || !c.isTerminal()) return Progress.NONE;
        ProgressBar bar = new ProgressBar(tree.contentBytes(), tree.size(), err);
        bar.painter.start();
        return bar;
    }

    @Override
    public void advance(long b, int e) {
        bytes.addAndGet(b);
        entries.addAndGet(e);
    }

    private void paintLoop() {
        try {
            Thread.sleep(1000);
            while (!Thread.currentThread().isInterrupted()) {
                paint();
                Thread.sleep(100);
            }
        } catch (InterruptedException ignored) {
            // closed
        }
    }

    private void paint() {
        long b = bytes.get();
        double f = totalBytes > 0 ? Math.min(1.0, (double) b / totalBytes) : (double) entries.get() / Math.max(1, totalEntries);
        int width = 30, filled = (int) (f * width);
        String line = String.format("\r[%s%s] %3d%%  %,d/%,d MB  %,d/%,d entries ", "#".repeat(filled), " ".repeat(width - filled),
                (int) (f * 100), b >> 20, totalBytes >> 20, entries.get(), totalEntries);
        synchronized (err) {
            err.print(line);
            err.flush();
        }
        drawn = true;
    }

    @Override
    public void close() {
        painter.interrupt();
        try {
            painter.join(500);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (drawn) {
            err.print("\r" + " ".repeat(90) + "\r");
            err.flush();
        }
    }
}
