package dev.kiln.fs.io;

import dev.kiln.fs.KilnException;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.UncheckedIOException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;

/** Waiting for work handed to a thread pool, with its failure rethrown as the worker threw it. */
public final class Await {
    private Await() {}

    /**
     * The result of {@code task}. A failure comes back as the worker threw it (an IOException that
     * had to cross a lambda as an UncheckedIOException comes back as the IOException), so callers
     * report it the same whichever thread did the work. {@code doing} names the work in messages
     * ("interrupted while " + doing).
     */
    public static <T> T result(Future<T> task, String doing) throws IOException {
        try {
            return task.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while " + doing);
        } catch (ExecutionException e) {
            switch (e.getCause()) {
                case UncheckedIOException u -> throw u.getCause();
                case IOException io -> throw io;
                case RuntimeException re -> throw re;
                case Error err -> throw err;
                default -> throw new KilnException(doing + " failed: " + e.getCause(), e.getCause());
            }
        }
    }
}
