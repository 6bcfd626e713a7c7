package dev.pbkv.store.map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class SlabArenaTest {
    @Test
    void allocatesASlabOnlyWhenAPageOfItIsFirstHandedOut() {
        SlabArena arena = new SlabArena(256L << 20, SlabArena.DEFAULT_PAGE_SIZE);
        assertThat(arena.allocatedSlabs()).isZero();
        assertThat(arena.safeValue(0, 1)).isNull();
        int pagesPerSlab = SlabArena.SLAB_BYTES / arena.pageSize();
        List<Long> pages = new ArrayList<>();
        for (int i = 0; i < pagesPerSlab; i++) {
            pages.add(arena.allocate(arena.maxItemSize()));
        }
        assertThat(arena.allocatedSlabs()).isEqualTo(1);
        long next = arena.allocate(arena.maxItemSize());
        assertThat(next).isNotNegative();
        assertThat(arena.allocatedSlabs()).isEqualTo(2);
        arena.writeItem(next, new byte[] {1}, new byte[] {2, 3}, 7, 0);
        assertThat(arena.value(next)).containsExactly(2, 3);
        assertThat(arena.safeKeyEquals(3L * SlabArena.SLAB_BYTES, new byte[] {1}))
                .isFalse();
        assertThat(arena.safeValue(3L * SlabArena.SLAB_BYTES, 1)).isNull();
        assertThat(arena.safeWriteOffset(3L * SlabArena.SLAB_BYTES)).isZero();
        assertThat(arena.safeDeadline(3L * SlabArena.SLAB_BYTES)).isZero();
    }

    @Test
    void allocatesUntilFullAndGivesEveryPageBackWhenAllIsFreed() {
        SlabArena arena = new SlabArena(1 << 20, 64 << 10);
        assertThat(arena.pageSize()).isEqualTo(64 << 10);
        assertThat(arena.freePages()).isEqualTo(16);
        SplittableRandom rnd = new SplittableRandom(5);
        List<Long> addresses = new ArrayList<>();
        long used = 0;
        while (true) {
            int size = 17 + rnd.nextInt(5000);
            long a = arena.allocate(size);
            if (a < 0) {
                break;
            }
            assertThat(a % 8).isZero();
            assertThat(arena.slotSizeOf(a)).isGreaterThanOrEqualTo(size);
            used += arena.slotSizeOf(a);
            addresses.add(a);
        }
        assertThat(arena.usedBytes()).isEqualTo(used);
        assertThat(arena.freePages()).isZero();
        assertThat(addresses).doesNotHaveDuplicates();
        for (long a : addresses) {
            arena.free(a);
        }
        assertThat(arena.usedBytes()).isZero();
        assertThat(arena.freePages()).isEqualTo(16);
    }

    /** What an optimistic reader may do: read any address while slots hold anything. */
    @Test
    void safeReadersNeverThrowOnArbitraryAddressesAndContents() {
        SlabArena arena = new SlabArena(1 << 20, 64 << 10);
        SplittableRandom rnd = new SplittableRandom(9);
        for (int i = 0; i < 2000; i++) {
            byte[] key = new byte[1 + rnd.nextInt(40)];
            byte[] value = new byte[rnd.nextInt(400)];
            rnd.nextBytes(key);
            rnd.nextBytes(value);
            long a = arena.allocate(SlabArena.HEADER + key.length + value.length);
            if (a >= 0) {
                arena.writeItem(a, key, value, i, 0);
            }
        }
        byte[] probe = new byte[8];
        for (int i = 0; i < 200_000; i++) {
            long address = rnd.nextInt(4) == 0 ? rnd.nextLong() : rnd.nextLong(arena.capacityBytes() + 4096);
            int keyLength = rnd.nextInt(2000);
            byte[] v = arena.safeValue(address, keyLength);
            if (v != null) {
                assertThat(v.length).isLessThanOrEqualTo(arena.pageSize());
            }
            arena.safeKeyEquals(address, probe);
            arena.safeWriteOffset(address);
        }
    }

    @Test
    void sizeClassesCoverEveryItemUpToAPage() {
        SlabArena arena = new SlabArena(8 << 20, SlabArena.DEFAULT_PAGE_SIZE);
        int[] sizes = arena.classSizes();
        assertThat(sizes).hasSize(48).startsWith(48, 64, 80, 104, 136);
        assertThat(sizes[sizes.length - 1]).isEqualTo(2 << 20);
        assertThat(arena.classOf(1)).isZero();
        assertThat(arena.classOf(136)).isEqualTo(4);
        assertThat(arena.classOf(137)).isEqualTo(5);
        assertThat(sizes[arena.classOf(SlabArena.HEADER + 1024 + (1 << 20))]).isEqualTo(1_120_600);
    }

    @Test
    void arenaThatDoesNotFitTheHeapFailsWithAClearMessage() {
        long tooBig = Runtime.getRuntime().maxMemory() * 4;
        assertThatThrownBy(() -> new SlabArena(tooBig, SlabArena.DEFAULT_PAGE_SIZE))
                .isInstanceOfAny(IllegalStateException.class, IllegalArgumentException.class)
                .hasMessageContaining("store.memory");
    }
}
