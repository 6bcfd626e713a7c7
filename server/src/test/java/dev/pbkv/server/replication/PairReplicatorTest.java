package dev.pbkv.server.replication;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.pbkv.server.role.NodeState;
import dev.pbkv.server.role.Role;
import dev.pbkv.store.FsyncPolicy;
import dev.pbkv.store.Mutation;
import dev.pbkv.store.Op;
import dev.pbkv.store.WriteOutcome;
import dev.pbkv.store.WriteResult;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Two mini nodes on loopback: the guarantees of the pair (docs/replication.md), one test each. */
class PairReplicatorTest {
    private static final Duration WAIT = Duration.ofSeconds(15);

    @TempDir
    Path dir;

    private MiniNode a;
    private MiniNode b;

    @BeforeEach
    void create() throws Exception {
        create(MiniNode.testSettings());
    }

    private void create(PairSettings settings) throws Exception {
        closeNodes();
        int[] ports = MiniNode.freePorts(2);
        a = MiniNode.create("primary", Role.PRIMARY, ports[0], ports[1], dir, settings);
        b = MiniNode.create("backup", Role.BACKUP, ports[1], ports[0], dir, settings);
    }

    @AfterEach
    void closeNodes() {
        if (a != null) {
            a.close();
        }
        if (b != null) {
            b.close();
        }
    }

    private void awaitSync() {
        await().atMost(WAIT).untilAsserted(() -> {
            assertThat(a.state()).isEqualTo(NodeState.SYNC);
            assertThat(b.state()).isEqualTo(NodeState.SYNC);
        });
    }

    private void awaitSameContents(MiniNode x, MiniNode y) {
        await().atMost(WAIT).untilAsserted(() -> assertThat(x.digest()).isEqualTo(y.digest()));
    }

    @Test
    void pairReachesSyncWhenPrimaryStartsFirst() throws Exception {
        a.start();
        await().atMost(WAIT).until(() -> a.state() == NodeState.BOOTSTRAP);
        a.put("k", "v");
        b.start();
        awaitSync();
        assertThat(a.replicator.role()).isEqualTo(Role.PRIMARY);
        assertThat(b.replicator.role()).isEqualTo(Role.BACKUP);
        assertThat(b.get("k")).isEqualTo("v");
        assertThat(b.replicator.epoch()).isEqualTo(a.replicator.epoch()).isEqualTo(1);
        assertThat(b.replicator.primaryAddress()).isEqualTo(a.address());
        // The backup refuses writes and says where the primary is.
        assertThatThrownBy(() -> b.put("k", "other"))
                .isInstanceOf(NotPrimaryException.class)
                .satisfies(e ->
                        assertThat(((NotPrimaryException) e).primaryAddress()).isEqualTo(a.address()));
        assertThat(b.replicator.canServeReads(false)).isFalse();
        assertThat(b.replicator.canServeReads(true)).isTrue();
    }

    @Test
    void pairReachesSyncWhenBackupStartsFirst() throws Exception {
        b.start();
        await().atMost(Duration.ofSeconds(2)).until(() -> b.replicator != null);
        // A backup alone never makes itself primary.
        await().during(Duration.ofMillis(800)).atMost(WAIT).until(() -> b.state() == NodeState.COLD_START);
        assertThatThrownBy(() -> b.put("k", "v")).isInstanceOf(NotPrimaryException.class);
        a.start();
        awaitSync();
        assertThat(a.replicator.role()).isEqualTo(Role.PRIMARY);
    }

    @Test
    void writeAcknowledgedInSyncIsOnBoth() throws Exception {
        a.start();
        b.start();
        awaitSync();
        for (int i = 0; i < 200; i++) {
            WriteResult r = a.put("key" + i, "value" + i);
            // The acknowledgement itself implies the backup holds it: no waiting here.
            assertThat(b.get("key" + i)).isEqualTo("value" + i);
            assertThat(a.replicator.committedOffset()).isGreaterThanOrEqualTo(r.offset());
            assertThat(a.replicator.peerAckedOffset()).isGreaterThanOrEqualTo(r.offset());
        }
        assertThat(a.digest()).isEqualTo(b.digest());
    }

