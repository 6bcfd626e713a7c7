package dev.pbkv.tester.load;

import dev.pbkv.client.PbkvAsyncClient;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * Requests at a fixed rate (open loop), at most {@code maxInFlight} outstanding: request i is due
 * at {@code start + i / rate}, and its latency counts from that moment, not from when it was
 * sent, so a stall shows in the percentiles instead of slowing the load down (no coordinated
 * omission). One thread issues every request due, parking until the next one.
 */
final class RateDriver implements LoadDriver {
    private final PbkvAsyncClient client;
    private final Workload workload;
    private final LatencyStats stats;
    private final double ratePerSecond;
    private final Semaphore inFlight;
    private final int maxInFlight;
    private final Thread issuer;
    // Set once by stop(); the issuer reads it before each request.
    private volatile boolean stopping;

    RateDriver(PbkvAsyncClient client, Workload workload, LatencyStats stats, double ratePerSecond, int maxInFlight) {
        if (!(ratePerSecond > 0)) {
            throw new IllegalArgumentException("--rate must be above 0, got " + ratePerSecond);
        }
        this.client = client;
        this.workload = workload;
        this.stats = stats;
        this.ratePerSecond = ratePerSecond;
        this.maxInFlight = maxInFlight;
        this.inFlight = new Semaphore(maxInFlight);
        this.issuer = new Thread(this::issueAtRate, "pbkv-load-rate");
        this.issuer.setDaemon(true);
    }

    @Override
    public void start() {
        issuer.start();
    }

    private void issueAtRate() {
        long start = System.nanoTime();
        double nanosPerRequest = TimeUnit.SECONDS.toNanos(1) / ratePerSecond;
        for (long i = 0; !stopping; i++) {
            long due = start + (long) (i * nanosPerRequest);
            long wait = due - System.nanoTime();
            if (wait > 0) {
                LockSupport.parkNanos(wait);
            }
            try {
                inFlight.acquire(); // past the cap, later requests wait: their latency grows from `due`
            } catch (InterruptedException e) {
                return;
            }
            OneRequest.issue(client, workload, stats, due).thenRun(inFlight::release);
        }
    }

    @Override
    public void stop() throws InterruptedException {
        stopping = true;
        issuer.interrupt();
        issuer.join();
        inFlight.acquire(maxInFlight); // the requests in flight have finished
        inFlight.release(maxInFlight);
    }
}
