package dev.pbkv.store.map;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pbkv.store.WriteOutcome;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/**
 * Many threads on one map. Private key ranges must end exactly as a sequential model of each
 * thread says; shared keys must end in a state some serial order explains, and readers must never
 * see a torn value or a thread's writes out of that thread's order.
 */
class ConcurrentBucketedMapTest {
    private static final int THREADS = 4;
    private static final int OPS = 150_000;

    private static byte[] key(String range, int i) {
        return (range + ":" + i).getBytes(java.nio.charset.StandardCharsets.UTF_8);
    }

    /** value = [writer thread, sequence, then filler of length depending on sequence]; self-checking. */
    private static byte[] value(int thread, int seq) {
        int fill = (seq * 7) % 300;
        ByteBuffer buf =
                ByteBuffer.allocate(12 + fill).putInt(thread).putInt(seq).putInt(fill);
        for (int i = 0; i < fill; i++) {
            buf.put((byte) (thread + seq + i));
        }
        return buf.array();
    }

    private static void assertIntact(byte[] v) {
        ByteBuffer buf = ByteBuffer.wrap(v);
        int thread = buf.getInt();
        int seq = buf.getInt();
        int fill = buf.getInt();
        assertThat(v).hasSize(12 + fill);
        for (int i = 0; i < fill; i++) {
            assertThat(buf.get()).isEqualTo((byte) (thread + seq + i));
        }
    }

