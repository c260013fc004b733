package dev.kiln.fs.io;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class WorkersTest {
    @Test
    void aPoolOnASharedExecutorRunsAtMostItsLimitAtOnce() throws Exception {
        ExecutorService shared = Executors.newCachedThreadPool();
        try {
            ExecutorService pool = Workers.on(shared, 2).pool("t", 2);
            AtomicInteger running = new AtomicInteger(), most = new AtomicInteger(), done = new AtomicInteger();
            Future<?>[] fs = new Future<?>[20];
            for (int i = 0; i < fs.length; i++) {
                fs[i] = pool.submit(() -> {
                    most.accumulateAndGet(running.incrementAndGet(), Math::max);
                    try {
                        Thread.sleep(5);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    running.decrementAndGet();
                    done.incrementAndGet();
                });
            }
            for (Future<?> f : fs) f.get(10, TimeUnit.SECONDS);
            assertThat(done.get()).isEqualTo(20);
            assertThat(most.get()).isEqualTo(2);
            pool.shutdown();
            assertThat(pool.awaitTermination(5, TimeUnit.SECONDS)).isTrue();
        } finally {
            shared.shutdownNow();
        }
    }

    @Test
    void shuttingAPoolDownNowInterruptsItsTasksOnlyAndDropsTheQueued() throws Exception {
        ExecutorService shared = Executors.newCachedThreadPool();
        try {
            Workers w = Workers.on(shared, 1);
            ExecutorService mine = w.pool("mine", 1);
            CountDownLatch started = new CountDownLatch(1);
            AtomicInteger interrupted = new AtomicInteger();
            mine.submit(() -> {
                started.countDown();
                try {
                    Thread.sleep(60_000);
                } catch (InterruptedException e) {
                    interrupted.incrementAndGet();
                }
            });
            Future<?> queued = mine.submit(() -> { });
            Future<?> other = w.start("other", () -> {
                try {
                    Thread.sleep(50);
                } catch (InterruptedException e) {
                    throw new IllegalStateException("interrupted by another pool's shutdown");
                }
            });
            assertThat(started.await(5, TimeUnit.SECONDS)).isTrue();
            assertThat(mine.shutdownNow()).hasSize(1);
            assertThat(mine.awaitTermination(5, TimeUnit.SECONDS)).isTrue();
            assertThat(interrupted.get()).isEqualTo(1);
            assertThat(queued.isDone()).isFalse();
            other.get(5, TimeUnit.SECONDS);
        } finally {
            shared.shutdownNow();
        }
    }
}
