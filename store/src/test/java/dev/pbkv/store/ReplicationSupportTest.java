package dev.pbkv.store;

import static dev.pbkv.store.TestStores.b;
import static dev.pbkv.store.TestStores.config;
import static dev.pbkv.store.TestStores.contents;
import static dev.pbkv.store.TestStores.write;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pbkv.store.snapshot.SnapshotFiles;
import dev.pbkv.store.snapshot.SnapshotWriter;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReplicationSupportTest {
    @TempDir
    Path tmp;

    @Test
    void epochIsStampedOnRecordsAndSurvivesReopen() throws Exception {
        Path dir = tmp.resolve("e");
        try (Store store = Store.open(config(dir, FsyncPolicy.ALWAYS))) {
            assertThat(store.epoch()).isZero();
            store.apply(Mutation.of(Op.PUT, b("a"), b("1")));
            store.raiseEpoch(5);
            store.raiseEpoch(3); // never lowers
            assertThat(store.epoch()).isEqualTo(5);
            assertThat(store.apply(Mutation.of(Op.PUT, b("b"), b("2"))).record().epoch())
                    .isEqualTo(5);
            assertThat(store.epochAt(0)).isZero();
            assertThat(store.epochAt(1)).isZero();
            assertThat(store.epochAt(2)).isEqualTo(5);
        }
        try (Store store = Store.open(config(dir, FsyncPolicy.ALWAYS))) {
            assertThat(store.epoch()).isEqualTo(5);
            assertThat(store.epochAt(2)).isEqualTo(5);
        }
        // The epoch file alone carries it, even with no record written in that epoch.
        try (Store store = Store.open(config(dir, FsyncPolicy.ALWAYS))) {
            store.raiseEpoch(9);
        }
        try (Store store = Store.open(config(dir, FsyncPolicy.ALWAYS))) {
            assertThat(store.epoch()).isEqualTo(9);
        }
    }

    @Test
    void readLogReturnsRecordsInOrderWithTheirFields() throws Exception {
        Path dir = tmp.resolve("r");
        try (Store store = Store.open(config(dir, FsyncPolicy.NO))) {
            store.apply(new Mutation(Op.PUT, b("k1"), b("v1"), 42, 7));
            store.apply(Mutation.delete(b("k1")));
            store.apply(Mutation.of(Op.INSERT, b("k2"), b("v2")));
        }
        try (Store store = Store.open(config(dir, FsyncPolicy.NO))) {
            List<LogRecord> all = store.readLog(0, 100);
            assertThat(all).extracting(LogRecord::offset).containsExactly(1L, 2L, 3L);
            assertThat(all.get(0).clientId()).isEqualTo(42);
            assertThat(all.get(0).sequence()).isEqualTo(7);
            assertThat(all.get(1).effect()).isEqualTo(Effect.DELETE);
            assertThat(TestStores.s(all.get(2).value())).isEqualTo("v2");
            assertThat(store.readLog(1, 1)).extracting(LogRecord::offset).containsExactly(2L);
            assertThat(store.readLog(3, 10)).isEmpty();
        }
    }

    @Test
    void backupAppliesReplicatedRecordsInOrderAndIgnoresResends() throws Exception {
        try (Store primary = Store.open(config(tmp.resolve("p"), FsyncPolicy.NO));
                Store backup = Store.open(config(tmp.resolve("b"), FsyncPolicy.NO))) {
            List<LogRecord> shipped = new ArrayList<>();
            primary.setAppendListener(shipped::add);
            Map<String, String> model = new HashMap<>();
            for (int i = 0; i < 50; i++) {
                write(primary, model, "k" + (i % 10), i % 4 == 3 ? null : "v" + i);
            }
            for (LogRecord rec : shipped) {
                backup.applyReplicated(rec);
            }
            backup.applyReplicated(shipped.get(3)); // a resend is ignored
            assertThatThrownBy(() -> backup.applyReplicated(
                            new LogRecord(shipped.size() + 5, 0, Effect.PUT, b("x"), b("y"), 0, 0)))
                    .isInstanceOf(IOException.class)
                    .hasMessageContaining("gap");
            assertThat(backup.lastOffset()).isEqualTo(primary.lastOffset());
            assertThat(contents(backup)).isEqualTo(contents(primary));
        }
    }

    @Test
    void truncateAfterDiscardsTheDivergentTailInMemoryAndOnDisk() throws Exception {
        Path dir = tmp.resolve("t");
        Map<String, String> atCut = new TreeMap<>();
        long cut;
        try (Store store = Store.open(config(dir, FsyncPolicy.ALWAYS))) {
            Map<String, String> model = new TreeMap<>();
            for (int i = 0; i < 30; i++) {
                write(store, model, "k" + (i % 12), i % 5 == 4 ? null : "v" + i);
            }
            cut = store.lastOffset();
            atCut.putAll(model);
            store.snapshotNow().get(10, TimeUnit.SECONDS); // a snapshot at the cut is used to rebuild
            store.raiseEpoch(2);
            for (int i = 0; i < 10; i++) {
                write(store, model, "k" + i, i % 3 == 0 ? null : "divergent" + i);
            }
            store.snapshotNow().get(10, TimeUnit.SECONDS); // a snapshot above the cut must go
            write(store, model, "new-key", "divergent");
            long divergent = store.lastOffset() - cut;
            assertThat(divergent).isGreaterThan(5);

            assertThat(store.truncateAfter(cut)).isEqualTo(divergent);
            assertThat(store.lastOffset()).isEqualTo(cut);
            assertThat(contents(store)).isEqualTo(atCut);
            assertThat(store.readLog(cut - 1, 10)).extracting(LogRecord::offset).containsExactly(cut);
            assertThat(store.truncateAfter(cut)).isZero();
            assertThat(TestStores.snapshotFiles(dir)).hasSize(1);
            assertThat(store.apply(Mutation.of(Op.PUT, b("after"), b("cut"))).offset())
                    .isEqualTo(cut + 1);
            atCut.put("after", "cut");
        }
        try (Store store = Store.open(config(dir, FsyncPolicy.ALWAYS))) {
            assertThat(store.lastOffset()).isEqualTo(cut + 1);
            assertThat(contents(store)).isEqualTo(atCut);
            assertThat(store.epochAt(cut + 1)).isEqualTo(2);
            assertThat(store.epochAt(cut)).isZero();
        }
    }

    @Test
    void truncateAfterWithoutSnapshotsReplaysTheLogFromTheStart() throws Exception {
        Path dir = tmp.resolve("t0");
        try (Store store = Store.open(config(dir, FsyncPolicy.NO))) {
            Map<String, String> model = new TreeMap<>();
            write(store, model, "a", "1");
            write(store, model, "b", "2");
            Map<String, String> atCut = new TreeMap<>(model);
            write(store, model, "a", null);
            write(store, model, "b", "3");
            assertThat(store.truncateAfter(2)).isEqualTo(2);
            assertThat(contents(store)).isEqualTo(atCut);
            assertThat(store.truncateAfter(0)).isEqualTo(2);
            assertThat(contents(store)).isEmpty();
            assertThat(store.lastOffset()).isZero();
        }
    }

    @Test
    void transferredSnapshotInstallsIdenticalContentsAndTheTailFollows() throws Exception {
        Path a = tmp.resolve("a");
        Path bDir = tmp.resolve("b");
        try (Store source = Store.open(config(a, FsyncPolicy.ALWAYS));
                Store target = Store.open(config(bDir, FsyncPolicy.ALWAYS))) {
            Map<String, String> model = new HashMap<>();
            for (int i = 0; i < 500; i++) {
                write(source, model, "key" + (i % 150), i % 7 == 0 ? null : "value" + i);
            }
            source.raiseEpoch(3);
            write(source, model, "epoch3", "x");
            // The target has a history of its own that the install replaces.
            for (int i = 0; i < 40; i++) {
                target.apply(Mutation.of(Op.PUT, b("old" + i), b("gone")));
            }
            try (SnapshotHandle handle = source.snapshotForTransfer()) {
                assertThat(handle.offset()).isEqualTo(source.lastOffset());
                assertThat(handle.epoch()).isEqualTo(3);
                for (int i = 0; i < 20; i++) {
                    write(source, model, "later" + i, "v");
                }
                try (InputStream in = handle.openStream()) {
                    target.installSnapshot(in);
                }
                assertThat(target.lastOffset()).isEqualTo(handle.offset());
                assertThat(target.logBaseOffset()).isEqualTo(handle.offset());
                assertThat(target.epoch()).isGreaterThanOrEqualTo(3);
                assertThat(target.epochAt(handle.offset())).isEqualTo(3);
                assertThat(target.consistentFromOffset()).isGreaterThanOrEqualTo(handle.offset());
                for (LogRecord rec : source.readLog(handle.offset(), 1000)) {
                    target.applyReplicated(rec);
                }
            }
            assertThat(contents(target)).isEqualTo(contents(source)).isEqualTo(new TreeMap<>(model));
            assertThat(target.lastOffset()).isEqualTo(source.lastOffset());
        }
        try (Store target = Store.open(config(bDir, FsyncPolicy.ALWAYS));
                Store source = Store.open(config(a, FsyncPolicy.ALWAYS))) {
            assertThat(contents(target)).isEqualTo(contents(source));
            assertThat(target.lastOffset()).isEqualTo(source.lastOffset());
        }
    }

    @Test
    void aFuzzyInstallIsAConsistentPrefixOnlyOnceTheLogReachesItsEndAlsoAfterReopen() throws Exception {
        Path dir = tmp.resolve("fuzzy");
        // Taken at 2 of the history 1 a=1, 2 b=1, 3 a=2, 4 b=2: a copied before 3, b after 4.
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        SnapshotWriter w = new SnapshotWriter(bytes, 2, 1);
        w.entry(b("a"), b("1"), 1);
        w.entry(b("b"), b("2"), 4);
        w.finish(4);
        try (Store store = Store.open(config(dir, FsyncPolicy.ALWAYS))) {
            assertThat(store.isConsistentPrefix()).isTrue();
            store.installSnapshot(new ByteArrayInputStream(bytes.toByteArray()));
            assertThat(store.consistentFromOffset()).isEqualTo(4);
            assertThat(store.isConsistentPrefix()).isFalse();
            store.applyReplicated(new LogRecord(3, 1, Effect.PUT, b("a"), b("2"), 0, 0));
            assertThat(store.isConsistentPrefix()).isFalse();
        }
        // Recovered from a snapshot whose end is past the log's: still not a prefix.
        try (Store store = Store.open(config(dir, FsyncPolicy.ALWAYS))) {
            assertThat(store.lastOffset()).isEqualTo(3);
            assertThat(store.isConsistentPrefix()).isFalse();
            store.applyReplicated(new LogRecord(4, 1, Effect.PUT, b("b"), b("2"), 0, 0));
            assertThat(store.isConsistentPrefix()).isTrue();
            assertThat(contents(store)).isEqualTo(Map.of("a", "2", "b", "2"));
        }
    }

    @Test
    void brokenTransferStreamChangesNothing() throws Exception {
        Path a = tmp.resolve("a");
        try (Store source = Store.open(config(a, FsyncPolicy.NO));
                Store target = Store.open(config(tmp.resolve("b"), FsyncPolicy.NO))) {
            for (int i = 0; i < 100; i++) {
                source.apply(Mutation.of(Op.PUT, b("k" + i), b("v" + i)));
            }
            target.apply(Mutation.of(Op.PUT, b("mine"), b("kept")));
            byte[] bytes;
            try (SnapshotHandle h = source.snapshotForTransfer();
                    InputStream in = h.openStream()) {
                bytes = in.readAllBytes();
            }
            byte[] torn = java.util.Arrays.copyOf(bytes, bytes.length / 2);
            assertThatThrownBy(() -> target.installSnapshot(new ByteArrayInputStream(torn)))
                    .isInstanceOf(IOException.class);
            bytes[bytes.length - 30] ^= 1;
            assertThatThrownBy(() -> target.installSnapshot(new ByteArrayInputStream(bytes)))
                    .isInstanceOf(IOException.class)
                    .hasMessageContaining("crc");
            assertThat(contents(target)).containsExactly(Map.entry("mine", "kept"));
            assertThat(target.lastOffset()).isEqualTo(1);
        }
    }

    /** A crash right after the install's commit point: install.snap is in place, the old log still there. */
    @Test
    void crashMidInstallRecoversTheInstalledSnapshotWithoutTheOldLog() throws Exception {
        Path a = tmp.resolve("a");
        Path bDir = tmp.resolve("b");
        Map<String, String> sourceContents;
        long snapOffset;
        try (Store source = Store.open(config(a, FsyncPolicy.NO))) {
            for (int i = 0; i < 60; i++) {
                source.apply(Mutation.of(Op.PUT, b("src" + i), b("v" + i)));
            }
            snapOffset = source.snapshotNow().get(10, TimeUnit.SECONDS);
            sourceContents = contents(source);
        }
        try (Store target = Store.open(config(bDir, FsyncPolicy.NO))) {
            for (int i = 0; i < 200; i++) { // more records than the snapshot's offset: must not be mixed in
                target.apply(Mutation.of(Op.PUT, b("old" + i), b("x")));
            }
            target.snapshotNow().get(10, TimeUnit.SECONDS);
        }
        // The state a crash leaves after the rename to install.snap: old snapshot, old log, new file.
        Files.copy(SnapshotFiles.pathFor(a, snapOffset), bDir.resolve(SnapshotFiles.INSTALL));
        Files.write(bDir.resolve("install.snap.tmp"), new byte[] {9, 9});
        try (Store target = Store.open(config(bDir, FsyncPolicy.NO))) {
            assertThat(target.lastOffset()).isEqualTo(snapOffset);
            assertThat(contents(target)).isEqualTo(sourceContents);
            target.apply(Mutation.of(Op.PUT, b("next"), b("1")));
        }
        assertThat(bDir.resolve(SnapshotFiles.INSTALL)).doesNotExist();
        try (Store target = Store.open(config(bDir, FsyncPolicy.NO))) {
            Map<String, String> expected = new TreeMap<>(sourceContents);
            expected.put("next", "1");
            assertThat(contents(target)).isEqualTo(expected);
            assertThat(target.lastOffset()).isEqualTo(snapOffset + 1);
        }
    }

    /** A crash before the commit point leaves only a temp file: the old contents stay. */
    @Test
    void crashBeforeTheInstallCommitsKeepsTheOldContents() throws Exception {
        Path dir = tmp.resolve("c");
        Map<String, String> model = new HashMap<>();
        try (Store store = Store.open(config(dir, FsyncPolicy.NO))) {
            for (int i = 0; i < 10; i++) {
                write(store, model, "k" + i, "v" + i);
            }
        }
        Files.write(dir.resolve("install.snap.tmp"), new byte[] {1, 2, 3, 4});
        try (Store store = Store.open(config(dir, FsyncPolicy.NO))) {
            assertThat(contents(store)).isEqualTo(new TreeMap<>(model));
            assertThat(store.lastOffset()).isEqualTo(10);
        }
    }
}
