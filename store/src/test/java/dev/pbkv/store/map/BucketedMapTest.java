package dev.pbkv.store.map;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pbkv.store.WriteOutcome;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class BucketedMapTest {
    private final BucketedMap map = new BucketedMap(new MapConfig(4, 8L << 20));

    @AfterEach
    void close() {
        map.close();
    }

    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void insertStoresAbsentKeyAndRefusesPresentOne() {
        assertThat(map.insert(b("k"), b("v1"), 1)).isEqualTo(WriteOutcome.CREATED);
        assertThat(map.insert(b("k"), b("v2"), 2)).isEqualTo(WriteOutcome.PRESENT);
        assertThat(map.lookup(b("k"))).satisfies(l -> {
            assertThat(l.value()).isEqualTo(b("v1"));
            assertThat(l.offset()).isEqualTo(1);
        });
        assertThat(map.count()).isEqualTo(1);
    }

    @Test
    void updateReplacesPresentKeyOnly() {
        assertThat(map.update(b("k"), b("v"), 1)).isEqualTo(WriteOutcome.ABSENT);
        assertThat(map.exists(b("k"))).isFalse();
        map.insert(b("k"), b("v1"), 2);
        assertThat(map.update(b("k"), b("v2"), 3)).isEqualTo(WriteOutcome.REPLACED);
        assertThat(map.get(b("k"))).isEqualTo(b("v2"));
        assertThat(map.lookup(b("k")).offset()).isEqualTo(3);
        assertThat(map.count()).isEqualTo(1);
    }

    @Test
    void putInsertsThenReplaces() {
        assertThat(map.put(b("k"), b("v1"), 1)).isEqualTo(WriteOutcome.CREATED);
        assertThat(map.put(b("k"), b("v2"), 2)).isEqualTo(WriteOutcome.REPLACED);
        assertThat(map.get(b("k"))).isEqualTo(b("v2"));
        assertThat(map.count()).isEqualTo(1);
    }

    @Test
    void replaceWithValueOfAnotherSizeClassMovesTheItem() {
        map.put(b("k"), new byte[10], 1);
        long usedSmall = map.memoryStats().usedBytes();
        byte[] big = new byte[5000];
        new Random(1).nextBytes(big);
        assertThat(map.put(b("k"), big, 2)).isEqualTo(WriteOutcome.REPLACED);
        assertThat(map.get(b("k"))).isEqualTo(big);
        assertThat(map.memoryStats().usedBytes()).isGreaterThan(usedSmall);
        assertThat(map.update(b("k"), b("small"), 3)).isEqualTo(WriteOutcome.REPLACED);
        assertThat(map.get(b("k"))).isEqualTo(b("small"));
        assertThat(map.memoryStats().usedBytes()).isEqualTo(usedSmall);
    }

    @Test
    void deleteRemovesPresentKeyAndRecordsItsOffsetForAbsentReads() {
        assertThat(map.delete(b("k"), 1)).isEqualTo(WriteOutcome.ABSENT);
        assertThat(map.lookup(b("k")).offset()).isZero();
        map.insert(b("k"), b("v"), 2);
        assertThat(map.delete(b("k"), 3)).isEqualTo(WriteOutcome.DELETED);
        assertThat(map.exists(b("k"))).isFalse();
        assertThat(map.get(b("k"))).isNull();
        Lookup absent = map.lookup(b("k"));
        assertThat(absent.found()).isFalse();
        assertThat(absent.offset()).isEqualTo(3);
        assertThat(map.delete(b("k"), 4)).isEqualTo(WriteOutcome.ABSENT);
        assertThat(map.lookup(b("k")).offset()).isEqualTo(3);
        assertThat(map.count()).isZero();
    }

    @Test
    void emptyOrNullKeyOrNullValueIsInvalid() {
        assertThat(map.insert(new byte[0], b("v"), 1)).isEqualTo(WriteOutcome.REJECTED);
        assertThat(map.put(null, b("v"), 1)).isEqualTo(WriteOutcome.REJECTED);
        assertThat(map.update(b("k"), null, 1)).isEqualTo(WriteOutcome.REJECTED);
        assertThat(map.delete(new byte[0], 1)).isEqualTo(WriteOutcome.REJECTED);
        assertThat(map.lookup(new byte[0]).found()).isFalse();
        assertThat(map.exists(null)).isFalse();
        assertThat(map.count()).isZero();
    }

    @Test
    void emptyValueIsStored() {
        assertThat(map.put(b("k"), new byte[0], 1)).isEqualTo(WriteOutcome.CREATED);
        assertThat(map.get(b("k"))).isEmpty();
        assertThat(map.exists(b("k"))).isTrue();
    }

    @Test
    void itemTooBigForTheArenaIsInvalidAndChangesNothing() {
        map.put(b("k"), b("v"), 1);
        byte[] tooBig = new byte[map.maxEntryBytes()];
        assertThat(map.put(b("k"), tooBig, 2)).isEqualTo(WriteOutcome.REJECTED);
        assertThat(map.insert(b("other"), tooBig, 2)).isEqualTo(WriteOutcome.REJECTED);
        assertThat(map.get(b("k"))).isEqualTo(b("v"));
        byte[] fits = new byte[map.maxEntryBytes() - 5];
        assertThat(map.put(b("other"), fits, 3)).isEqualTo(WriteOutcome.CREATED);
        assertThat(map.get(b("other"))).hasSize(fits.length);
    }

    @Test
    void defaultMapHoldsOneMebibyteValueWithOneKibibyteKey() {
        try (BucketedMap defaults = new BucketedMap(MapConfig.defaults())) {
            byte[] key = new byte[1024];
            byte[] value = new byte[1 << 20];
            new Random(7).nextBytes(key);
            new Random(8).nextBytes(value);
            key[0] = 1;
            assertThat(defaults.insert(key, value, 5)).isEqualTo(WriteOutcome.CREATED);
            assertThat(defaults.get(key)).isEqualTo(value);
            assertThat(defaults.maxEntryBytes()).isGreaterThanOrEqualTo((1 << 20) + 1024);
        }
    }

    @Test
    void forEachInBucketVisitsEachEntryOfThatBucketOnce() {
        Map<String, String> expected = new HashMap<>();
        for (int i = 0; i < 500; i++) {
            map.put(b("key" + i), b("value" + i), i + 1);
            expected.put("key" + i, "value" + i);
        }
        Map<String, String> seen = new HashMap<>();
        for (int bucket = 0; bucket < map.bucketCount(); bucket++) {
            int current = bucket;
            map.forEachInBucket(bucket, (k, v, off) -> {
                assertThat(map.bucketOf(k)).isEqualTo(current);
                assertThat(off).isEqualTo(Long.parseLong(new String(k, StandardCharsets.UTF_8).substring(3)) + 1);
                assertThat(seen.put(new String(k, StandardCharsets.UTF_8), new String(v, StandardCharsets.UTF_8)))
                        .isNull();
            });
        }
        assertThat(seen).isEqualTo(expected);
    }

    @Test
    void visitorMayWriteToTheMapWithoutDeadlock() {
        map.put(b("a"), b("1"), 1);
        int bucket = map.bucketOf(b("a"));
        List<String> visited = new ArrayList<>();
        map.forEachInBucket(bucket, (k, v, off) -> {
            visited.add(new String(k, StandardCharsets.UTF_8));
            map.delete(k, 2);
        });
        assertThat(visited).containsExactly("a");
        assertThat(map.count()).isZero();
    }

    @Test
    void clearFreesEverything() {
        long baseline = map.memoryStats().usedBytes();
        for (int i = 0; i < 1000; i++) {
            map.put(b("key" + i), new byte[i % 300], i);
        }
        map.clear();
        assertThat(map.count()).isZero();
        assertThat(map.memoryStats().usedBytes()).isEqualTo(baseline).isZero();
        assertThat(map.get(b("key1"))).isNull();
        assertThat(map.put(b("key1"), b("again"), 2000)).isEqualTo(WriteOutcome.CREATED);
    }

    @Test
    void memoryStatsReportCapacityUsedIndexAndEntries() {
        MemoryStats empty = map.memoryStats();
        assertThat(empty.capacityBytes()).isEqualTo(8L << 20);
        assertThat(empty.usedBytes()).isZero();
        assertThat(empty.indexBytes()).isPositive();
        map.put(b("key"), new byte[100], 1);
        MemoryStats one = map.memoryStats();
        assertThat(one.entries()).isEqualTo(1);
        // 16-byte header + 3 + 100 = 119 bytes, held in the smallest slot that fits.
        int slot = java.util.Arrays.stream(map.slotSizes())
                .filter(s -> s >= 119)
                .findFirst()
                .orElseThrow();
        assertThat(one.usedBytes()).isEqualTo(slot);
    }

    @Test
    void slotSizesGrowByAboutAQuarterUpToAPage() {
        int[] sizes = map.slotSizes();
        assertThat(sizes[0]).isEqualTo(SlabArena.MIN_SLOT);
        for (int i = 1; i < sizes.length - 1; i++) {
            assertThat(sizes[i] % 8).isZero();
            assertThat((double) sizes[i] / sizes[i - 1]).isBetween(1.15, 1.35);
        }
        assertThat(sizes[sizes.length - 1]).isEqualTo(map.maxEntryBytes() + SlabArena.HEADER);
    }

    /** Many keys in one bucket: exercises table growth, probing and back-shifting deletes. */
    @Test
    void randomOperationsMatchAHashMapModel() {
        try (BucketedMap one = new BucketedMap(new MapConfig(1, 16L << 20), 64 << 10)) {
            Map<String, byte[]> model = new HashMap<>();
            Random rnd = new Random(42);
            for (int step = 0; step < 200_000; step++) {
                String k = "k" + rnd.nextInt(5000);
                byte[] v = new byte[rnd.nextInt(40)];
                rnd.nextBytes(v);
                int op = rnd.nextInt(5);
                WriteOutcome r;
                switch (op) {
                    case 0 -> {
                        r = one.insert(b(k), v, step);
                        assertThat(r).isEqualTo(model.containsKey(k) ? WriteOutcome.PRESENT : WriteOutcome.CREATED);
                        model.putIfAbsent(k, v);
                    }
                    case 1 -> {
                        r = one.update(b(k), v, step);
                        assertThat(r).isEqualTo(model.containsKey(k) ? WriteOutcome.REPLACED : WriteOutcome.ABSENT);
                        model.replace(k, v);
                    }
                    case 2 -> {
                        r = one.put(b(k), v, step);
                        assertThat(r).isEqualTo(model.containsKey(k) ? WriteOutcome.REPLACED : WriteOutcome.CREATED);
                        model.put(k, v);
                    }
                    case 3 -> {
                        r = one.delete(b(k), step);
                        assertThat(r).isEqualTo(model.remove(k) != null ? WriteOutcome.DELETED : WriteOutcome.ABSENT);
                    }
                    default -> assertThat(one.get(b(k))).isEqualTo(model.get(k));
                }
            }
            assertThat(one.count()).isEqualTo(model.size());
            for (Map.Entry<String, byte[]> e : model.entrySet()) {
                assertThat(one.get(b(e.getKey()))).isEqualTo(e.getValue());
            }
        }
    }
}
