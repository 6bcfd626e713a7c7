package dev.pbkv.server.watch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.pbkv.client.PbkvClient;
import dev.pbkv.testkit.NodeProcess;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The cost of watchers on the write path, as a same-run ratio: write throughput of a pair with no
 * watcher, with 100 watchers of every key, and with none again. A measurement, not a check: it
 * runs only with -Dpbkv.watch.bench=true and prints its figures (docs/watch.md).
 */
class WatchOverheadIT {
    static final int WRITERS = 4;
    static final int WRITES_PER_WRITER = 1000;

    @TempDir
    Path dir;

    @Test
    void writesWithAHundredWatchersAgainstNone() throws Exception {
        assumeTrue(Boolean.getBoolean("pbkv.watch.bench"), "a measurement: -Dpbkv.watch.bench=true");
        try (NodeProcess.Pair pair = NodeProcess.pair(dir).start();
                PbkvClient client = WatchIT.client(pair);
                PbkvClient watchClient = WatchIT.client(pair)) {
            WatchIT.awaitSync(pair);
            ExecutorService pool = Executors.newFixedThreadPool(WRITERS);
            try {
                writesPerSecond(client, pool, "warm"); // JIT and connections
                double none = writesPerSecond(client, pool, "a");
                List<WatchIT.Collector> watchers = new ArrayList<>();
                for (int i = 0; i < 100; i++) {
                    watchers.add(new WatchIT.Collector(watchClient.watchPrefix(new byte[0], 0)));
                }
                await().until(() -> watchers.stream().allMatch(w -> w.watch.resumeOffset() > 0));
                double hundred = writesPerSecond(client, pool, "b");
                int expected = WRITERS * WRITES_PER_WRITER;
                await().atMost(java.time.Duration.ofMinutes(2))
                        .until(() -> watchers.stream().allMatch(w -> w.seen.size() >= expected));
                for (WatchIT.Collector w : watchers) {
                    w.close();
                }
                double noneAgain = writesPerSecond(client, pool, "c");
                System.out.printf(
                        "watch overhead: writes/s none %.0f, 100 watchers %.0f, none again %.0f; ratio %.2f%n",
                        none, hundred, noneAgain, hundred / ((none + noneAgain) / 2));
                assertThat(hundred).isPositive();
            } finally {
                pool.shutdownNow();
                pool.awaitTermination(30, TimeUnit.SECONDS);
            }
        }
    }

    private static double writesPerSecond(PbkvClient client, ExecutorService pool, String round) throws Exception {
        long start = System.nanoTime();
        List<Future<?>> done = new ArrayList<>();
        for (int w = 0; w < WRITERS; w++) {
            String prefix = round + "/" + w + "/";
            done.add(pool.submit(() -> {
                for (int i = 0; i < WRITES_PER_WRITER; i++) {
                    client.put(prefix + (i % 100), "value-" + i);
                }
            }));
        }
        for (Future<?> f : done) {
            f.get();
        }
        return WRITERS * WRITES_PER_WRITER / ((System.nanoTime() - start) / 1e9);
    }
}