    /**
     * The commit rule follows the store's log (one notice per batch), so a write is answered only
     * once its record is durable on the primary: under fsync always, every answer, alone and in
     * SYNC, finds the primary's durable offset at or past the write.
     */
    @Test
    void aWriteIsAnsweredOnlyOnceItIsDurableOnThePrimary() throws Exception {
        closeNodes();
        int[] ports = MiniNode.freePorts(2);
        PairSettings settings = MiniNode.testSettings();
        a = MiniNode.create("primary", Role.PRIMARY, ports[0], ports[1], dir, settings, 64L << 20, FsyncPolicy.ALWAYS);
        b = MiniNode.create("backup", Role.BACKUP, ports[1], ports[0], dir, settings, 64L << 20, FsyncPolicy.ALWAYS);
        a.start();
        await().atMost(WAIT).until(() -> a.state() == NodeState.BOOTSTRAP);
        ConcurrentLinkedQueue<String> early = new ConcurrentLinkedQueue<>();
        writeFromThreads("alone", early);
        b.start();
        awaitSync();
        writeFromThreads("sync", early);
        assertThat(early).isEmpty();
    }

    private void writeFromThreads(String prefix, java.util.Collection<String> early) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                int id = t;
                done.add(pool.submit(() -> {
                    List<CompletableFuture<?>> answers = new ArrayList<>();
                    for (int i = 0; i < 300; i++) {
                        answers.add(a.replicator
                                .write(Mutation.of(Op.PUT, MiniNode.bytes(prefix + id + "-" + i), MiniNode.bytes("v")))
                                .thenAccept(r -> {
                                    long durable = a.store.durableOffset();
                                    if (durable < r.offset()) {
                                        early.add(r.offset() + " answered at durable " + durable);
                                    }
                                }));
                    }
                    CompletableFuture.allOf(answers.toArray(CompletableFuture[]::new))
                            .get(30, TimeUnit.SECONDS);
                    return null;
                }));
            }
            for (Future<?> f : done) {
                f.get(60, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
    }

    /**
     * The sender thread is woken by a new record only while it waits for records, and never
     * misses one: with a heartbeat of 10 s (its other reason to wake), each of 100 writes made one
     * at a time, the sender idle between them, is acknowledged by the backup within 3 s.
     */
    @Test
    void aWriteAfterTheSenderWentIdleIsShippedAtOnceNotAtTheNextHeartbeat() throws Exception {
        create(PairSettings.of(false, 10_000, 20_000, 1024, 1 << 20, 0));
        a.start();
        b.start();
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
            assertThat(a.state()).isEqualTo(NodeState.SYNC);
            assertThat(b.state()).isEqualTo(NodeState.SYNC);
        });
        for (int i = 0; i < 100; i++) {
            WriteResult r = a.replicator
                    .write(Mutation.of(Op.PUT, MiniNode.bytes("idle" + i), MiniNode.bytes("v" + i)))
                    .get(3, TimeUnit.SECONDS);
            assertThat(b.store.lastOffset()).isGreaterThanOrEqualTo(r.offset());
        }
    }

    @Test
    void concurrentWritesShareBatchesAndAllReachTheBackup() throws Exception {
        a.start();
        b.start();
        awaitSync();
        List<java.util.concurrent.CompletableFuture<WriteResult>> inFlight = new ArrayList<>();
        for (int i = 0; i < 2000; i++) {
            inFlight.add(a.replicator.write(Mutation.of(Op.PUT, MiniNode.bytes("c" + i), MiniNode.bytes("v" + i))));
        }
        for (var f : inFlight) {
            WriteResult r = f.get(10, TimeUnit.SECONDS);
            assertThat(b.store.lastOffset()).isGreaterThanOrEqualTo(r.offset());
        }
        assertThat(a.digest()).isEqualTo(b.digest());
        assertThat(a.state()).isEqualTo(NodeState.SYNC);
    }

    @Test
    void primaryGoesOnAloneWhenBackupIsLostAndBackupCatchesUpByTail() throws Exception {
        a.start();
        b.start();
        awaitSync();
        a.put("before", "1");
        b.crash();
        await().atMost(WAIT).until(() -> a.state() == NodeState.BOOTSTRAP);
        for (int i = 0; i < 300; i++) {
            a.put("alone" + i, "x" + i);
        }
        assertThat(b.get("alone0")).isNull();
        b.start();
        awaitSync();
        awaitSameContents(a, b);
        assertThat(b.get("alone299")).isEqualTo("x299");
        assertThat(b.replicator.snapshotsInstalled()).isZero();
    }

    @Test
    void requireBackupRefusesWritesWhileBackupIsGone() throws Exception {
        create(MiniNode.testSettings().withRequireBackup(true));
        a.start();
        await().atMost(WAIT).until(() -> a.state() == NodeState.BOOTSTRAP);
        assertThatThrownBy(() -> a.put("k", "v"))
                .isInstanceOf(NotPrimaryException.class)
                .hasMessageContaining("require-backup");
        b.start();
        awaitSync();
        a.put("k", "v");
        assertThat(b.get("k")).isEqualTo("v");
        b.crash();
        await().atMost(WAIT).until(() -> a.state() == NodeState.BOOTSTRAP);
        assertThatThrownBy(() -> a.put("k2", "v")).isInstanceOf(NotPrimaryException.class);
        b.start();
        awaitSync();
        a.put("k2", "v2");
        assertThat(b.get("k2")).isEqualTo("v2");
    }

    @Test
    void backupBehindTheRetainedLogGetsOneSnapshotThenTheTail() throws Exception {
        a.start();
        b.start();
        awaitSync();
        a.put("early", "1");
        b.crash();
        await().atMost(WAIT).until(() -> a.state() == NodeState.BOOTSTRAP);
        for (int i = 0; i < 2000; i++) {
            a.put("bulk" + i, "v".repeat(100) + i);
        }
        long floor = a.store.lastOffset() - 50;
        a.replicator.setRetainedFloorForTests(() -> floor);
        // Writes keep flowing during the catch-up.
        AtomicBoolean writing = new AtomicBoolean(true);
        AtomicInteger written = new AtomicInteger();
        Thread writer = new Thread(
                () -> {
                    while (writing.get()) {
                        try {
                            a.put("during" + written.get(), "w");
                            written.incrementAndGet();
                        } catch (Exception e) {
                            throw new AssertionError(e);
                        }
                    }
                },
                "test-writer");
        writer.start();
        try {
            b.start();
            awaitSync();
            await().atMost(WAIT).until(() -> written.get() > 200);
        } finally {
            writing.set(false);
            writer.join(10_000);
        }
        awaitSameContents(a, b);
        assertThat(b.replicator.snapshotsInstalled()).isEqualTo(1);
        assertThat(a.replicator.snapshotsSent()).isEqualTo(1);
        assertThat(b.get("bulk1999")).endsWith("1999");
        assertThat(b.get("during" + (written.get() - 1))).isEqualTo("w");
    }

    @Test
    void backupBehindAReallyTruncatedLogGetsOneSnapshotThenTheTail() throws Exception {
        int[] ports = MiniNode.freePorts(2);
        closeNodes();
        a = MiniNode.create("primary", Role.PRIMARY, ports[0], ports[1], dir.resolve("t"), MiniNode.testSettings(), 1);
        b = MiniNode.create("backup", Role.BACKUP, ports[1], ports[0], dir.resolve("t"), MiniNode.testSettings(), 1);
        a.start();
        b.start();
        awaitSync();
        a.put("early", "1");
        b.crash();
        await().atMost(WAIT).until(() -> a.state() == NodeState.BOOTSTRAP);
        for (int i = 0; i < 3000; i++) {
            a.put("bulk" + i, "v".repeat(100) + i);
        }
        a.store.snapshotNow().get(30, TimeUnit.SECONDS);
        // The placeholder store keeps its whole log; the real one drops what the snapshot covers.
        assumeTrue(a.store.logBaseOffset() > b.store.lastOffset(), "this store retains its whole log");
        b.start();
        awaitSync();
        a.put("after", "2");
        awaitSameContents(a, b);
        assertThat(b.replicator.snapshotsInstalled()).isEqualTo(1);
        assertThat(b.get("after")).isEqualTo("2");
    }

    @Test
    void staleEpochPrimaryStepsDownAndDropsItsDivergentTail() throws Exception {
        a.start();
        b.start();
        awaitSync();
        for (int i = 0; i < 10; i++) {
            a.put("common" + i, "c");
        }
        long common = a.store.lastOffset();
        b.crash();
        await().atMost(WAIT).until(() -> a.state() == NodeState.BOOTSTRAP);
        for (int i = 0; i < 5; i++) {
            a.put("divergent" + i, "d"); // acknowledged by a primary alone: lost once the backup is promoted
        }
        a.stopServer(); // a partition: a still believes it is primary, b cannot reach it
        b.start();
        await().during(Duration.ofMillis(700)).atMost(WAIT).until(() -> b.state() == NodeState.COLD_START);
        long epoch = b.replicator.promote(true).get(5, TimeUnit.SECONDS);
        assertThat(epoch).isEqualTo(2);
        for (int i = 0; i < 3; i++) {
            b.put("new" + i, "n");
        }
        a.startServer(); // the partition heals
        await().atMost(WAIT).untilAsserted(() -> {
            assertThat(a.replicator.role()).isEqualTo(Role.BACKUP);
            assertThat(a.state()).isEqualTo(NodeState.SYNC);
            assertThat(b.state()).isEqualTo(NodeState.SYNC);
        });
        assertThatThrownBy(() -> a.put("x", "y")).isInstanceOf(NotPrimaryException.class);
        awaitSameContents(a, b);
        assertThat(a.get("divergent0")).isNull();
        assertThat(a.get("new2")).isEqualTo("n");
        assertThat(a.get("common9")).isEqualTo("c");
        assertThat(a.replicator.epoch()).isEqualTo(2);
        assertThat(a.store.lastOffset()).isEqualTo(common + 3);
    }

    @Test
    void switchoverHandsThePrimaryRoleToTheBackupWithoutLosingWrites() throws Exception {
        a.start();
        b.start();
        awaitSync();
        // A client that writes continuously and follows the primary's address on UNAVAILABLE.
        AtomicBoolean writing = new AtomicBoolean(true);
        List<String> acknowledged = java.util.Collections.synchronizedList(new ArrayList<>());
        AtomicInteger errors = new AtomicInteger();
        Thread client = new Thread(
                () -> {
                    MiniNode target = a;
                    int i = 0;
                    while (writing.get()) {
                        String key = "sw" + i;
                        try {
                            target.put(key, "v");
                            acknowledged.add(key);
                            i++;
                        } catch (NotPrimaryException e) {
                            if (e.primaryAddress() != null && e.primaryAddress().equals(b.address())) {
                                target = b;
                            }
                        } catch (Exception e) {
                            errors.incrementAndGet();
                        }
                    }
                },
                "test-client");
        client.start();
        try {
            await().atMost(WAIT).until(() -> acknowledged.size() > 100);
            boolean handedOver = a.replicator.shutdown(false).get(10, TimeUnit.SECONDS);
            assertThat(handedOver).isTrue();
            assertThat(b.replicator.role()).isEqualTo(Role.PRIMARY);
            assertThat(b.state()).isEqualTo(NodeState.BOOTSTRAP);
            assertThat(b.replicator.epoch()).isEqualTo(2);
            int before = acknowledged.size();
            await().atMost(WAIT).until(() -> acknowledged.size() > before + 100);
        } finally {
            writing.set(false);
            client.join(10_000);
        }
        assertThat(errors.get()).isZero();
        for (String key : acknowledged) {
            assertThat(b.get(key)).as(key).isEqualTo("v");
        }
        assertThatThrownBy(() -> a.put("late", "v"))
                .isInstanceOf(NotPrimaryException.class)
                .satisfies(e ->
                        assertThat(((NotPrimaryException) e).primaryAddress()).isEqualTo(b.address()));
        // The old primary comes back as the backup of the new one.
        a.crash();
        a.start();
        await().atMost(WAIT).untilAsserted(() -> {
            assertThat(a.replicator.role()).isEqualTo(Role.BACKUP);
            assertThat(a.state()).isEqualTo(NodeState.SYNC);
            assertThat(b.state()).isEqualTo(NodeState.SYNC);
        });
        awaitSameContents(a, b);
    }

    @Test
    void promotionIsRefusedWhileThePrimaryIsAliveAndAcceptedAfterItIsGone() throws Exception {
        a.start();
        b.start();
        awaitSync();
        a.put("k", "v");
        assertThatThrownBy(() -> b.replicator.promote(false).get(5, TimeUnit.SECONDS))
                .isInstanceOf(ExecutionException.class)
                .hasCauseInstanceOf(PromotionRefusedException.class);
        assertThat(b.replicator.role()).isEqualTo(Role.BACKUP);
        a.crash();
        await().atMost(WAIT).until(() -> b.state() == NodeState.COLD_START);
        // Stale reads still come from the backup's copy.
        assertThat(b.replicator.canServeReads(true)).isTrue();
        assertThat(b.replicator.canServeReads(false)).isFalse();
        // Without a coordinator a silent primary may be alive behind a partition: only --force promotes.
        assertThatThrownBy(() -> b.replicator.promote(false).get(5, TimeUnit.SECONDS))
                .hasCauseInstanceOf(PromotionRefusedException.class)
                .hasMessageContaining("may be alive")
                .hasMessageContaining("--force");
        assertThat(b.replicator.role()).isEqualTo(Role.BACKUP);
        long epoch = b.replicator.promote(true).get(5, TimeUnit.SECONDS);
        assertThat(epoch).isGreaterThan(1);
        assertThat(b.state()).isEqualTo(NodeState.BOOTSTRAP);
        b.put("k2", "v2");
        assertThat(b.get("k")).isEqualTo("v");
        assertThatThrownBy(() -> b.replicator.promote(false).get(5, TimeUnit.SECONDS))
                .hasCauseInstanceOf(PromotionRefusedException.class);
    }

    /**
     * A backup whose map came from a fuzzy snapshot is not a prefix of the history until its log
     * reaches the snapshot's end: promoted then, it would serve a state that never existed.
     * History 1 a=1, 2 b=1, 3 a=2, 4 b=2; the snapshot at 2 (ending at 4) holds {a=1, b=2}.
     */
    @Test
    void promotionIsRefusedUntilTheCopyIsAConsistentPrefix() throws Exception {
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        dev.pbkv.store.snapshot.SnapshotWriter w = new dev.pbkv.store.snapshot.SnapshotWriter(bytes, 2, 1);
        w.entry(MiniNode.bytes("a"), MiniNode.bytes("1"), 1);
        w.entry(MiniNode.bytes("b"), MiniNode.bytes("2"), 4);
        w.finish(4);
        b.store.installSnapshot(new java.io.ByteArrayInputStream(bytes.toByteArray()));
        b.start(); // its primary never answers
        await().atMost(WAIT).until(() -> b.state() == NodeState.COLD_START);

        assertThatThrownBy(() -> b.replicator.promote(false).get(5, TimeUnit.SECONDS))
                .isInstanceOf(ExecutionException.class)
                .hasCauseInstanceOf(PromotionRefusedException.class)
                .hasMessageContaining("not yet a consistent prefix")
                .hasMessageContaining("at offset 2, consistent from 4");
        assertThat(b.replicator.role()).isEqualTo(Role.BACKUP);

        for (long offset = 3; offset <= 4; offset++) {
            b.store.applyReplicated(new dev.pbkv.store.LogRecord(
                    offset,
                    1,
                    dev.pbkv.store.Effect.PUT,
                    MiniNode.bytes(offset == 3 ? "a" : "b"),
                    MiniNode.bytes("2"),
                    0,
                    0));
        }
        assertThat(b.replicator.promote(true).get(5, TimeUnit.SECONDS)).isGreaterThan(1);
        assertThat(b.get("a")).isEqualTo("2");
        assertThat(b.get("b")).isEqualTo("2");
    }

    @Test
    void noWriteAcknowledgedInSyncIsLostWhenThePrimaryDiesUnderLoad() throws Exception {
        a.start();
        b.start();
        awaitSync();
        List<String> acknowledged = java.util.Collections.synchronizedList(new ArrayList<>());
        AtomicBoolean writing = new AtomicBoolean(true);
        List<Thread> writers = new ArrayList<>();
        for (int w = 0; w < 8; w++) {
            int id = w;
            Thread t = new Thread(
                    () -> {
                        for (int i = 0; writing.get(); i++) {
                            String key = "w" + id + "-" + i;
                            try {
                                a.put(key, "v" + i);
                                acknowledged.add(key);
                            } catch (Exception e) {
                                return; // the primary died: this write's outcome is unknown, and not counted
                            }
                        }
                    },
                    "test-writer-" + w);
            t.start();
            writers.add(t);
        }
        await().atMost(WAIT).until(() -> acknowledged.size() > 2000);
        a.crash();
        writing.set(false);
        for (Thread t : writers) {
            t.join(10_000);
        }
        await().atMost(WAIT).until(() -> b.state() == NodeState.COLD_START);
        b.replicator.promote(true).get(5, TimeUnit.SECONDS);
        for (String key : acknowledged) {
            assertThat(b.get(key)).as(key).isNotNull();
        }
    }

    @Test
    void retriedTaggedWriteIsAppliedOnceAlsoAfterSwitchover() throws Exception {
        a.start();
        b.start();
        awaitSync();
        Mutation insert = new Mutation(Op.INSERT, MiniNode.bytes("once"), MiniNode.bytes("1"), 77, 1);
        WriteResult first = a.write(insert);
        assertThat(first.outcome()).isEqualTo(WriteOutcome.CREATED);
        long last = a.store.lastOffset();
        WriteResult retry = a.write(insert);
        assertThat(retry.outcome()).isEqualTo(WriteOutcome.CREATED);
        assertThat(retry.offset()).isEqualTo(first.offset());
        assertThat(a.store.lastOffset()).isEqualTo(last);
        // A new sequence is a new write: the insert now finds the key.
        Mutation again = new Mutation(Op.INSERT, MiniNode.bytes("once"), MiniNode.bytes("2"), 77, 2);
        assertThat(a.write(again).outcome()).isEqualTo(WriteOutcome.PRESENT);

        assertThat(a.replicator.shutdown(false).get(10, TimeUnit.SECONDS)).isTrue();
        WriteResult afterSwitch = b.write(insert);
        assertThat(afterSwitch.outcome()).isEqualTo(WriteOutcome.CREATED);
        assertThat(afterSwitch.offset()).isEqualTo(first.offset());
        assertThat(b.get("once")).isEqualTo("1");
        assertThat(b.store.lastOffset()).isEqualTo(last);
    }

    /**
     * The digest round fences a bucket only while it reads the cut and the digest in memory:
     * while the records up to the cut and the check are being sent (held here by a hook, as a
     * large bucket's catch-up would), writes to that bucket and to the others are answered.
     */
    @Test
    void writesAreAnsweredWhileABucketsDigestIsBeingSent() throws Exception {
        a.start();
        await().atMost(WAIT).until(() -> a.state() == NodeState.BOOTSTRAP);
        for (int i = 0; i < 5000; i++) {
            a.put("big" + i, "value" + i);
        }
        int digested = a.store.bucketOf(MiniNode.bytes("big0"));
        java.util.concurrent.CountDownLatch inDigest = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        AtomicBoolean digestHeld = new AtomicBoolean();
        a.replicator.setDigestCutHookForTests((bucket, at) -> {
            if (bucket == digested) {
                digestHeld.set(true);
                inDigest.countDown();
                try {
                    release.await(4 * WAIT.toMillis(), TimeUnit.MILLISECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                } finally {
                    digestHeld.set(false);
                }
            }
        });
        java.util.concurrent.ExecutorService writers = java.util.concurrent.Executors.newFixedThreadPool(2);
        try {
            b.start();
            assertThat(inDigest.await(WAIT.toMillis(), TimeUnit.MILLISECONDS)).isTrue();
            String sameBucket = keyIn(digested, true);
            String otherBucket = keyIn(digested, false);
            var toSame = java.util.concurrent.CompletableFuture.supplyAsync(
                            () -> a.replicator.write(
                                    Mutation.of(Op.PUT, MiniNode.bytes(sameBucket), MiniNode.bytes("s"))),
                            writers)
                    .thenCompose(f -> f)
                    .thenApply(r -> digestHeld.get() ? r : null);
            var toOther = java.util.concurrent.CompletableFuture.supplyAsync(
                            () -> a.replicator.write(
                                    Mutation.of(Op.PUT, MiniNode.bytes(otherBucket), MiniNode.bytes("o"))),
                            writers)
                    .thenCompose(f -> f)
                    .thenApply(r -> digestHeld.get() ? r : null);
            // Each answer is kept only if it came while the digest round was held in that bucket.
            assertThat(toOther)
                    .succeedsWithin(WAIT)
                    .satisfies(r -> assertThat(r.changed()).isTrue());
            assertThat(toSame)
                    .succeedsWithin(WAIT)
                    .satisfies(r -> assertThat(r.changed()).isTrue());
            assertThat(a.state()).isEqualTo(NodeState.BOOTSTRAP);
            assertThat(b.state()).isEqualTo(NodeState.WARM_START);
        } finally {
            release.countDown();
            writers.shutdownNow();
        }
        // The digest (taken before those writes) still matches: the pair reaches SYNC with them.
        awaitSync();
        awaitSameContents(a, b);
        assertThat(b.get(keyIn(digested, true))).isEqualTo("s");
        assertThat(b.get(keyIn(digested, false))).isEqualTo("o");
    }

    /** A fresh key whose bucket is (or, with same false, is not) the given one. */
    private String keyIn(int bucket, boolean same) {
        for (int i = 0; ; i++) {
            String k = "fresh" + i;
            if ((a.store.bucketOf(MiniNode.bytes(k)) == bucket) == same) {
                return k;
            }
        }
    }
}
