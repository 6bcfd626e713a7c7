package dev.pbkv.store;

import static dev.pbkv.store.TestStores.b;
import static dev.pbkv.store.TestStores.config;
import static dev.pbkv.store.TestStores.contents;
import static org.assertj.core.api.Assertions.assertThat;

import dev.pbkv.store.map.Lookup;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Deadlines in the map, the log and snapshots; expiry decided by the store's clock (docs/expiry.md). */
class ExpiryTest {
    private static final long T0 = 1_800_000_000_000L;

    @TempDir
    Path tmp;

    private final AtomicLong now = new AtomicLong(T0);

    private Store open(Path dir) throws Exception {
        Store s = Store.open(config(dir, FsyncPolicy.ALWAYS));
        s.setClock(now::get);
        return s;
    }

    private static Mutation putWithDeadline(String key, String value, long deadline) {
        return new Mutation(Op.PUT, b(key), b(value), 0, 0, deadline);
    }

    @Test
    void deadlineIsKeptInTheMapAndHidesTheKeyOnceItPasses() throws Exception {
        try (Store s = open(tmp)) {
            s.apply(putWithDeadline("k", "v", T0 + 1000));
            assertThat(s.lookup(b("k")).deadline()).isEqualTo(T0 + 1000);
            assertThat(s.lookup(b("k")).found()).isTrue();
            now.set(T0 + 1000);
            Lookup l = s.lookup(b("k"));
            assertThat(l.found()).isFalse();
            assertThat(l.expired()).isTrue();
            assertThat(contents(s)).isEmpty();
            // Held until the primary's EXPIRED record removes it; count says so (docs/expiry.md).
            assertThat(s.count()).isEqualTo(1);
            assertThat(s.lookupHeld(b("k")).found()).isTrue();
            WriteResult r = s.apply(Mutation.expired(b("k"), now.get()));
            assertThat(r.outcome()).isEqualTo(WriteOutcome.DELETED);
            assertThat(r.record().effect()).isEqualTo(Effect.EXPIRED);
            assertThat(s.count()).isZero();
            assertThat(s.expiringCount()).isZero();
        }
    }

    @Test
    void expiredWriteChangesNothingWhenTheKeyIsNotDueOrWasRewritten() throws Exception {
        try (Store s = open(tmp)) {
            s.apply(putWithDeadline("k", "v", T0 + 1000));
            assertThat(s.apply(Mutation.expired(b("k"), T0 + 999)).outcome()).isEqualTo(WriteOutcome.UNCHANGED);
            s.apply(Mutation.of(Op.PUT, b("k"), b("v2")));
            assertThat(s.apply(Mutation.expired(b("k"), T0 + 5000)).outcome()).isEqualTo(WriteOutcome.UNCHANGED);
            assertThat(s.apply(Mutation.expired(b("nope"), T0)).outcome()).isEqualTo(WriteOutcome.ABSENT);
            assertThat(s.lookup(b("k")).value()).isEqualTo(b("v2"));
        }
    }

    @Test
    void aPlainPutClearsTheDeadlineAndKeepDeadlineKeepsIt() throws Exception {
        try (Store s = open(tmp)) {
            s.apply(putWithDeadline("k", "v", T0 + 1000));
            WriteResult kept = s.apply(new Mutation(Op.PUT, b("k"), b("v2"), 0, 0, Mutation.KEEP_DEADLINE));
            assertThat(kept.record().deadline()).isEqualTo(T0 + 1000);
            assertThat(s.lookup(b("k")).deadline()).isEqualTo(T0 + 1000);
            s.apply(Mutation.of(Op.PUT, b("k"), b("v3")));
            assertThat(s.lookup(b("k")).deadline()).isZero();
            assertThat(s.expiringCount()).isZero();
        }
    }

    @Test
    void expireSetsAndPersistClearsTheDeadline() throws Exception {
        try (Store s = open(tmp)) {
            s.apply(Mutation.of(Op.PUT, b("k"), b("v")));
            assertThat(s.apply(Mutation.expire(b("k"), 0)).outcome()).isEqualTo(WriteOutcome.UNCHANGED);
            WriteResult set = s.apply(Mutation.expire(b("k"), T0 + 500));
            assertThat(set.outcome()).isEqualTo(WriteOutcome.REPLACED);
            assertThat(set.record().effect()).isEqualTo(Effect.EXPIRE);
            assertThat(s.lookup(b("k")).deadline()).isEqualTo(T0 + 500);
            assertThat(s.apply(Mutation.expire(b("k"), 0)).outcome()).isEqualTo(WriteOutcome.REPLACED);
            now.set(T0 + 10_000);
            assertThat(s.lookup(b("k")).value()).isEqualTo(b("v"));
            assertThat(s.apply(Mutation.expire(b("absent"), T0 + 500)).outcome())
                    .isEqualTo(WriteOutcome.ABSENT);
        }
    }

