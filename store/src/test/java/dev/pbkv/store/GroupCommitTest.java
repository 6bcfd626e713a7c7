package dev.pbkv.store;

import static dev.pbkv.store.TestStores.b;
import static dev.pbkv.store.TestStores.config;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GroupCommitTest {
    @TempDir
    Path tmp;

    @Test
    void oneForceCoversManyRecordsAndEveryWriterSeesItsRecordDurable() throws Exception {
        int threads = 8;
        int perThread = 400;
        try (Store store = Store.open(config(tmp, FsyncPolicy.ALWAYS))) {
            List<LogRecord> heard = new ArrayList<>(); // the listener runs under the write lock
            store.setAppendListener(heard::add);
            ExecutorService pool = Executors.newFixedThreadPool(threads);
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int id = t;
                done.add(pool.submit(() -> {
                    for (int i = 0; i < perThread; i++) {
                        long offset = store.apply(Mutation.of(Op.PUT, b("t" + id + "-" + i), b("v" + i)))
                                .offset();
                        store.whenDurable(offset).get(30, TimeUnit.SECONDS);
                        assertThat(store.durableOffset()).isGreaterThanOrEqualTo(offset);
                    }
                    return null;
                }));
            }
            for (Future<?> f : done) {
                f.get(60, TimeUnit.SECONDS);
            }
            pool.shutdown();
            long records = (long) threads * perThread;
            assertThat(store.lastOffset()).isEqualTo(records);
            assertThat(store.durableOffset()).isEqualTo(records);
            assertThat(store.logForceCount()).isPositive().isLessThan(records);
            // The listener heard every record once, in offset order, and the log holds them in that order.
            assertThat(heard)
                    .extracting(LogRecord::offset)
                    .containsExactlyElementsOf(java.util.stream.LongStream.rangeClosed(1, records)
                            .boxed()
                            .toList());
            List<LogRecord> logged = store.readLog(0, (int) records);
            assertThat(logged).hasSize((int) records);
            for (int i = 0; i < records; i++) {
                assertThat(logged.get(i).key()).isEqualTo(heard.get(i).key());
            }
        }
    }

    @Test
    void alwaysPolicyCompletesAFutureOnlyAfterAForce() throws Exception {
        try (Store store = Store.open(config(tmp, FsyncPolicy.ALWAYS))) {
            long before = store.logForceCount();
            long offset = store.apply(Mutation.of(Op.PUT, b("k"), b("v"))).offset();
            store.whenDurable(offset).get(10, TimeUnit.SECONDS);
            assertThat(store.logForceCount()).isGreaterThan(before);
        }
    }

    @Test
    void noPolicyNeverForcesButCompletesOnceWritten() throws Exception {
        try (Store store = Store.open(config(tmp, FsyncPolicy.NO))) {
            List<CompletableFuture<Void>> futures = new ArrayList<>();
            for (int i = 0; i < 1000; i++) {
                futures.add(store.whenDurable(
                        store.apply(Mutation.of(Op.PUT, b("k" + i), b("v"))).offset()));
            }
            CompletableFuture.allOf(futures.toArray(CompletableFuture[]::new)).get(10, TimeUnit.SECONDS);
            assertThat(store.logForceCount()).isZero();
        }
    }

    @Test
    void everysecPolicyForcesInTheBackground() throws Exception {
        try (Store store = Store.open(config(tmp, FsyncPolicy.EVERYSEC))) {
            long offset = store.apply(Mutation.of(Op.PUT, b("k"), b("v"))).offset();
            store.whenDurable(offset).get(10, TimeUnit.SECONDS);
            await().atMost(5, TimeUnit.SECONDS).until(() -> store.logForceCount() > 0);
        }
    }

    @Test
    void writesThatChangeNothingAreNotLogged() throws Exception {
        try (Store store = Store.open(config(tmp, FsyncPolicy.ALWAYS))) {
            assertThat(store.apply(Mutation.of(Op.UPDATE, b("absent"), b("v"))).changed())
                    .isFalse();
            assertThat(store.apply(Mutation.delete(b("absent"))).changed()).isFalse();
            assertThat(store.apply(Mutation.of(Op.INSERT, b("k"), b("v"))).offset())
                    .isEqualTo(1);
            assertThat(store.apply(Mutation.of(Op.INSERT, b("k"), b("w"))).outcome())
                    .isEqualTo(WriteOutcome.PRESENT);
            assertThat(store.lastOffset()).isEqualTo(1);
        }
    }
}
