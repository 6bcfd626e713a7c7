package dev.pbkv.server.pair;

import static dev.pbkv.server.pair.PairFailoverIT.STATE_WAIT;
import static dev.pbkv.server.pair.PairFailoverIT.awaitSync;
import static dev.pbkv.server.pair.PairFailoverIT.client;
import static dev.pbkv.server.pair.PairFailoverIT.pair;
import static org.assertj.core.api.Assertions.assertThat;

import dev.pbkv.client.PbkvAsyncClient;
import dev.pbkv.client.PbkvClient;
import dev.pbkv.client.WriteResult;
import dev.pbkv.proto.NodeState;
import dev.pbkv.proto.Role;
import dev.pbkv.testkit.NodeProcess;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A backup that comes back behind: by tail, by snapshot then tail, and with many keys under load. */
class PairCatchUpIT {
    static final String VALUE = "x".repeat(100);

    @TempDir
    Path dir;

    @Test
    void restartedBackupCatchesUpByTheTail() {
        try (NodeProcess.Pair pair = pair(dir).start();
                PbkvClient client = client(pair, Duration.ofSeconds(20))) {
            awaitSync(pair.primary(), pair.backup());
            for (int i = 0; i < 300; i++) {
                client.put("before/" + i, VALUE);
            }
            pair.backup().kill();
            for (int i = 0; i < 1000; i++) {
                client.put("missed/" + i, VALUE);
            }
            client.delete("before/7");
            pair.backup().start();
            awaitSync(pair.primary(), pair.backup());
            assertThat(pair.backup().dump()).isEqualTo(pair.primary().dump()).hasSize(1299);
            assertThat(pair.primary().logContains("sent a snapshot"))
                    .as("no snapshot needed")
                    .isFalse();
            assertThat(pair.backup().logContains("installing a snapshot")).isFalse();
        }
    }

    @Test
    void withATinyRetainedLogTheBackupGetsASnapshotThenTheTail() {
        // segments of 4 KiB, a snapshot every 64 KiB of log, 16 KiB of log kept after it
        try (NodeProcess.Pair pair = pair(dir)
                        .set("store.snapshot-log-bytes", "64k")
                        .set("store.retained-log-bytes", "16k")
                        .start();
                PbkvClient client = client(pair, Duration.ofSeconds(20))) {
            awaitSync(pair.primary(), pair.backup());
            client.put("early", "1");
            pair.backup().kill();
            for (int i = 0; i < 3000; i++) { // ~450 KiB of log: several snapshots, the early tail is gone
                client.put("missed/" + i, VALUE);
            }
            pair.backup().start();
            awaitSync(pair.primary(), pair.backup());
            assertThat(pair.backup().dump()).isEqualTo(pair.primary().dump()).hasSize(3001);
            assertThat(pair.backup().logContains("SNAPSHOT_NEEDED"))
                    .as("backup log:\n%s", pair.backup().logTail(30))
                    .isTrue();
            assertThat(pair.backup().logContains("installed the snapshot")).isTrue();
            assertThat(pair.primary().logContains("sent a snapshot")).isTrue();
        }
    }

    @Test
    void writesKeepFlowingWhileABackupCatchesUpOnManyKeys() throws Exception {
        int keys = 100_000;
        NodeProcess.PairBuilder builder = pair(dir).set("store.fsync", "no");
        builder.primary().memory("128m");
        builder.backup().memory("128m");
        try (NodeProcess.Pair pair = builder.build()) {
            pair.primary().start();
            pair.primary().awaitState(Role.PRIMARY, NodeState.BOOTSTRAP, STATE_WAIT);
            try (PbkvAsyncClient async = PbkvClient.builder()
                    .endpoint(pair.primary().grpcAddress())
                    .retryDeadline(Duration.ofSeconds(30))
                    .buildAsync()) {
                Semaphore inFlight = new Semaphore(128);
                for (int i = 0; i < keys; i++) {
                    inFlight.acquire();
                    async.put("bulk/" + i, VALUE).whenComplete((r, e) -> inFlight.release());
                }
                inFlight.acquire(128);
                inFlight.release(128);

                // a writer keeps going while the backup starts and catches up
                AtomicLong acknowledged = new AtomicLong();
                AtomicLong acknowledgedBeforeSync = new AtomicLong(-1);
                Semaphore live = new Semaphore(16);
                pair.backup().startNoWait();
                long start = System.nanoTime();
                CompletableFuture<Void> syncReached = CompletableFuture.runAsync(() -> {
                    pair.backup().awaitReady().awaitState(Role.BACKUP, NodeState.SYNC, STATE_WAIT);
                    acknowledgedBeforeSync.set(acknowledged.get());
                });
                for (long i = 0; !syncReached.isDone(); i++) {
                    live.acquire();
                    CompletableFuture<WriteResult> w = async.put("live/" + (i % 5000), "v" + i);
                    w.whenComplete((r, e) -> {
                        if (e == null) {
                            acknowledged.incrementAndGet();
                        }
                        live.release();
                    });
                }
                syncReached.get(90, TimeUnit.SECONDS);
                live.acquire(16);
                System.out.printf(
                        "catch-up of %d keys to SYNC: %d ms, %d writes acknowledged meanwhile%n",
                        keys, (System.nanoTime() - start) / 1_000_000, acknowledgedBeforeSync.get());
                assertThat(acknowledgedBeforeSync.get())
                        .as("writes acknowledged during the catch-up")
                        .isGreaterThan(100);
            }
            pair.primary().awaitState(Role.PRIMARY, NodeState.SYNC, STATE_WAIT);
            var primaryDump = pair.primary().dump();
            assertThat(primaryDump).hasSizeGreaterThan(keys);
            assertThat(pair.backup().dump()).isEqualTo(primaryDump);
        }
    }
}