    @Test
    void writesTreatAnExpiredKeyAsAbsentAndRemoveIt() throws Exception {
        try (Store s = open(tmp)) {
            s.apply(putWithDeadline("a", "1", T0 + 10));
            s.apply(putWithDeadline("b", "1", T0 + 10));
            now.set(T0 + 10);
            WriteResult insert = s.apply(Mutation.of(Op.INSERT, b("a"), b("2")));
            assertThat(insert.outcome()).isEqualTo(WriteOutcome.CREATED);
            assertThat(s.lookup(b("a")).value()).isEqualTo(b("2"));
            assertThat(s.lookup(b("a")).deadline()).isZero();
            WriteResult update = s.apply(Mutation.of(Op.UPDATE, b("b"), b("2")));
            assertThat(update.outcome()).isEqualTo(WriteOutcome.ABSENT);
            assertThat(update.record().effect()).isEqualTo(Effect.EXPIRED);
            assertThat(s.lookupHeld(b("b")).found()).isFalse();
        }
    }

    @Test
    void deadlinesAndExpiredRecordsSurviveReopeningFromTheLog() throws Exception {
        try (Store s = open(tmp)) {
            s.apply(putWithDeadline("gone", "v", T0 + 100));
            s.apply(putWithDeadline("later", "v", T0 + 100_000));
            s.apply(Mutation.of(Op.PUT, b("persisted"), b("v")));
            s.apply(Mutation.expire(b("persisted"), T0 + 100));
            s.apply(Mutation.expire(b("persisted"), 0));
            now.set(T0 + 200);
            s.apply(Mutation.expired(b("gone"), now.get()));
        }
        now.set(T0);
        try (Store s = open(tmp)) {
            // The clock went back: the key would be live again by its deadline, but the EXPIRED
            // record removed it for good.
            assertThat(s.lookupHeld(b("gone")).found()).isFalse();
            assertThat(s.lookup(b("later")).deadline()).isEqualTo(T0 + 100_000);
            assertThat(s.lookup(b("persisted")).deadline()).isZero();
            assertThat(s.expiringCount()).isEqualTo(1);
        }
    }

    @Test
    void deadlinesSurviveASnapshotAndItsTransfer() throws Exception {
        Path a = tmp.resolve("a");
        Path c = tmp.resolve("c");
        try (Store s = open(a)) {
            s.apply(putWithDeadline("t", "v", T0 + 5000));
            s.apply(Mutation.of(Op.PUT, b("plain"), b("v")));
            s.snapshotNow().get(10, TimeUnit.SECONDS);
            try (Store other = open(c);
                    SnapshotHandle h = s.snapshotForTransfer();
                    InputStream in = h.openStream()) {
                other.installSnapshot(in);
                assertThat(other.lookup(b("t")).deadline()).isEqualTo(T0 + 5000);
                assertThat(other.lookup(b("plain")).deadline()).isZero();
            }
        }
        // The installed copy holds no log below the snapshot: reopening it recovers from the snapshot.
        try (Store s = open(c)) {
            assertThat(s.logBaseOffset()).isPositive();
            assertThat(s.lookup(b("t")).deadline()).isEqualTo(T0 + 5000);
            assertThat(s.lookup(b("plain")).found()).isTrue();
            now.set(T0 + 5000);
            assertThat(s.lookup(b("t")).found()).isFalse();
        }
    }

    @Test
    void replicatedRecordsCarryDeadlinesAndTheBackupNeverDeletesByItsClock() throws Exception {
        List<LogRecord> shipped = new ArrayList<>();
        try (Store primary = open(tmp.resolve("p"));
                Store backup = open(tmp.resolve("b"))) {
            primary.setAppendListener(shipped::add);
            primary.apply(putWithDeadline("k", "v", T0 + 10));
            for (LogRecord r : shipped) {
                backup.applyReplicated(r);
            }
            now.set(T0 + 10);
            assertThat(backup.lookup(b("k")).found()).isFalse();
            assertThat(backup.count()).isEqualTo(1);
            primary.apply(Mutation.expired(b("k"), now.get()));
            backup.applyReplicated(shipped.get(shipped.size() - 1));
            assertThat(backup.count()).isZero();
            assertThat(shipped.get(1).effect()).isEqualTo(Effect.EXPIRED);
        }
    }

