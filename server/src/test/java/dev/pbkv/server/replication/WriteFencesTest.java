package dev.pbkv.server.replication;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Lock;
import org.junit.jupiter.api.Test;

class WriteFencesTest {
    private static final Duration WAIT = Duration.ofSeconds(10);

    @Test
    void aCutHoldsOffWritersToItsBucketOnlyWhileItComputes() throws Exception {
        WriteFences fences = new WriteFences(4);
        CountDownLatch computing = new CountDownLatch(1);
        CountDownLatch finish = new CountDownLatch(1);
        ExecutorService threads = Executors.newFixedThreadPool(3);
        try {
            CompletableFuture<Long> cut = CompletableFuture.supplyAsync(
                    () -> fences.cut(1, () -> {
                        computing.countDown();
                        await(finish);
                        return 42L;
                    }),
                    threads);
            assertThat(computing.await(WAIT.toMillis(), TimeUnit.MILLISECONDS)).isTrue();
            // Another bucket is not fenced: its writer enters while the cut computes.
            assertThat(CompletableFuture.supplyAsync(() -> enterAndLeave(fences, 2), threads))
                    .succeedsWithin(WAIT)
                    .isEqualTo(2);
            // The fenced bucket's writer waits for the cut and enters right after it.
            CompletableFuture<Integer> fenced = CompletableFuture.supplyAsync(() -> enterAndLeave(fences, 1), threads);
            assertThat(fenced).isNotDone();
            finish.countDown();
            assertThat(cut).succeedsWithin(WAIT).isEqualTo(42L);
            assertThat(fenced).succeedsWithin(WAIT).isEqualTo(1);
        } finally {
            finish.countDown();
            threads.shutdownNow();
        }
    }

    @Test
    void aWholeMapCutWaitsForAWriterInProgress() throws Exception {
        WriteFences fences = new WriteFences(4);
        Lock writer = fences.enter(3);
        ExecutorService thread = Executors.newSingleThreadExecutor();
        try {
            CompletableFuture<String> cut = CompletableFuture.supplyAsync(() -> fences.cut(-1, () -> "cut"), thread);
            assertThat(cut).isNotDone();
            writer.unlock();
            assertThat(cut).succeedsWithin(WAIT).isEqualTo("cut");
        } finally {
            thread.shutdownNow();
        }
    }

    private static int enterAndLeave(WriteFences fences, int bucket) {
        fences.enter(bucket).unlock();
        return bucket;
    }

    private static void await(CountDownLatch latch) {
        try {
            latch.await(WAIT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
