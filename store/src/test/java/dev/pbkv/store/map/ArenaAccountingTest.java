package dev.pbkv.store.map;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pbkv.store.WriteOutcome;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The arena gives back what it takes, refuses when full without harm, and recovers after deletes. */
class ArenaAccountingTest {
    /** 1 MiB arena cut into 16 pages of 64 KiB. */
    private static BucketedMap smallMap() {
        return new BucketedMap(new MapConfig(4, 1L << 20), 64 << 10);
    }

    private static byte[] key(int i) {
        return ByteBuffer.allocate(8).putLong(i * 0x9E3779B97F4A7C15L | 1).array();
    }

    @Test
    void insertDeleteCyclesOfRandomSizesReturnUsedBytesToBaseline() {
        try (BucketedMap map = new BucketedMap(new MapConfig(8, 32L << 20), 256 << 10)) {
            map.put(key(-1), new byte[10], 0);
            long baseline = map.memoryStats().usedBytes();
            Random rnd = new Random(3);
            Map<Integer, Integer> live = new HashMap<>();
            for (int cycle = 0; cycle < 20; cycle++) {
                for (int i = 0; i < 2000; i++) {
                    int k = rnd.nextInt(3000);
                    // Sizes across many classes, including replaces that change class.
                    int size = rnd.nextInt(4) == 0 ? rnd.nextInt(60_000) : rnd.nextInt(300);
                    WriteOutcome r = map.put(key(k), new byte[size], i);
                    assertThat(r).isIn(WriteOutcome.CREATED, WriteOutcome.REPLACED);
                    live.put(k, size);
                }
                for (Integer k : new ArrayList<>(live.keySet())) {
                    if (rnd.nextBoolean()) {
                        assertThat(map.delete(key(k), 1)).isEqualTo(WriteOutcome.DELETED);
                        live.remove(k);
                    }
                }
                assertThat(map.count()).isEqualTo(live.size() + 1);
            }
            for (Integer k : live.keySet()) {
                assertThat(map.get(key(k))).hasSize(live.get(k));
                assertThat(map.delete(key(k), 2)).isEqualTo(WriteOutcome.DELETED);
            }
            assertThat(map.memoryStats().usedBytes()).isEqualTo(baseline);
            assertThat(map.count()).isEqualTo(1);
        }
    }

    @Test
    void fullArenaRefusesInsertThenAcceptsAgainAfterDeletes() {
        try (BucketedMap map = smallMap()) {
            byte[] value = new byte[100];
            int stored = 0;
            WriteOutcome r;
            while ((r = map.insert(key(stored), value, stored)) == WriteOutcome.CREATED) {
                stored++;
            }
            assertThat(r).isEqualTo(WriteOutcome.OUT_OF_MEMORY);
            // 16 pages of 64 KiB in 136-byte slots (16 + 8 + 100 = 124 bytes each).
            assertThat(stored).isEqualTo(16 * ((64 << 10) / 136));
            assertThat(map.count()).isEqualTo(stored);
            assertThat(map.exists(key(stored))).isFalse();
            assertThat(map.put(key(stored), value, 0)).isEqualTo(WriteOutcome.OUT_OF_MEMORY);
            long full = map.memoryStats().usedBytes();

            for (int i = 0; i < 10; i++) {
                assertThat(map.delete(key(i), 1)).isEqualTo(WriteOutcome.DELETED);
            }
            for (int i = 0; i < 10; i++) {
                assertThat(map.insert(key(stored + i), value, 2)).isEqualTo(WriteOutcome.CREATED);
            }
            assertThat(map.insert(key(stored + 10), value, 2)).isEqualTo(WriteOutcome.OUT_OF_MEMORY);
            assertThat(map.memoryStats().usedBytes()).isEqualTo(full);
            // Everything still readable.
            for (int i = 10; i < stored + 10; i++) {
                assertThat(map.get(key(i))).hasSize(100);
            }
        }
    }

    @Test
    void replaceNeedingABiggerSlotFailsWithoutLosingTheOldValue() {
        try (BucketedMap map = smallMap()) {
            int stored = 0;
            while (map.insert(key(stored), new byte[100], stored) == WriteOutcome.CREATED) {
                stored++;
            }
            byte[] old = map.get(key(5));
            assertThat(map.put(key(5), new byte[400], 99)).isEqualTo(WriteOutcome.OUT_OF_MEMORY);
            assertThat(map.update(key(5), new byte[400], 99)).isEqualTo(WriteOutcome.OUT_OF_MEMORY);
            assertThat(map.get(key(5))).isEqualTo(old);
            assertThat(map.lookup(key(5)).offset()).isEqualTo(5);
            // Same slot class: replaced in place even when full.
            assertThat(map.put(key(5), new byte[101], 100)).isEqualTo(WriteOutcome.REPLACED);
            assertThat(map.get(key(5))).hasSize(101);
        }
    }

    @Test
    void pagesFreedByOneSizeClassServeAnother() {
        try (BucketedMap map = smallMap()) {
            int small = 0;
            while (map.insert(key(small), new byte[30], 0) == WriteOutcome.CREATED) {
                small++;
            }
            assertThat(map.insert(key(1_000_000), new byte[3000], 0)).isEqualTo(WriteOutcome.OUT_OF_MEMORY);
            for (int i = 0; i < small; i++) {
                map.delete(key(i), 1);
            }
            assertThat(map.memoryStats().usedBytes()).isZero();
            int big = 0;
            while (map.insert(key(1_000_000 + big), new byte[3000], 0) == WriteOutcome.CREATED) {
                big++;
            }
            // 16 pages, each holding as many of the 3 KiB-class slots as fit.
            int slot = java.util.Arrays.stream(map.slotSizes())
                    .filter(s -> s >= 3000 + 16 + 8)
                    .findFirst()
                    .orElseThrow();
            assertThat(big).isEqualTo(16 * ((64 << 10) / slot));
        }
    }

    @Test
    void insertUntilFullDeleteAllAndRefillTheSameSizes() {
        try (BucketedMap map = smallMap()) {
            Random rnd = new Random(11);
            List<Integer> sizes = new ArrayList<>();
            int n = 0;
            while (true) {
                int size = rnd.nextInt(2000);
                if (map.insert(key(n), new byte[size], n) != WriteOutcome.CREATED) {
                    break;
                }
                sizes.add(size);
                n++;
            }
            for (int i = 0; i < n; i++) {
                map.delete(key(i), 1);
            }
            assertThat(map.memoryStats().usedBytes()).isZero();
            for (int i = 0; i < n; i++) {
                assertThat(map.insert(key(i), new byte[sizes.get(i)], 2)).isEqualTo(WriteOutcome.CREATED);
            }
            assertThat(map.count()).isEqualTo(n);
        }
    }
}