    @Test
    void samplingDrawsOnlyKeysWithADeadline() throws Exception {
        try (Store s = open(tmp)) {
            for (int i = 0; i < 100; i++) {
                s.apply(Mutation.of(Op.PUT, b("plain" + i), b("v")));
            }
            for (int i = 0; i < 5; i++) {
                s.apply(putWithDeadline("t" + i, "v", T0 + 1));
            }
            assertThat(s.expiringCount()).isEqualTo(5);
            List<byte[]> drawn = s.sampleExpiring(20, new Random(1));
            assertThat(drawn)
                    .hasSize(5)
                    .allSatisfy(k -> assertThat(new String(k)).startsWith("t"));
            s.apply(Mutation.delete(b("t0")));
            assertThat(s.expiringCount()).isEqualTo(4);
        }
    }

    @Test
    void expiringCountFollowsEveryWayADeadlineComesAndGoes() throws Exception {
        Path p = tmp.resolve("p");
        try (Store s = open(p)) {
            s.apply(putWithDeadline("ex", "v", T0 + 10_000)); // SET EX
            assertThat(s.expiringCount()).isEqualTo(1);
            s.apply(new Mutation(Op.PUT, b("ex"), b("v2"), 0, 0, Mutation.KEEP_DEADLINE)); // KEEPTTL
            assertThat(s.expiringCount()).isEqualTo(1);
            s.apply(Mutation.of(Op.PUT, b("ex"), b("v3"))); // overwrite without KEEPTTL
            assertThat(s.expiringCount()).isZero();
            s.apply(Mutation.expire(b("ex"), T0 + 10_000)); // EXPIRE
            assertThat(s.expiringCount()).isEqualTo(1);
            s.apply(Mutation.expire(b("ex"), 0)); // PERSIST
            assertThat(s.expiringCount()).isZero();
            s.apply(putWithDeadline("del", "v", T0 + 10_000));
            assertThat(s.expiringCount()).isEqualTo(1);
            s.apply(Mutation.delete(b("del"))); // DEL
            assertThat(s.expiringCount()).isZero();
            s.apply(putWithDeadline("batch", "v", T0 + 10_000));
            s.apply(Mutation.batch(List.of(BatchOp.put(b("batch"), b("w")), BatchOp.put(b("x"), b("w"))), 0, 0));
            assertThat(s.expiringCount()).as("MSET clears deadlines").isZero();

            s.apply(putWithDeadline("lazy", "v", T0 + 10));
            s.apply(putWithDeadline("active", "v", T0 + 10));
            s.apply(putWithDeadline("stays", "v", T0 + 100_000));
            assertThat(s.expiringCount()).isEqualTo(3);
            now.set(T0 + 10);
            // Due but held: still counted, as Redis counts them until they are removed.
            assertThat(s.expiringCount()).isEqualTo(3);
            s.apply(Mutation.of(Op.UPDATE, b("lazy"), b("w"))); // a write finds it expired
            assertThat(s.expiringCount()).isEqualTo(2);
            s.apply(Mutation.expired(b("active"), now.get())); // the active expirer's write
            assertThat(s.expiringCount()).isEqualTo(1);
        }
        // Restart: the log replay rebuilds the count.
        try (Store s = open(p)) {
            assertThat(s.expiringCount()).isEqualTo(1);
            s.snapshotNow().get(10, TimeUnit.SECONDS);
            s.apply(putWithDeadline("after-snapshot", "v", T0 + 100_000));
            // Restart from the snapshot and the log after it.
        }
        try (Store s = open(p)) {
            assertThat(s.expiringCount()).isEqualTo(2);
            // A warming backup's install replaces whatever it had, count included.
            try (Store other = open(tmp.resolve("other"))) {
                for (int i = 0; i < 5; i++) {
                    other.apply(putWithDeadline("old" + i, "v", T0 + 100_000));
                }
                try (SnapshotHandle h = s.snapshotForTransfer();
                        InputStream in = h.openStream()) {
                    other.installSnapshot(in);
                }
                assertThat(other.expiringCount()).isEqualTo(2);
            }
        }
    }

