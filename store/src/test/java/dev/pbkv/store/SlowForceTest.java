package dev.pbkv.store;

import static dev.pbkv.store.TestStores.b;
import static dev.pbkv.store.TestStores.config;
import static dev.pbkv.store.TestStores.contents;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.pbkv.store.log.SegmentChannelFactory;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A force of the log that takes long (a snapshot's barrier forcing everything fsync no left to
 * the OS, on a slow disk) must not hold up writes: under fsync no a write is answered once the log
 * thread has written it, and the log thread must not wait for another thread's force. It did:
 * appends took the lock force() held across the fsync, and every write stalled behind the
 * snapshot's (36-100 ms on this machine's disk at 50,000 ops/s, docs/performance.md).
 */
class SlowForceTest {
    @TempDir
    Path tmp;

    @Test
    void writesUnderFsyncNoAreWrittenWhileASnapshotForcesTheLog() throws Exception {
        GatedForceChannel.Gate gate = new GatedForceChannel.Gate();
        SegmentChannelFactory channels = GatedForceChannel.segments(gate);
        try (Store store = Store.open(config(tmp, FsyncPolicy.NO), channels)) {
            for (int i = 0; i < 100; i++) {
                long offset =
                        store.apply(Mutation.of(Op.PUT, b("k" + i), b("v" + i))).offset();
                store.whenDurable(offset).get(10, TimeUnit.SECONDS);
            }
            gate.closed.set(true);
            CompletableFuture<Long> snapshot = store.snapshotNow();
            try {
                assertThat(gate.entered.await(10, TimeUnit.SECONDS))
                        .as("the snapshot forces the log")
                        .isTrue();

                long offset = store.apply(Mutation.of(Op.PUT, b("during"), b("the force")))
                        .offset();
                CompletableFuture<Void> written = store.whenDurable(offset);
                await().atMost(Duration.ofSeconds(10)).until(written::isDone);
                assertThat(written).isCompleted();
                assertThat(snapshot).as("the force is still blocked").isNotDone();
            } finally {
                // Before the store closes: its close forces the log too.
                gate.closed.set(false);
                gate.release.countDown();
            }
            assertThat(snapshot.get(10, TimeUnit.SECONDS)).isGreaterThanOrEqualTo(100L);
            assertThat(contents(store)).containsEntry("during", "the force").hasSize(101);
        }
    }

    /**
     * Under EVERYSEC the once-a-second force runs beside the log thread, as Redis's does: a write
     * is written while that force is held up. (It ran on the log thread, and writes queued behind
     * it for its length.)
     */
    @Test
    void writesUnderEverysecAreWrittenWhileTheSecondsForceRuns() throws Exception {
        GatedForceChannel.Gate gate = new GatedForceChannel.Gate();
        SegmentChannelFactory channels = GatedForceChannel.segments(gate);
        try (Store store = Store.open(config(tmp, FsyncPolicy.EVERYSEC), channels)) {
            gate.closed.set(true);
            try {
                long first =
                        store.apply(Mutation.of(Op.PUT, b("first"), b("1"))).offset();
                store.whenDurable(first).get(10, TimeUnit.SECONDS);
                assertThat(gate.entered.await(10, TimeUnit.SECONDS))
                        .as("the force about a second after the first write")
                        .isTrue();

                long offset = store.apply(Mutation.of(Op.PUT, b("during"), b("the force")))
                        .offset();
                CompletableFuture<Void> written = store.whenDurable(offset);
                await().atMost(Duration.ofSeconds(10)).until(written::isDone);
                assertThat(written).isCompleted();
                assertThat(gate.release.getCount())
                        .as("the force is still blocked")
                        .isOne();
            } finally {
                gate.closed.set(false);
                gate.release.countDown();
            }
            // Forced in a later second, and the log goes on.
            long forcesBefore = store.logForceCount();
            long after = store.apply(Mutation.of(Op.PUT, b("after"), b("2"))).offset();
            store.whenDurable(after).get(10, TimeUnit.SECONDS);
            await().atMost(Duration.ofSeconds(10)).until(() -> store.logForceCount() > forcesBefore);
            assertThat(store.logFailure()).isEmpty();
        }
    }

    /** A failed background force fails the log as a failed write does: later writes are refused. */
    @Test
    void aFailedForceUnderEverysecFailsTheLog() throws Exception {
        GatedForceChannel.Gate gate = new GatedForceChannel.Gate();
        SegmentChannelFactory channels = GatedForceChannel.segments(gate);
        try (Store store = Store.open(config(tmp, FsyncPolicy.EVERYSEC), channels)) {
            gate.failing.set(true);
            long offset = store.apply(Mutation.of(Op.PUT, b("k"), b("v"))).offset();
            store.whenDurable(offset).get(10, TimeUnit.SECONDS);
            await().atMost(Duration.ofSeconds(10))
                    .until(() -> store.logFailure().isPresent());
            assertThat(store.logFailure().get()).hasMessageContaining("injected force failure");
            assertThatThrownBy(() -> store.apply(Mutation.of(Op.PUT, b("later"), b("v"))))
                    .isInstanceOf(UncheckedIOException.class)
                    .hasMessageContaining("the log cannot be written");
            assertThat(contents(store)).containsOnlyKeys("k");
            gate.failing.set(false);
        }
    }
}
