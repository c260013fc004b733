package dev.kiln.fs.io;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.AbstractExecutorService;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.FutureTask;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * Where a build runs the work it does beside its own thread: listing directories, compressing,
 * copying, writing. Either threads of the build's own, started when needed and gone when it
 * ends (what the command line uses), or a caller's {@link Executor} shared by every build of a
 * server, so the number of threads does not grow with the number of builds.
 *
 * <p>Some of that work is a loop that waits for other work (a reader feeding compressors, a
 * writer draining buffers), so a shared executor must start a task without waiting for other
 * tasks to finish: a cached thread pool or a thread-per-task executor, not a fixed pool.
 * {@link #parallelism} bounds how many CPU-bound tasks one build runs at once.
 */
public final class Workers {
    private final Executor shared;
    private final int parallelism;

    private Workers(Executor shared, int parallelism) {
        if (parallelism < 1) throw new IllegalArgumentException("parallelism must be at least 1, not " + parallelism);
        this.shared = shared;
        this.parallelism = parallelism;
    }

    /** Threads of the build's own, {@code parallelism} at a time for CPU-bound work. */
    public static Workers ownThreads(int parallelism) {
        return new Workers(null, parallelism);
    }

    /** One thread per core for CPU-bound work, threads of the build's own. */
    public static Workers defaults() {
        return ownThreads(Math.max(1, Runtime.getRuntime().availableProcessors()));
    }

    /** Tasks on {@code executor} (see the class comment on what it must allow). */
    public static Workers on(Executor executor, int parallelism) {
        return new Workers(Objects.requireNonNull(executor), parallelism);
    }

    public int parallelism() {
        return parallelism;
    }

    /**
     * Starts a long-running task. Cancelling the future with {@code true} interrupts it; waiting
     * on it waits for the task to end.
     */
    public Future<?> start(String name, Runnable task) {
        FutureTask<Void> f = new FutureTask<>(task, null);
        if (shared == null) Thread.ofPlatform().name(name).daemon().start(f);
        else shared.execute(f);
        return f;
    }

    /**
     * A pool that runs at most {@code threads} of its tasks at once. The caller shuts it down;
     * on a shared executor that cancels this pool's tasks only.
     */
    public ExecutorService pool(String name, int threads) {
        if (shared == null) {
            return Executors.newFixedThreadPool(threads, r -> Thread.ofPlatform().name(name).daemon().unstarted(r));
        }
        return new Bounded(shared, threads);
    }

    /**
     * A view of a shared executor that runs at most {@code limit} of its tasks at once and can
     * be shut down on its own. Tasks wait in a queue of this view, not in the shared executor.
     */
    private static final class Bounded extends AbstractExecutorService {
        private final Executor shared;
        private final int limit;
        private final ArrayDeque<Runnable> queue = new ArrayDeque<>();
        private final Set<Thread> running = new HashSet<>();
        private int active;
        private boolean shutdown;

        Bounded(Executor shared, int limit) {
            this.shared = shared;
            this.limit = limit;
        }

        @Override
        public void execute(Runnable task) {
            synchronized (this) {
                if (shutdown) throw new RejectedExecutionException("pool shut down");
                queue.add(task);
                if (active >= limit) return;
                active++;
            }
            try {
                shared.execute(this::drain);
            } catch (RuntimeException e) {
                synchronized (this) {
                    active--;
                    queue.remove(task);
                    notifyAll();
                }
                throw e;
            }
        }

        /** Runs queued tasks on one shared thread until the queue is empty. */
        private void drain() {
            Thread me = Thread.currentThread();
            while (true) {
                Runnable next;
                synchronized (this) {
                    next = queue.poll();
                    if (next == null) {
                        active--;
                        notifyAll();
                        return;
                    }
                    running.add(me);
                }
                try {
                    next.run();
                } finally {
                    synchronized (this) {
                        running.remove(me);
                    }
                    Thread.interrupted(); // an interrupt meant for our task must not reach the next one
                }
            }
        }

        @Override
        public synchronized void shutdown() {
            shutdown = true;
            notifyAll();
        }

        @Override
        public synchronized List<Runnable> shutdownNow() {
            shutdown = true;
            List<Runnable> left = new ArrayList<>(queue);
            queue.clear();
            for (Thread t : running) t.interrupt();
            notifyAll();
            return left;
        }

        @Override
        public synchronized boolean isShutdown() {
            return shutdown;
        }

        @Override
        public synchronized boolean isTerminated() {
            return shutdown && active == 0;
        }

        @Override
        public synchronized boolean awaitTermination(long timeout, TimeUnit unit) throws InterruptedException {
            long end = System.nanoTime() + unit.toNanos(timeout);
            while (!(shutdown && active == 0)) {
                long left = end - System.nanoTime();
                if (left <= 0) return false;
                TimeUnit.NANOSECONDS.timedWait(this, left);
            }
            return true;
        }
    }
}