    @Test
    void averageTtlIsTheMeanTimeLeftOfKeysWithADeadline() throws Exception {
        try (Store s = open(tmp)) {
            assertThat(s.averageTtlMillis(20, new Random(1))).isZero();
            s.apply(Mutation.of(Op.PUT, b("plain"), b("v")));
            s.apply(putWithDeadline("a", "v", T0 + 2000));
            s.apply(putWithDeadline("b", "v", T0 + 2000));
            assertThat(s.averageTtlMillis(20, new Random(1))).isEqualTo(2000);
            s.apply(putWithDeadline("c", "v", T0 + 8000));
            // A draw with repetition: somewhere between the shortest and the longest time left.
            assertThat(s.averageTtlMillis(20, new Random(1))).isBetween(2000L, 8000L);
            s.apply(Mutation.delete(b("b")));
            s.apply(Mutation.delete(b("c")));
            s.apply(Mutation.expire(b("a"), T0 + 1000));
            assertThat(s.averageTtlMillis(20, new Random(1))).isEqualTo(1000);
            now.set(T0 + 1000);
            assertThat(s.averageTtlMillis(20, new Random(1)))
                    .as("a due key has no time left")
                    .isZero();
        }
    }
    /** The outcome of an expire to next with condition on a fresh key whose deadline is current (0: none). */
    private WriteOutcome expireIf(Store s, long current, long next, DeadlineCondition condition) {
        s.apply(current == 0 ? Mutation.of(Op.PUT, b("c"), b("v")) : putWithDeadline("c", "v", current));
        WriteResult r = s.apply(Mutation.expire(b("c"), next, condition));
        long expected = r.outcome() == WriteOutcome.REPLACED ? next : current;
        assertThat(s.lookup(b("c")).deadline())
                .as("%s %d -> %d", condition, current, next)
                .isEqualTo(expected);
        return r.outcome();
    }

    @Test
    void expireConditionsAreCheckedAgainstTheDeadlineTheKeyHas() throws Exception {
        long sooner = T0 + 1000;
        long later = T0 + 5000;
        try (Store s = open(tmp)) {
            assertThat(expireIf(s, 0, later, DeadlineCondition.IF_NONE)).isEqualTo(WriteOutcome.REPLACED);
            assertThat(expireIf(s, sooner, later, DeadlineCondition.IF_NONE)).isEqualTo(WriteOutcome.UNCHANGED);
            assertThat(expireIf(s, sooner, later, DeadlineCondition.IF_SET)).isEqualTo(WriteOutcome.REPLACED);
            assertThat(expireIf(s, 0, later, DeadlineCondition.IF_SET)).isEqualTo(WriteOutcome.UNCHANGED);
            assertThat(expireIf(s, sooner, later, DeadlineCondition.IF_LATER)).isEqualTo(WriteOutcome.REPLACED);
            assertThat(expireIf(s, later, sooner, DeadlineCondition.IF_LATER)).isEqualTo(WriteOutcome.UNCHANGED);
            assertThat(expireIf(s, later, later, DeadlineCondition.IF_LATER)).isEqualTo(WriteOutcome.UNCHANGED);
            assertThat(expireIf(s, 0, later, DeadlineCondition.IF_LATER))
                    .as("no deadline is later than any")
                    .isEqualTo(WriteOutcome.UNCHANGED);
            assertThat(expireIf(s, later, sooner, DeadlineCondition.IF_EARLIER)).isEqualTo(WriteOutcome.REPLACED);
            assertThat(expireIf(s, sooner, later, DeadlineCondition.IF_EARLIER)).isEqualTo(WriteOutcome.UNCHANGED);
            assertThat(expireIf(s, 0, sooner, DeadlineCondition.IF_EARLIER))
                    .as("any deadline is earlier than none")
                    .isEqualTo(WriteOutcome.REPLACED);
            assertThat(expireIf(s, later, sooner, DeadlineCondition.IF_SET_AND_EARLIER))
                    .isEqualTo(WriteOutcome.REPLACED);
            assertThat(expireIf(s, 0, sooner, DeadlineCondition.IF_SET_AND_EARLIER))
                    .isEqualTo(WriteOutcome.UNCHANGED);
            assertThat(s.apply(Mutation.expire(b("absent"), later, DeadlineCondition.IF_NONE))
                            .outcome())
                    .isEqualTo(WriteOutcome.ABSENT);
        }
    }

    @Test
    void anExpireToATimePassedDeletesTheKeyOnlyWhenItsConditionHolds() throws Exception {
        try (Store s = open(tmp)) {
            s.apply(putWithDeadline("k", "v", T0 + 1000));
            WriteResult refused = s.apply(Mutation.expire(b("k"), 1, DeadlineCondition.IF_LATER));
            assertThat(refused.outcome()).isEqualTo(WriteOutcome.UNCHANGED);
            assertThat(refused.record()).isNull();
            assertThat(s.lookup(b("k")).found()).isTrue();
            WriteResult deleted = s.apply(Mutation.expire(b("k"), T0, DeadlineCondition.IF_EARLIER));
            assertThat(deleted.outcome()).isEqualTo(WriteOutcome.DELETED);
            assertThat(deleted.record().effect()).isEqualTo(Effect.DELETE);
            assertThat(s.lookupHeld(b("k")).found()).isFalse();
            assertThat(s.expiringCount()).isZero();
        }
    }
}
