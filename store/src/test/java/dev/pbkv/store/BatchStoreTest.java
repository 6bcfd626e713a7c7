package dev.pbkv.store;

import static dev.pbkv.store.TestStores.b;
import static dev.pbkv.store.TestStores.config;
import static dev.pbkv.store.TestStores.contents;
import static dev.pbkv.store.TestStores.s;
import static org.assertj.core.api.Assertions.assertThat;

import dev.pbkv.store.map.MapConfig;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BatchStoreTest {
    @TempDir
    Path tmp;

    private static Mutation batch(BatchOp... ops) {
        return Mutation.batch(List.of(ops), 0, 0);
    }

    private static BatchOp op(BatchOp.Kind kind, String k, String v) {
        return new BatchOp(kind, b(k), v == null ? null : b(v));
    }

    @Test
    void appliedBatchIsOneRecordWithEveryEffect() throws Exception {
        try (Store store = Store.open(config(tmp, FsyncPolicy.NO))) {
            store.apply(Mutation.of(Op.PUT, b("c"), b("old")));
            long before = store.lastOffset();

            WriteResult r = store.apply(
                    batch(BatchOp.put(b("a"), b("1")), BatchOp.put(b("b"), b("2")), BatchOp.delete(b("c"))));

            assertThat(r.outcome()).isEqualTo(WriteOutcome.APPLIED);
            assertThat(r.record().effect()).isEqualTo(Effect.BATCH);
            assertThat(store.lastOffset()).isEqualTo(before + 1);
            assertThat(contents(store)).isEqualTo(Map.of("a", "1", "b", "2"));
            assertThat(store.lookup(b("a")).offset()).isEqualTo(before + 1);
            assertThat(store.lookup(b("b")).offset()).isEqualTo(before + 1);
            assertThat(s(r.batch().before().get(2))).as("the deleted value").isEqualTo("old");
            assertThat(r.batch().before().get(0)).isNull();
        }
    }

    @Test
    void failedInsertConditionAppliesNothing() throws Exception {
        try (Store store = Store.open(config(tmp, FsyncPolicy.NO))) {
            store.apply(Mutation.of(Op.PUT, b("taken"), b("x")));
            long before = store.lastOffset();

            WriteResult r = store.apply(batch(
                    op(BatchOp.Kind.PUT, "a", "1"),
                    op(BatchOp.Kind.DELETE, "taken", null),
                    op(BatchOp.Kind.INSERT, "b", "2"),
                    op(BatchOp.Kind.INSERT, "b", "3")));

            assertThat(r.outcome()).isEqualTo(WriteOutcome.PRESENT);
            assertThat(r.batch().failedIndex()).as("the second insert of b").isEqualTo(3);
            assertThat(r.record()).isNull();
            assertThat(store.lastOffset()).isEqualTo(before);
            assertThat(contents(store)).isEqualTo(Map.of("taken", "x"));
            assertThat(r.answerOffset()).as("the refusal rests on what it saw").isEqualTo(before);
        }
    }

    @Test
    void updateOfAnAbsentKeyFailsTheBatchButAKeyMadeEarlierInItCounts() throws Exception {
        try (Store store = Store.open(config(tmp, FsyncPolicy.NO))) {
            WriteResult ok = store.apply(batch(op(BatchOp.Kind.INSERT, "a", "1"), op(BatchOp.Kind.UPDATE, "a", "2")));
            assertThat(ok.outcome()).isEqualTo(WriteOutcome.APPLIED);
            assertThat(contents(store)).isEqualTo(Map.of("a", "2"));

            WriteResult refused =
                    store.apply(batch(op(BatchOp.Kind.PUT, "x", "1"), op(BatchOp.Kind.UPDATE, "nope", "2")));
            assertThat(refused.outcome()).isEqualTo(WriteOutcome.ABSENT);
            assertThat(refused.batch().failedIndex()).isEqualTo(1);
            assertThat(contents(store)).isEqualTo(Map.of("a", "2"));
        }
    }

    @Test
    void getInsideABatchSeesTheEarlierOperations() throws Exception {
        try (Store store = Store.open(config(tmp, FsyncPolicy.NO))) {
            store.apply(Mutation.of(Op.PUT, b("k"), b("v0")));
            WriteResult r = store.apply(batch(
                    op(BatchOp.Kind.GET, "k", null),
                    op(BatchOp.Kind.PUT, "k", "v1"),
                    op(BatchOp.Kind.GET, "k", null),
                    op(BatchOp.Kind.DELETE, "k", null),
                    op(BatchOp.Kind.GET, "k", null)));
            assertThat(s(r.batch().before().get(0))).isEqualTo("v0");
            assertThat(s(r.batch().before().get(2))).isEqualTo("v1");
            assertThat(r.batch().before().get(4)).isNull();
            assertThat(contents(store)).isEmpty();
        }
    }

    @Test
    void batchWithOneEffectIsLoggedAsItsPlainRecord() throws Exception {
        try (Store store = Store.open(config(tmp, FsyncPolicy.NO))) {
            store.apply(Mutation.of(Op.PUT, b("k"), b("v")));
            WriteResult r = store.apply(batch(op(BatchOp.Kind.DELETE, "k", null), op(BatchOp.Kind.GET, "k", null)));
            assertThat(r.outcome()).isEqualTo(WriteOutcome.APPLIED);
            assertThat(r.record().effect()).isEqualTo(Effect.DELETE);
            assertThat(s(r.batch().before().get(0))).isEqualTo("v");
            assertThat(contents(store)).isEmpty();
        }
    }

    @Test
    void batchThatChangesNothingWritesNoRecord() throws Exception {
        try (Store store = Store.open(config(tmp, FsyncPolicy.NO))) {
            store.apply(Mutation.of(Op.PUT, b("k"), b("v")));
            long before = store.lastOffset();
            WriteResult r =
                    store.apply(batch(op(BatchOp.Kind.DELETE, "absent", null), op(BatchOp.Kind.GET, "k", null)));
            assertThat(r.outcome()).isEqualTo(WriteOutcome.APPLIED);
            assertThat(r.record()).isNull();
            assertThat(r.answerOffset()).isEqualTo(before);
            assertThat(store.lastOffset()).isEqualTo(before);
        }
    }

    @Test
    void batchThatDoesNotFitTheArenaAppliesNothing() throws Exception {
        StoreConfig small = new StoreConfig(tmp, new MapConfig(4, 1L << 20), FsyncPolicy.NO, 64L << 20, 64L << 20);
        try (Store store = Store.open(small)) {
            store.apply(Mutation.of(Op.PUT, b("keep"), b("v")));
            Map<String, String> before = contents(store);
            long offset = store.lastOffset();
            List<BatchOp> ops = new ArrayList<>();
            for (int i = 0; i < 4000; i++) {
                ops.add(BatchOp.put(b("big" + i), new byte[1000]));
            }
            ops.add(BatchOp.delete(b("keep")));

            WriteResult r = store.apply(Mutation.batch(ops, 0, 0));

            assertThat(r.outcome()).isEqualTo(WriteOutcome.OUT_OF_MEMORY);
            assertThat(r.record()).isNull();
            assertThat(contents(store)).isEqualTo(before);
            assertThat(store.lastOffset()).isEqualTo(offset);
            assertThat(store.apply(Mutation.of(Op.PUT, b("after"), b("ok"))).outcome())
                    .isEqualTo(WriteOutcome.CREATED);
        }
    }

    @Test
    void batchSurvivesRecoveryWhole() throws Exception {
        try (Store store = Store.open(config(tmp, FsyncPolicy.ALWAYS))) {
            store.apply(Mutation.of(Op.PUT, b("gone"), b("x")));
            WriteResult r = store.apply(
                    batch(BatchOp.put(b("a"), b("1")), BatchOp.put(b("b"), b("2")), BatchOp.delete(b("gone"))));
            store.whenDurable(r.offset()).join();
        }
        try (Store store = Store.open(config(tmp, FsyncPolicy.ALWAYS))) {
            assertThat(contents(store)).isEqualTo(Map.of("a", "1", "b", "2"));
            assertThat(store.lastOffset()).isEqualTo(2);
            assertThat(store.readLog(1, 10).get(0).effect()).isEqualTo(Effect.BATCH);
        }
    }

    @Test
    void replicatedBatchRecordAppliesEveryEffect() throws Exception {
        LogRecord rec;
        try (Store primary = Store.open(config(tmp.resolve("p"), FsyncPolicy.NO))) {
            primary.apply(Mutation.of(Op.PUT, b("x"), b("1")));
            primary.apply(batch(BatchOp.put(b("y"), b("2")), BatchOp.delete(b("x"))));
            List<LogRecord> log = primary.readLog(0, 10);
            try (Store backup = Store.open(config(tmp.resolve("b"), FsyncPolicy.NO))) {
                for (LogRecord r : log) {
                    backup.applyReplicated(r);
                }
                assertThat(contents(backup)).isEqualTo(contents(primary)).isEqualTo(Map.of("y", "2"));
            }
            rec = log.get(1);
        }
        assertThat(rec.effect()).isEqualTo(Effect.BATCH);
    }

    @Test
    void atomicReadersNeverSeeHalfABatch() throws Exception {
        int keys = 16;
        try (Store store = Store.open(config(tmp, FsyncPolicy.NO))) {
            AtomicBoolean stop = new AtomicBoolean();
            AtomicReference<String> torn = new AtomicReference<>();
            List<Thread> readers = new ArrayList<>();
            for (int t = 0; t < 2; t++) {
                Thread reader = new Thread(
                        () -> {
                            while (!stop.get() && torn.get() == null) {
                                List<String> seen = store.readAtomically(() -> {
                                    List<String> values = new ArrayList<>();
                                    for (int i = 0; i < keys; i++) {
                                        byte[] v = store.lookup(b("k" + i)).value();
                                        values.add(v == null ? null : s(v));
                                    }
                                    return values;
                                });
                                if (seen.stream().distinct().count() != 1) {
                                    torn.set(seen.toString());
                                }
                            }
                        },
                        "batch-reader-" + t);
                readers.add(reader);
                reader.start();
            }
            for (int n = 0; n < 3000 && torn.get() == null; n++) {
                List<BatchOp> ops = new ArrayList<>();
                for (int i = 0; i < keys; i++) {
                    ops.add(BatchOp.put(b("k" + i), b("v" + n)));
                }
                store.apply(Mutation.batch(ops, 0, 0));
            }
            stop.set(true);
            for (Thread r : readers) {
                r.join();
            }
            assertThat(torn.get()).as("a read that saw part of a batch").isNull();
        }
    }
}
