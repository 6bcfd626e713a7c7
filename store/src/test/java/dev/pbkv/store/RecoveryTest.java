package dev.pbkv.store;

import static dev.pbkv.store.TestStores.b;
import static dev.pbkv.store.TestStores.config;
import static dev.pbkv.store.TestStores.contents;
import static dev.pbkv.store.TestStores.write;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pbkv.store.log.RecordCodec;
import dev.pbkv.store.log.SegmentedLog;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RecoveryTest {
    @TempDir
    Path tmp;

    /** Writes records k0..k(n-1) (every third a delete of an earlier key) and returns the model after each count. */
    private static List<Map<String, String>> writeHistory(Store store, int n) {
        List<Map<String, String>> after = new java.util.ArrayList<>();
        Map<String, String> model = new TreeMap<>();
        after.add(new TreeMap<>(model));
        for (int i = 0; i < n; i++) {
            if (i % 3 == 2) {
                write(store, model, "k" + (i - 1), null);
            } else {
                write(store, model, "k" + i, "value-" + i + "-" + "x".repeat(i % 7));
            }
            after.add(new TreeMap<>(model));
        }
        return after;
    }

    @Test
    void logCutAtEveryByteOfItsLastRecordRecoversExactlyTheRecordsBeforeIt() throws Exception {
        Path dir = tmp.resolve("base");
        List<Map<String, String>> history;
        try (Store store = Store.open(config(dir, FsyncPolicy.NO))) {
            history = writeHistory(store, 20);
        }
        Path segment = TestStores.segmentFiles(dir).get(0);
        long fullSize = Files.size(segment);
        // The last record is k19's put: its encoded size is known from the codec.
        int lastSize = RecordCodec.HEADER_BYTES
                + RecordCodec.MIN_BODY_BYTES
                + b("k19").length
                + b("value-19-" + "x".repeat(19 % 7)).length;
        long lastStart = fullSize - lastSize;
        for (long cut = lastStart; cut < fullSize; cut++) {
            Path copy = tmp.resolve("cut-" + cut);
            TestStores.copyDir(dir, copy);
            Path seg = copy.resolve(segment.getFileName());
            try (FileChannel ch = FileChannel.open(seg, StandardOpenOption.WRITE)) {
                ch.truncate(cut);
            }
            try (TestStores.Warnings warnings = new TestStores.Warnings(SegmentedLog.class);
                    Store store = Store.open(config(copy, FsyncPolicy.NO))) {
                assertThat(store.lastOffset()).as("cut at %d", cut).isEqualTo(19);
                assertThat(contents(store)).as("cut at %d", cut).isEqualTo(history.get(19));
                if (cut == lastStart) {
                    assertThat(warnings.lines()).isEmpty();
                } else {
                    assertThat(warnings.lines()).hasSize(1);
                    assertThat(warnings.lines().get(0)).contains((cut - lastStart) + " bytes dropped");
                }
                // The store goes on from the cut: the next record takes offset 20.
                assertThat(store.apply(Mutation.of(Op.PUT, b("after"), b("cut")))
                                .offset())
                        .isEqualTo(20);
            }
            assertThat(Files.size(seg))
                    .isEqualTo(lastStart
                            + RecordCodec.HEADER_BYTES
                            + RecordCodec.MIN_BODY_BYTES
                            + "after".length()
                            + "cut".length());
        }
    }

    /** File position of record number n (1-based) in the first segment of a history written by writeHistory. */
    private static long positionOf(int n) {
        long p = SegmentedLog.SEGMENT_HEADER_BYTES;
        for (int i = 0; i < n - 1; i++) {
            String key = i % 3 == 2 ? "k" + (i - 1) : "k" + i;
            String value = i % 3 == 2 ? "" : "value-" + i + "-" + "x".repeat(i % 7);
            p += RecordCodec.HEADER_BYTES + RecordCodec.MIN_BODY_BYTES + key.length() + value.length();
        }
        return p;
    }

    private void damagedRecordIsCutWithWhatFollows(long bitPositionInRecord, int brokenRecord) throws Exception {
        Path dir = tmp.resolve("d");
        List<Map<String, String>> history;
        try (Store store = Store.open(config(dir, FsyncPolicy.NO))) {
            history = writeHistory(store, 10);
        }
        Path segment = TestStores.segmentFiles(dir).get(0);
        long size = Files.size(segment);
        long start = positionOf(brokenRecord);
        TestStores.flipBit(segment, start + bitPositionInRecord, 3);
        try (TestStores.Warnings warnings = new TestStores.Warnings(SegmentedLog.class);
                Store store = Store.open(config(dir, FsyncPolicy.NO))) {
            assertThat(store.lastOffset()).isEqualTo(brokenRecord - 1);
            assertThat(contents(store)).isEqualTo(history.get(brokenRecord - 1));
            assertThat(warnings.lines()).singleElement().asString().contains((size - start) + " bytes dropped");
        }
        assertThat(Files.size(segment)).isEqualTo(start);
    }

    @Test
    void flippedBitInACrcCutsThatRecordAndEverythingAfterIt() throws Exception {
        damagedRecordIsCutWithWhatFollows(5, 6);
    }

    @Test
    void flippedBitInAPayloadCutsThatRecordAndEverythingAfterIt() throws Exception {
        damagedRecordIsCutWithWhatFollows(RecordCodec.HEADER_BYTES + 45, 10);
    }

    @Test
    void flippedBitInALengthCutsThatRecordAndEverythingAfterIt() throws Exception {
        damagedRecordIsCutWithWhatFollows(3, 4);
    }

    @Test
    void snapshotPlusTailRecoversTheWholeHistory() throws Exception {
        Path dir = tmp.resolve("s");
        Map<String, String> model = new HashMap<>();
        try (Store store = Store.open(config(dir, FsyncPolicy.ALWAYS))) {
            for (int i = 0; i < 100; i++) {
                write(store, model, "k" + i, "v" + i);
            }
            assertThat(store.snapshotNow().get()).isEqualTo(100);
            for (int i = 0; i < 50; i++) {
                write(store, model, "k" + (i * 2), i % 2 == 0 ? null : "w" + i);
            }
        }
        assertThat(TestStores.snapshotFiles(dir)).hasSize(1);
        try (Store store = Store.open(config(dir, FsyncPolicy.ALWAYS))) {
            assertThat(store.lastOffset()).isEqualTo(150);
            assertThat(contents(store)).isEqualTo(new TreeMap<>(model));
        }
    }

    @Test
    void damagedNewestSnapshotFallsBackToTheOlderOne() throws Exception {
        Path dir = tmp.resolve("f");
        Map<String, String> model = new HashMap<>();
        try (Store store = Store.open(config(dir, FsyncPolicy.NO))) {
            for (int i = 0; i < 50; i++) {
                write(store, model, "k" + i, "v" + i);
            }
            store.snapshotNow().get();
            for (int i = 0; i < 50; i++) {
                write(store, model, "k" + i, i % 5 == 0 ? null : "w" + i);
            }
            store.snapshotNow().get();
            write(store, model, "last", "one");
        }
        List<Path> snaps = TestStores.snapshotFiles(dir);
        assertThat(snaps).hasSize(2);
        Path newest = snaps.get(1);
        TestStores.flipBit(newest, Files.size(newest) / 2, 0);
        try (TestStores.Warnings warnings = new TestStores.Warnings(StoreRecovery.class);
                Store store = Store.open(config(dir, FsyncPolicy.NO))) {
            assertThat(contents(store)).isEqualTo(new TreeMap<>(model));
            assertThat(store.lastOffset()).isEqualTo(101);
            assertThat(warnings.lines()).anyMatch(l -> l.contains("unusable"));
        }
    }

    @Test
    void noUsableSnapshotAndATruncatedLogIsAClearError() throws Exception {
        Path dir = tmp.resolve("n");
        // Tiny segments and no retained tail: the snapshot lets the log drop its first segments.
        try (Store store = Store.open(config(dir, FsyncPolicy.NO, 16384, 0))) {
            for (int i = 0; i < 400; i++) {
                store.apply(Mutation.of(Op.PUT, b("key" + i), b("value" + i)));
            }
            store.snapshotNow().get();
            assertThat(store.logBaseOffset()).isPositive();
        }
        for (Path snap : TestStores.snapshotFiles(dir)) {
            Files.delete(snap);
        }
        assertThatThrownBy(() -> Store.open(config(dir, FsyncPolicy.NO, 16384, 0)))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("no usable snapshot");
    }

    @Test
    void leftoverTemporaryFilesAreIgnoredAndRemoved() throws Exception {
        Path dir = tmp.resolve("t");
        Map<String, String> model = new HashMap<>();
        try (Store store = Store.open(config(dir, FsyncPolicy.ALWAYS))) {
            write(store, model, "a", "1");
        }
        Files.write(dir.resolve("snapshot-00000000000000000099.snap.tmp"), new byte[] {1, 2, 3});
        try (Store store = Store.open(config(dir, FsyncPolicy.ALWAYS))) {
            assertThat(contents(store)).isEqualTo(model);
        }
        assertThat(dir.resolve("snapshot-00000000000000000099.snap.tmp")).doesNotExist();
    }

    @Test
    void damageInAMiddleSegmentCutsTheLogThereAndDropsLaterSegments() throws Exception {
        Path dir = tmp.resolve("m");
        StoreConfig cfg = config(dir, FsyncPolicy.NO, 1L << 30, 4096);
        List<Map<String, String>> history;
        try (Store store = Store.open(cfg)) {
            history = writeHistory(store, 400);
        }
        List<Path> segments = TestStores.segmentFiles(dir);
        assertThat(segments.size()).isGreaterThan(3);
        Path second = segments.get(1);
        long secondBase = Long.parseLong(second.getFileName().toString().substring(4, 24));
        // Damage the third record of the second segment: records up to secondBase + 2 survive.
        long position = SegmentedLog.SEGMENT_HEADER_BYTES;
        for (long offset = secondBase + 1; offset < secondBase + 3; offset++) {
            int i = (int) offset - 1;
            String key = i % 3 == 2 ? "k" + (i - 1) : "k" + i;
            String value = i % 3 == 2 ? "" : "value-" + i + "-" + "x".repeat(i % 7);
            position += RecordCodec.HEADER_BYTES + RecordCodec.MIN_BODY_BYTES + key.length() + value.length();
        }
        TestStores.flipBit(second, position + RecordCodec.HEADER_BYTES + 20, 1);
        long expectedDrop = Files.size(second) - position;
        for (int i = 2; i < segments.size(); i++) {
            expectedDrop += Files.size(segments.get(i));
        }
        try (TestStores.Warnings warnings = new TestStores.Warnings(SegmentedLog.class);
                Store store = Store.open(cfg)) {
            assertThat(store.lastOffset()).isEqualTo(secondBase + 2);
            assertThat(contents(store)).isEqualTo(history.get((int) secondBase + 2));
            assertThat(warnings.lines()).singleElement().asString().contains(expectedDrop + " bytes dropped");
        }
        assertThat(TestStores.segmentFiles(dir)).hasSize(2);
    }
}
