package dev.pbkv.store;

import static dev.pbkv.store.TestStores.b;
import static dev.pbkv.store.TestStores.config;
import static dev.pbkv.store.TestStores.contents;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SnapshotTest {
    @TempDir
    Path tmp;

    @Test
    void snapshotTakenWhileWritersRunRecoversToTheModel() throws Exception {
        int threads = 4;
        // Small snapshot threshold: automatic snapshots also start while the writers run.
        StoreConfig cfg = config(tmp, FsyncPolicy.NO, 64 << 10, 16 << 10);
        List<Map<String, String>> models = new ArrayList<>();
        try (Store store = Store.open(cfg)) {
            AtomicBoolean stop = new AtomicBoolean();
            ExecutorService pool = Executors.newFixedThreadPool(threads);
            List<Future<?>> futures = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                Map<String, String> model = new HashMap<>();
                models.add(model);
                int id = t;
                futures.add(pool.submit(() -> {
                    Random random = new Random(id);
                    for (int i = 0; i < 6000; i++) {
                        String key = "t" + id + "-" + random.nextInt(300);
                        if (random.nextInt(4) == 0) {
                            store.apply(Mutation.delete(b(key)));
                            model.remove(key);
                        } else {
                            String value = "v" + i + "-" + "y".repeat(random.nextInt(40));
                            store.apply(Mutation.of(Op.PUT, b(key), b(value)));
                            model.put(key, value);
                        }
                    }
                    return null;
                }));
            }
            List<Long> snapshots = new ArrayList<>();
            while (!futures.stream().allMatch(Future::isDone)) {
                snapshots.add(store.snapshotNow().get(30, TimeUnit.SECONDS));
            }
            for (Future<?> f : futures) {
                f.get();
            }
            pool.shutdown();
            stop.set(true);
            assertThat(snapshots).isNotEmpty();
        }
        Map<String, String> expected = new TreeMap<>();
        models.forEach(expected::putAll);
        try (Store store = Store.open(cfg)) {
            assertThat(store.lastOffset()).isEqualTo(threads * 6000L - deletesOfAbsentKeys(threads));
            assertThat(contents(store)).isEqualTo(expected);
        }
    }

    /** Deletes of absent keys change nothing and take no offset: count them by replaying the same random streams. */
    private static long deletesOfAbsentKeys(int threads) {
        long n = 0;
        for (int id = 0; id < threads; id++) {
            Random random = new Random(id);
            Map<String, Boolean> present = new HashMap<>();
            for (int i = 0; i < 6000; i++) {
                String key = "t" + id + "-" + random.nextInt(300);
                if (random.nextInt(4) == 0) {
                    if (present.remove(key) == null) {
                        n++;
                    }
                } else {
                    random.nextInt(40);
                    present.put(key, true);
                }
            }
        }
        return n;
    }

    @Test
    void snapshotTruncatesOldSegmentsAndKeepsTheRetainedTail() throws Exception {
        // 8 KiB retained tail, so 4 KiB segments; no automatic snapshot.
        StoreConfig cfg = config(tmp, FsyncPolicy.NO, 1L << 30, 8 << 10);
        Map<String, String> model = new HashMap<>();
        try (Store store = Store.open(cfg)) {
            for (int i = 0; i < 1000; i++) {
                TestStores.write(store, model, "key" + (i % 200), "value-" + i + "-" + "z".repeat(30));
            }
            store.whenDurable(1000).get(10, TimeUnit.SECONDS);
            int segmentsBefore = TestStores.segmentFiles(tmp).size();
            assertThat(segmentsBefore).isGreaterThan(10);
            assertThat(store.logBaseOffset()).isZero();

            long s = store.snapshotNow().get(30, TimeUnit.SECONDS);
            assertThat(s).isEqualTo(1000);
            long base = store.logBaseOffset();
            assertThat(base).isPositive().isLessThan(1000);
            assertThat(TestStores.segmentFiles(tmp).size())
                    .isLessThan(segmentsBefore)
                    .isGreaterThanOrEqualTo(2);
            assertThat(store.logBytes()).isGreaterThanOrEqualTo(8 << 10);

            assertThatThrownBy(() -> store.readLog(base - 1, 10)).isInstanceOf(TailNotRetainedException.class);
            List<LogRecord> tail = store.readLog(base, 10);
            assertThat(tail).hasSize(10);
            assertThat(tail.get(0).offset()).isEqualTo(base + 1);
            assertThat(store.readLog(990, 100))
                    .extracting(LogRecord::offset)
                    .containsExactly(991L, 992L, 993L, 994L, 995L, 996L, 997L, 998L, 999L, 1000L);
            assertThat(store.epochAt(base)).isZero();
            // Every starting point in the retained log, across segment boundaries and index points.
            for (long after = base; after < 1000; after++) {
                List<LogRecord> got = store.readLog(after, 7);
                assertThat(got).hasSize((int) Math.min(7, 1000 - after));
                for (int i = 0; i < got.size(); i++) {
                    long offset = after + 1 + i;
                    assertThat(got.get(i).offset()).isEqualTo(offset);
                    assertThat(TestStores.s(got.get(i).key())).isEqualTo("key" + ((offset - 1) % 200));
                }
            }
            assertThatThrownBy(() -> store.epochAt(base - 1)).isInstanceOf(TailNotRetainedException.class);
        }
        try (Store store = Store.open(cfg)) {
            assertThat(contents(store)).isEqualTo(new TreeMap<>(model));
            assertThat(store.lastOffset()).isEqualTo(1000);
        }
    }

    @Test
    void logPastTheThresholdStartsASnapshotByItself() throws Exception {
        StoreConfig cfg = config(tmp, FsyncPolicy.NO, 16 << 10, 0);
        try (Store store = Store.open(cfg)) {
            for (int i = 0; i < 2000; i++) {
                store.apply(Mutation.of(Op.PUT, b("key" + (i % 50)), b("value-" + i)));
            }
            await().atMost(20, TimeUnit.SECONDS)
                    .until(() -> !TestStores.snapshotFiles(tmp).isEmpty());
            await().atMost(20, TimeUnit.SECONDS).until(() -> store.logBaseOffset() > 0);
        }
    }

    @Test
    void openTransferHandleKeepsTheLogAfterItsOffset() throws Exception {
        StoreConfig cfg = config(tmp, FsyncPolicy.NO, 1L << 30, 4096);
        try (Store store = Store.open(cfg)) {
            for (int i = 0; i < 300; i++) {
                store.apply(Mutation.of(Op.PUT, b("key" + i), b("value-" + "q".repeat(40))));
            }
            try (SnapshotHandle handle = store.snapshotForTransfer()) {
                assertThat(handle.offset()).isEqualTo(300);
                for (int i = 0; i < 600; i++) {
                    store.apply(Mutation.of(Op.PUT, b("more" + i), b("value-" + "q".repeat(40))));
                }
                store.snapshotNow().get(30, TimeUnit.SECONDS);
                store.snapshotNow().get(30, TimeUnit.SECONDS);
                assertThat(store.logBaseOffset()).isLessThanOrEqualTo(300);
                assertThat(store.readLog(300, 1).get(0).offset()).isEqualTo(301);
                assertThat(handle.openStream().readAllBytes()).hasSize((int) handle.sizeBytes());
            }
            store.snapshotNow().get(30, TimeUnit.SECONDS);
            assertThat(store.logBaseOffset()).isGreaterThan(300);
        }
    }

    @Test
    void tailReaderGetsExactlyTheAppendedRecordsWhileSegmentsRollAndSnapshotsDropThem() throws Exception {
        // 8 KiB segments, a snapshot every 32 KiB of log, 64 KiB retained.
        StoreConfig cfg = config(tmp, FsyncPolicy.NO, 32 << 10, 64 << 10);
        try (Store store = Store.open(cfg)) {
            java.util.concurrent.ConcurrentHashMap<Long, LogRecord> appended =
                    new java.util.concurrent.ConcurrentHashMap<>();
            store.setAppendListener(rec -> appended.put(rec.offset(), rec));
            ExecutorService pool = Executors.newFixedThreadPool(2);
            List<Future<?>> writers = new ArrayList<>();
            for (int t = 0; t < 2; t++) {
                int id = t;
                writers.add(pool.submit(() -> {
                    for (int i = 0; i < 4000; i++) {
                        store.apply(Mutation.of(
                                Op.PUT, b("w" + id + "-" + (i % 500)), b("value-" + i + "-" + "r".repeat(i % 50))));
                    }
                    return null;
                }));
            }
            long after = 0;
            long read = 0;
            long skipped = 0;
            while (true) {
                boolean writersDone = writers.stream().allMatch(Future::isDone);
                long last = store.lastOffset();
                if (writersDone && after == last) {
                    break;
                }
                List<LogRecord> batch;
                try {
                    batch = store.readLog(after, 500);
                } catch (TailNotRetainedException e) {
                    // Fell behind the retained tail (a peer would now need a snapshot): go on from the base.
                    assertThat(store.logBaseOffset()).isGreaterThan(after);
                    after = store.logBaseOffset();
                    skipped++;
                    continue;
                }
                for (LogRecord rec : batch) {
                    assertThat(rec.offset()).isEqualTo(after + 1);
                    LogRecord expected;
                    while ((expected = appended.get(rec.offset())) == null) {
                        Thread.onSpinWait(); // the listener runs just after the record is queued
                    }
                    assertThat(rec.key()).isEqualTo(expected.key());
                    assertThat(rec.value()).isEqualTo(expected.value());
                    assertThat(rec.epoch()).isEqualTo(expected.epoch());
                    after = rec.offset();
                    read++;
                }
            }
            for (Future<?> f : writers) {
                f.get();
            }
            pool.shutdown();
            assertThat(read).isPositive();
            assertThat(after).isEqualTo(8000);
            store.snapshotNow().get(30, TimeUnit.SECONDS);
            assertThat(store.logBaseOffset()).isPositive();
            assertThatThrownBy(() -> store.readLog(0, 1)).isInstanceOf(TailNotRetainedException.class);
        }
    }
}