    private static <T> List<T> runAll(List<Callable<T>> tasks) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(tasks.size(), r -> new Thread(r, "map-hammer"));
        try {
            List<Future<T>> futures = new ArrayList<>();
            for (Callable<T> t : tasks) {
                futures.add(pool.submit(t));
            }
            List<T> results = new ArrayList<>();
            for (Future<T> f : futures) {
                results.add(f.get(60, TimeUnit.SECONDS));
            }
            return results;
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void privateRangesMatchEachThreadsSequentialModelAndSharedKeysEndInASerialState() throws Exception {
        try (BucketedMap map = new BucketedMap(new MapConfig(8, 64L << 20), 256 << 10)) {
            int sharedKeys = 64;
            CyclicBarrier start = new CyclicBarrier(THREADS + 1);
            // lastShared[t][k]: sequence of thread t's last put to shared key k (-1 none).
            int[][] lastShared = new int[THREADS][sharedKeys];
            List<Callable<Map<Integer, byte[]>>> tasks = new ArrayList<>();
            for (int t = 0; t < THREADS; t++) {
                int me = t;
                tasks.add(() -> {
                    java.util.Arrays.fill(lastShared[me], -1);
                    Map<Integer, byte[]> model = new HashMap<>();
                    SplittableRandom rnd = new SplittableRandom(me);
                    start.await();
                    for (int seq = 0; seq < OPS; seq++) {
                        int k = rnd.nextInt(2000);
                        byte[] key = key("private" + me, k);
                        byte[] v = value(me, seq);
                        switch (rnd.nextInt(8)) {
                            case 0 ->
                                assertThat(map.insert(key, v, seq))
                                        .isEqualTo(
                                                model.putIfAbsent(k, v) == null
                                                        ? WriteOutcome.CREATED
                                                        : WriteOutcome.PRESENT);
                            case 1 ->
                                assertThat(map.update(key, v, seq))
                                        .isEqualTo(
                                                model.replace(k, v) != null
                                                        ? WriteOutcome.REPLACED
                                                        : WriteOutcome.ABSENT);
                            case 2 ->
                                assertThat(map.put(key, v, seq))
                                        .isEqualTo(
                                                model.put(k, v) != null ? WriteOutcome.REPLACED : WriteOutcome.CREATED);
                            case 3 ->
                                assertThat(map.delete(key, seq))
                                        .isEqualTo(
                                                model.remove(k) != null ? WriteOutcome.DELETED : WriteOutcome.ABSENT);
                            case 4 -> {
                                int s = rnd.nextInt(sharedKeys);
                                assertThat(map.put(key("shared", s), v, seq))
                                        .isIn(WriteOutcome.CREATED, WriteOutcome.REPLACED);
                                lastShared[me][s] = seq;
                            }
                            case 5 -> {
                                byte[] seen = map.get(key("shared", rnd.nextInt(sharedKeys)));
                                if (seen != null) {
                                    assertIntact(seen);
                                }
                            }
                            default -> assertThat(map.get(key)).isEqualTo(model.get(k));
                        }
                    }
                    return model;
                });
            }
            Thread opener = new Thread(() -> {
                try {
                    start.await();
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            opener.start();
            List<Map<Integer, byte[]>> models = runAll(tasks);
            opener.join();

            long expectedCount = 0;
            for (int t = 0; t < THREADS; t++) {
                Map<Integer, byte[]> model = models.get(t);
                for (int k = 0; k < 2000; k++) {
                    assertThat(map.get(key("private" + t, k)))
                            .as("thread %d key %d", t, k)
                            .isEqualTo(model.get(k));
                }
                expectedCount += model.size();
            }
            for (int s = 0; s < sharedKeys; s++) {
                byte[] v = map.get(key("shared", s));
                boolean anyWrote = false;
                for (int t = 0; t < THREADS; t++) {
                    anyWrote |= lastShared[t][s] >= 0;
                }
                if (!anyWrote) {
                    assertThat(v).isNull();
                    continue;
                }
                expectedCount++;
                assertIntact(v);
                ByteBuffer buf = ByteBuffer.wrap(v);
                int writer = buf.getInt();
                int seq = buf.getInt();
                // In any serial order the final value is the last put of the thread that wrote last.
                assertThat(seq).as("shared key %d", s).isEqualTo(lastShared[writer][s]);
            }
            assertThat(map.count()).isEqualTo(expectedCount);
            long visited = 0;
            for (int b = 0; b < map.bucketCount(); b++) {
                long[] n = {0};
                map.forEachInBucket(b, (k, v, off) -> n[0]++);
                visited += n[0];
            }
            assertThat(visited).isEqualTo(expectedCount);
        }
    }

    /** A reader must see each writer's puts to one key in that writer's order (never older after newer). */
    @Test
    void readersNeverSeeAWritersValuesGoBackwards() throws Exception {
        try (BucketedMap map = new BucketedMap(new MapConfig(2, 16L << 20), 64 << 10)) {
            int keys = 8;
            AtomicBoolean writing = new AtomicBoolean(true);
            List<Callable<Integer>> tasks = new ArrayList<>();
            for (int w = 0; w < 2; w++) {
                int me = w;
                tasks.add(() -> {
                    for (int seq = 0; seq < 200_000; seq++) {
                        map.put(key("k", seq % keys), value(me, seq), seq);
                        // Grow and shrink the bucket tables too, so readers race probes and shifts.
                        byte[] churn = key("churn" + me, seq % 500);
                        if (seq % 2 == 0) {
                            map.put(churn, value(me, seq), seq);
                        } else {
                            map.delete(churn, seq);
                        }
                    }
                    return 0;
                });
            }
            for (int r = 0; r < 2; r++) {
                tasks.add(() -> {
                    int[][] lastSeen = new int[2][keys];
                    int reads = 0;
                    while (writing.get() || reads < 1000) {
                        int k = reads % keys;
                        Lookup l = map.lookup(key("k", k));
                        reads++;
                        if (!l.found()) {
                            continue;
                        }
                        assertIntact(l.value());
                        ByteBuffer buf = ByteBuffer.wrap(l.value());
                        int writer = buf.getInt();
                        int seq = buf.getInt();
                        assertThat(l.offset()).isEqualTo(seq);
                        assertThat(seq).isGreaterThanOrEqualTo(lastSeen[writer][k]);
                        lastSeen[writer][k] = seq;
                    }
                    return reads;
                });
            }
            ExecutorService pool = Executors.newFixedThreadPool(tasks.size(), r -> new Thread(r, "map-order"));
            try {
                List<Future<Integer>> fs = new ArrayList<>();
                for (Callable<Integer> t : tasks) {
                    fs.add(pool.submit(t));
                }
                fs.get(0).get(60, TimeUnit.SECONDS);
                fs.get(1).get(60, TimeUnit.SECONDS);
                writing.set(false);
                assertThat(fs.get(2).get(60, TimeUnit.SECONDS)).isGreaterThan(0);
                assertThat(fs.get(3).get(60, TimeUnit.SECONDS)).isGreaterThan(0);
            } finally {
                pool.shutdownNow();
            }
        }
    }

    /** Two keys of one bucket are never present together; a consistent bucket iteration never sees both. */
    @Test
    void bucketIterationSeesOneInstantOfItsBucket() throws Exception {
        try (BucketedMap map = new BucketedMap(new MapConfig(4, 8L << 20), 64 << 10)) {
            byte[] a = key("pair", 0);
            byte[] b = null;
            for (int i = 1; b == null; i++) {
                if (map.bucketOf(key("pair", i)) == map.bucketOf(a)) {
                    b = key("pair", i);
                }
            }
            byte[] other = b;
            for (int i = 0; i < 200; i++) {
                map.put(key("filler", i), new byte[20], 0);
            }
            AtomicBoolean running = new AtomicBoolean(true);
            Callable<Integer> flipper = () -> {
                int flips = 0;
                while (running.get()) {
                    map.insert(a, new byte[] {1}, flips);
                    map.delete(a, flips);
                    map.insert(other, new byte[] {2}, flips);
                    map.delete(other, flips);
                    flips++;
                }
                return flips;
            };
            Callable<Integer> iterator = () -> {
                int both = 0;
                for (int round = 0; round < 3000; round++) {
                    int[] seen = {0};
                    map.forEachInBucket(map.bucketOf(a), (k, v, off) -> {
                        if (java.util.Arrays.equals(k, a) || java.util.Arrays.equals(k, other)) {
                            seen[0]++;
                        }
                    });
                    if (seen[0] > 1) {
                        both++;
                    }
                }
                running.set(false);
                return both;
            };
            List<Integer> results = runAll(List.of(flipper, iterator));
            assertThat(results.get(0)).isPositive();
            assertThat(results.get(1)).isZero();
        }
    }

    @Test
    void keysSpreadEvenlyOverBuckets() {
        try (BucketedMap map = new BucketedMap(new MapConfig(32, 1L << 20), 64 << 10)) {
            int[] perBucket = new int[32];
            for (int i = 0; i < 32_000; i++) {
                perBucket[map.bucketOf(key("spread", i))]++;
            }
            assertThat(java.util.Arrays.stream(perBucket).min().orElseThrow()).isGreaterThanOrEqualTo(800);
            assertThat(java.util.Arrays.stream(perBucket).max().orElseThrow()).isLessThanOrEqualTo(1200);
        }
    }
}
