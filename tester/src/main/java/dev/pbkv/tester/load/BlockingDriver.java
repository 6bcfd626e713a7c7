package dev.pbkv.tester.load;

import dev.pbkv.client.PbkvClient;
import java.util.ArrayList;
import java.util.List;

/** N threads, each with one blocking request in flight at a time, sharing one client. */
final class BlockingDriver implements LoadDriver {

    private final PbkvClient client;
    private final Workload workload;
    private final LatencyStats stats;
    private final int concurrency;
    private final List<Thread> threads = new ArrayList<>();
    // Set once by stop(); the workers read it before every request.
    private volatile boolean stopping;

    BlockingDriver(PbkvClient client, Workload workload, LatencyStats stats, int concurrency) {
        this.client = client;
        this.workload = workload;
        this.stats = stats;
        this.concurrency = concurrency;
    }

    @Override
    public void start() {
        for (int i = 0; i < concurrency; i++) {
            Thread t = new Thread(this::work, "pbkv-load-" + i);
            t.setDaemon(true);
            threads.add(t);
            t.start();
        }
    }

    private void work() {
        while (!stopping) {
            long start = System.nanoTime();
            try {
                if (workload.nextIsRead()) {
                    boolean found = client.get(workload.randomKey()).isPresent();
                    stats.recordRead(start, found);
                } else {
                    client.put(workload.randomKey(), workload.value());
                    stats.recordWrite(start);
                }
            } catch (RuntimeException e) {
                stats.recordError(e);
            }
        }
    }

    @Override
    public void stop() throws InterruptedException {
        stopping = true;
        for (Thread t : threads) {
            t.join();
        }
    }
}
