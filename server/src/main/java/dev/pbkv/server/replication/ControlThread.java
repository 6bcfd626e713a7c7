package dev.pbkv.server.replication;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one thread ({@code pbkv-repl-control-<node>}) on which every state change of a pair node
 * runs, so transitions never race: gRPC callbacks, timers and requests hand their decisions to it
 * through {@link #run} or {@link #runFor}. Classes that say "control thread only" rely on this.
 */
final class ControlThread {
    private static final Logger log = LoggerFactory.getLogger(ControlThread.class);

    private final String nodeId;
    private final ScheduledExecutorService executor;

    ControlThread(String nodeId) {
        this.nodeId = nodeId;
        this.executor = Executors.newSingleThreadScheduledExecutor(named("pbkv-repl-control-" + nodeId));
    }

    /** Runs on the control thread; a failure is logged, never lost; dropped once the thread stopped. */
    void run(Runnable r) {
        try {
            executor.execute(() -> {
                try {
                    r.run();
                } catch (RuntimeException e) {
                    log.error("{}: replication control step failed", nodeId, e);
                }
            });
        } catch (RejectedExecutionException e) {
            log.debug("{}: control thread stopped; dropped a step", nodeId);
        }
    }

    /** Runs on the control thread; a failure (or a stopped thread) completes result exceptionally. */
    void runFor(CompletableFuture<?> result, Runnable r) {
        try {
            executor.execute(() -> {
                try {
                    r.run();
                } catch (RuntimeException e) {
                    result.completeExceptionally(e);
                }
            });
        } catch (RejectedExecutionException e) {
            result.completeExceptionally(new NotPrimaryException("this node is closed", null));
        }
    }

    /** Runs r now and every periodMillis after the previous run ended. */
    void every(long periodMillis, Runnable r) {
        executor.scheduleWithFixedDelay(r, 0, periodMillis, TimeUnit.MILLISECONDS);
    }

    /** Runs r on the control thread once, after delayMillis. */
    void after(long delayMillis, Runnable r) {
        try {
            executor.schedule(r, delayMillis, TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            log.debug("{}: control thread stopped; dropped a step", nodeId);
        }
    }

    /** Lets queued steps finish for a moment, then stops the thread. */
    void shutdown() {
        executor.shutdown();
        try {
            executor.awaitTermination(2, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        executor.shutdownNow();
    }

    static ThreadFactory named(String prefix) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, prefix + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }
}
