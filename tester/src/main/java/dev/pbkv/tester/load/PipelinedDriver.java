package dev.pbkv.tester.load;

import dev.pbkv.client.PbkvAsyncClient;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;

/**
 * N requests in flight on the asynchronous client, kept full: each completion records its
 * latency and issues the next request from the completing thread, with no thread per request.
 */
final class PipelinedDriver implements LoadDriver {

    /** Completions that arrive inside the issuing call nest; past this depth they are handed off. */
    private static final int MAX_NESTING = 32;

    private static final ThreadLocal<int[]> NESTING = ThreadLocal.withInitial(() -> new int[1]);

    private final PbkvAsyncClient client;
    private final Workload workload;
    private final LatencyStats stats;
    private final int concurrency;
    private final Executor handOff;
    private final CountDownLatch finished;
    // Set once by stop(); every completion reads it before issuing the next request.
    private volatile boolean stopping;

    PipelinedDriver(PbkvAsyncClient client, Workload workload, LatencyStats stats, int concurrency, Executor handOff) {
        this.client = client;
        this.workload = workload;
        this.stats = stats;
        this.concurrency = concurrency;
        this.handOff = handOff;
        this.finished = new CountDownLatch(concurrency);
    }

    @Override
    public void start() {
        for (int i = 0; i < concurrency; i++) {
            issue();
        }
    }

    private void issue() {
        if (stopping) {
            finished.countDown();
            return;
        }
        OneRequest.issue(client, workload, stats, System.nanoTime()).thenRun(() -> {
            int[] depth = NESTING.get();
            if (depth[0] >= MAX_NESTING) {
                handOff.execute(this::issue);
                return;
            }
            depth[0]++;
            try {
                issue();
            } finally {
                depth[0]--;
            }
        });
    }

    @Override
    public void stop() throws InterruptedException {
        stopping = true;
        finished.await();
    }
}
