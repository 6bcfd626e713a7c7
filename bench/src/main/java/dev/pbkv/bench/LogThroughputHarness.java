package dev.pbkv.bench;

import dev.pbkv.store.FsyncPolicy;
import dev.pbkv.store.Mutation;
import dev.pbkv.store.Op;
import dev.pbkv.store.Store;
import dev.pbkv.store.StoreConfig;
import dev.pbkv.store.map.MapConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

/**
 * A plain timing harness (not a test): durable writes per second for each fsync policy, with
 * writer threads that each keep a window of writes waiting for whenDurable (as a node with many
 * clients does). {@code bin/bench log} runs it from the benchmarks jar:
 * {@code java -cp bench/target/pbkv-benchmarks.jar dev.pbkv.bench.LogThroughputHarness
 * [seconds] [threads] [window] [rounds]}.
 */
public final class LogThroughputHarness {
    private LogThroughputHarness() {}

    /** 16-byte keys, 100,000 per writer thread, built before any clock starts. */
    private static byte[][][] KEYS;

    public static void main(String[] args) throws Exception {
        int seconds = args.length > 0 ? Integer.parseInt(args[0]) : 5;
        int threads = args.length > 1 ? Integer.parseInt(args[1]) : 2;
        int window = args.length > 2 ? Integer.parseInt(args[2]) : 256;
        KEYS = new byte[threads][100_000][];
        for (int t = 0; t < threads; t++) {
            for (int k = 0; k < 100_000; k++) {
                KEYS[t][k] = String.format("k%02d-%012d", t, k).getBytes();
            }
        }
        int rounds = args.length > 3 ? Integer.parseInt(args[3]) : 3;
        FsyncPolicy[] policies = {FsyncPolicy.NO, FsyncPolicy.ALWAYS, FsyncPolicy.EVERYSEC};
        System.out.println("warm-up (not counted):");
        for (FsyncPolicy p : policies) {
            run(p, seconds, threads, window);
        }
        System.out.println("measured:");
        double[][] rates = new double[policies.length][rounds];
        // Rounds alternate the policies so a noisy neighbour hurts them alike; medians are reported.
        for (int r = 0; r < rounds; r++) {
            for (int p = 0; p < policies.length; p++) {
                rates[p][r] = run(policies[p], seconds, threads, window);
            }
        }
        double baseline = median(rates[0]);
        for (int p = 0; p < policies.length; p++) {
            double rate = median(rates[p]);
            System.out.printf(
                    "fsync=%-8s median %,12.0f durable writes/s  (%.2fx of fsync=no)%n",
                    policies[p], rate, rate / baseline);
        }
    }

    private static double median(double[] values) {
        double[] sorted = values.clone();
        java.util.Arrays.sort(sorted);
        return sorted[sorted.length / 2];
    }

    private static double run(FsyncPolicy policy, int seconds, int threads, int window) throws Exception {
        Path dir = Files.createTempDirectory("pbkv-log-harness");
        AtomicLong done = new AtomicLong();
        long forces;
        double rate;
        try (Store store =
                Store.open(new StoreConfig(dir, new MapConfig(32, 512L << 20), policy, 1L << 40, 64L << 20))) {
            long end = System.nanoTime() + seconds * 1_000_000_000L;
            Thread[] writers = new Thread[threads];
            for (int t = 0; t < threads; t++) {
                int id = t;
                writers[t] = new Thread(
                        () -> {
                            Semaphore inFlight = new Semaphore(window);
                            byte[] value = new byte[100];
                            byte[][] keys = KEYS[id];
                            int i = 0;
                            while (System.nanoTime() < end) {
                                inFlight.acquireUninterruptibly();
                                byte[] key = keys[i++ % keys.length];
                                long offset = store.apply(Mutation.of(Op.PUT, key, value))
                                        .offset();
                                store.whenDurable(offset).thenRun(() -> {
                                    done.incrementAndGet();
                                    inFlight.release();
                                });
                            }
                            inFlight.acquireUninterruptibly(window);
                        },
                        "harness-writer-" + t);
                writers[t].start();
            }
            long start = System.nanoTime();
            for (Thread w : writers) {
                w.join();
            }
            rate = done.get() / ((System.nanoTime() - start) / 1e9);
            forces = store.logForceCount();
            System.out.printf(
                    "  %s: %,d records, %,d forces (%.0f records per force)%n",
                    policy, done.get(), forces, forces == 0 ? 0.0 : (double) done.get() / forces);
        }
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
        return rate;
    }
}
