package dev.pbkv.store;

import static dev.pbkv.store.TestStores.b;
import static dev.pbkv.store.TestStores.config;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.pbkv.store.log.SegmentChannelFactory;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The store tells its durable listener how far the log is durable once per batch; the primary's
 * commit rule follows it instead of a future per record, so it must never run ahead of the disk,
 * must reach every record, and must not outlive a cut of the log.
 */
class DurableListenerTest {
    @TempDir
    Path tmp;

    /** Records what it was told; optionally blocks in durableThrough until released. */
    private static final class Recorder implements DurableListener {
        final ConcurrentLinkedQueue<Long> offsets = new ConcurrentLinkedQueue<>();
        final AtomicReference<IOException> failure = new AtomicReference<>();
        volatile long failedAt = -1;
        volatile CountDownLatch block;
        final CountDownLatch blocked = new CountDownLatch(1);
        Store store;
        /** Offsets told while the store said it was durable only below them. */
        final ConcurrentLinkedQueue<String> early = new ConcurrentLinkedQueue<>();

        @Override
        public void durableThrough(long offset) {
            if (store != null && store.durableOffset() < offset) {
                early.add(offset + " told at durable " + store.durableOffset());
            }
            offsets.add(offset);
            CountDownLatch b = block;
            if (b != null) {
                blocked.countDown();
                try {
                    b.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }

        @Override
        public void failed(long durableOffset, IOException error) {
            failedAt = durableOffset;
            failure.set(error);
        }

        long last() {
            long last = 0;
            for (long o : offsets) {
                last = o;
            }
            return last;
        }
    }

    @Test
    void toldOncePerBatchInOrderThroughTheLastRecord() throws Exception {
        int threads = 8;
        int perThread = 500;
        try (Store store = Store.open(config(tmp, FsyncPolicy.ALWAYS))) {
            Recorder heard = new Recorder();
            heard.store = store;
            store.setDurableListener(heard);
            ExecutorService pool = Executors.newFixedThreadPool(threads);
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int id = t;
                done.add(pool.submit(() -> {
                    for (int i = 0; i < perThread; i++) {
                        store.apply(Mutation.of(Op.PUT, b("t" + id + "-" + i), b("v")));
                    }
                    return null;
                }));
            }
            for (Future<?> f : done) {
                f.get(60, TimeUnit.SECONDS);
            }
            pool.shutdown();
            long records = (long) threads * perThread;
            await().atMost(Duration.ofSeconds(30)).until(() -> heard.last() == records);
            List<Long> told = new ArrayList<>(heard.offsets);
            assertThat(told).isSorted().doesNotHaveDuplicates();
            assertThat(told.size()).as("one notice per batch, not per record").isLessThan((int) records);
            assertThat(heard.early).isEmpty();
        }
    }

    @Test
    void neverToldAboveWhatIsForcedUnderFsyncAlways() throws Exception {
        GatedForceChannel.Gate gate = new GatedForceChannel.Gate();
        SegmentChannelFactory channels = GatedForceChannel.segments(gate);
        try (Store store = Store.open(config(tmp, FsyncPolicy.ALWAYS), channels)) {
            Recorder heard = new Recorder();
            store.setDurableListener(heard);
            long first = store.apply(Mutation.of(Op.PUT, b("a"), b("1"))).offset();
            await().atMost(Duration.ofSeconds(10)).until(() -> heard.last() == first);
            gate.closed.set(true);
            long held;
            try {
                held = store.apply(Mutation.of(Op.PUT, b("b"), b("2"))).offset();
                assertThat(gate.entered.await(10, TimeUnit.SECONDS))
                        .as("the log forces")
                        .isTrue();
                assertThat(heard.last()).as("written, not forced: not told").isEqualTo(first);
                assertThat(store.durableOffset()).isEqualTo(first);
            } finally {
                gate.closed.set(false);
                gate.release.countDown();
            }
            await().atMost(Duration.ofSeconds(10)).until(() -> heard.last() == held);
        }
    }

    /**
     * A cut of the log (a backup's divergent tail) drains the log first; no notice from before it
     * may arrive after it, or a later term would take the cut records for durable. The cut waits
     * while the listener is still being told.
     */
    @Test
    void aCutOfTheLogWaitsUntilTheListenerWasTold() throws Exception {
        try (Store store = Store.open(config(tmp, FsyncPolicy.NO))) {
            Recorder heard = new Recorder();
            store.setDurableListener(heard);
            for (int i = 1; i <= 5; i++) {
                store.apply(Mutation.of(Op.PUT, b("k" + i), b("v")));
            }
            await().atMost(Duration.ofSeconds(10)).until(() -> heard.last() == 5);
            CountDownLatch release = new CountDownLatch(1);
            heard.block = release;
            store.apply(Mutation.of(Op.PUT, b("k6"), b("v")));
            assertThat(heard.blocked.await(10, TimeUnit.SECONDS)).isTrue();
            CompletableFuture<Long> cut = CompletableFuture.supplyAsync(() -> {
                try {
                    return store.truncateAfter(3);
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            await().during(Duration.ofMillis(300)).atMost(Duration.ofSeconds(5)).until(() -> !cut.isDone());
            heard.block = null;
            release.countDown();
            assertThat(cut.get(10, TimeUnit.SECONDS)).isEqualTo(3);
            assertThat(store.durableOffset()).isEqualTo(3);
            // Told from the cut on: the next record is 4 again.
            store.apply(Mutation.of(Op.PUT, b("again"), b("v")));
            await().atMost(Duration.ofSeconds(10)).until(() -> heard.last() == 4);
        }
    }

    /** Under fsync always, a failed force: the listener hears how far the log is durable, no further. */
    @Test
    void aFailedLogTellsHowFarItIsDurable() throws Exception {
        GatedForceChannel.Gate gate = new GatedForceChannel.Gate();
        SegmentChannelFactory channels = GatedForceChannel.segments(gate);
        try (Store store = Store.open(config(tmp, FsyncPolicy.ALWAYS), channels)) {
            Recorder heard = new Recorder();
            store.setDurableListener(heard);
            long first = store.apply(Mutation.of(Op.PUT, b("kept"), b("1"))).offset();
            await().atMost(Duration.ofSeconds(10)).until(() -> heard.last() == first);
            gate.failing.set(true);
            long lost = store.apply(Mutation.of(Op.PUT, b("lost"), b("2"))).offset();
            CompletableFuture<Void> lostDurable = store.whenDurable(lost);
            await().atMost(Duration.ofSeconds(10)).until(() -> heard.failure.get() != null);
            assertThat(heard.failure.get()).hasMessageContaining("injected force failure");
            // The force failed: nothing after the first record is durable, and nothing above it is told.
            assertThat(heard.failedAt).isEqualTo(first).isEqualTo(store.durableOffset());
            assertThat(heard.last()).isEqualTo(first);
            // A second force after a failed one proves nothing (the failed fsync may have dropped
            // the pages): the record whose force failed is never reported durable. It was.
            await().atMost(Duration.ofSeconds(10)).until(lostDurable::isDone);
            assertThat(lostDurable).isCompletedExceptionally();
            gate.failing.set(false);
        }
    }
}
