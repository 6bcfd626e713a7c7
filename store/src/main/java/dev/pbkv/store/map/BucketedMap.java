package dev.pbkv.store.map;

import dev.pbkv.store.WriteOutcome;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.StampedLock;
import java.util.random.RandomGenerator;

/**
 * The in-memory map: keys and values are bytes kept in a {@link SlabArena}; the map is split into
 * buckets, each with its own {@link StampedLock} and its own open-addressing index.
 *
 * <p>A key's 64-bit {@link KeyHash} chooses its bucket (high bits) and its home slot in the
 * bucket's table (low bits). A table is a {@code long[]} with linear probing and no tombstones
 * (deletes shift the following entries back); an entry packs 24 bits of the hash (a filter that
 * saves most key comparisons, and the home slot while a table has at most 2^24 slots) and the
 * item's arena address / 8 + 1 in the low 40 bits (0 means empty). Tables double when 3/4 full.
 *
 * <p>Readers ({@link #lookup}, {@link #get}, {@link #exists}) first read optimistically and
 * validate the stamp, so they never block each other and never block writers; when a writer got in
 * between, they retry once under the read lock. Writers take their bucket's write lock; the arena's
 * own short lock is taken inside it when a slot is allocated or freed, never the other way round.
 * See docs/store.md.
 */
public final class BucketedMap implements AutoCloseable {
    private static final int INITIAL_TABLE = 16;
    private static final int HASH_BITS = 24;
    private static final long HASH_MASK = (1L << HASH_BITS) - 1;
    private static final long HANDLE_MASK = (1L << 40) - 1;
    private static final int NO_SLOT = Integer.MIN_VALUE;

    private final Bucket[] buckets;
    private final SlabArena arena;
    /**
     * Live entries in the whole map. Changed only by a writer holding the write lock of the bucket
     * it changes, in the same critical section as the change, so {@link #count} is linearizable
     * (a per-bucket sum read bucket by bucket would not be).
     */
    private final AtomicLong entries = new AtomicLong();
    /** The keys that have a deadline (see {@link ExpiryIndex} for its lock and the order). */
    private final ExpiryIndex expiring = new ExpiryIndex();

    private static final class Bucket {
        /**
         * Guards table, size and lastDeleteOffset, and the bytes of every arena item the table
         * points at. Write lock: any change of those. Optimistic read (validated) or read lock:
         * lookups and iteration.
         */
        final StampedLock lock = new StampedLock();

        long[] table = new long[INITIAL_TABLE];
        int size;
        long lastDeleteOffset;
    }

    public BucketedMap(MapConfig config) {
        this(config, SlabArena.DEFAULT_PAGE_SIZE);
    }

    /** With another arena page size: tests use small pages to fill a small arena quickly. */
    BucketedMap(MapConfig config, int pageSize) {
        this(config.buckets(), config.memoryBytes(), pageSize);
    }

    /** Without MapConfig's 1 MiB floor: the lincheck test builds thousands of tiny maps. */
    BucketedMap(int bucketCount, long memoryBytes, int pageSize) {
        arena = new SlabArena(memoryBytes, pageSize);
        buckets = new Bucket[bucketCount];
        for (int i = 0; i < bucketCount; i++) {
            buckets[i] = new Bucket();
        }
    }

    public int bucketCount() {
        return buckets.length;
    }

    /** The bucket that holds key; stable for the life of the map. */
    public int bucketOf(byte[] key) {
        return bucketIndex(KeyHash.of(key));
    }

    /** The largest key length + value length one entry may have in this map. */
    public int maxEntryBytes() {
        return arena.maxItemSize() - SlabArena.HEADER;
    }

    private int bucketIndex(long hash) {
        return (int) (((hash >>> 32) * buckets.length) >>> 32);
    }

    /** Stores key -> value only if key is absent: CREATED or PRESENT. */
    public WriteOutcome insert(byte[] key, byte[] value, long offset) {
        return write(key, value, offset, 0, true, false);
    }

    /** Replaces the value only if key is present: REPLACED or ABSENT. */
    public WriteOutcome update(byte[] key, byte[] value, long offset) {
        return write(key, value, offset, 0, false, true);
    }

    /** Stores key -> value either way: CREATED (was absent) or REPLACED. */
    public WriteOutcome put(byte[] key, byte[] value, long offset) {
        return write(key, value, offset, 0, true, true);
    }

    /** As {@link #insert}, the entry expiring at deadline (epoch milliseconds; 0: never). */
    public WriteOutcome insert(byte[] key, byte[] value, long offset, long deadline) {
        return write(key, value, offset, deadline, true, false);
    }

    /** As {@link #update}, the entry then expiring at deadline (0: never). */
    public WriteOutcome update(byte[] key, byte[] value, long offset, long deadline) {
        return write(key, value, offset, deadline, false, true);
    }

    /** As {@link #put}, the entry then expiring at deadline (0: never). */
    public WriteOutcome put(byte[] key, byte[] value, long offset, long deadline) {
        return write(key, value, offset, deadline, true, true);
    }

    private WriteOutcome write(
            byte[] key, byte[] value, long offset, long deadline, boolean mayCreate, boolean mayReplace) {
        if (key == null
                || key.length == 0
                || value == null
                || deadline < 0
                || SlabArena.HEADER + (long) key.length + value.length > arena.maxItemSize()) {
            return WriteOutcome.REJECTED;
        }
        int itemSize = SlabArena.HEADER + key.length + value.length;
        long hash = KeyHash.of(key);
        Bucket b = buckets[bucketIndex(hash)];
        long stamp = b.lock.writeLock();
        try {
            long[] table = b.table;
            int slot = probe(table, hash, key);
            if (slot >= 0) {
                if (!mayReplace) {
                    return WriteOutcome.PRESENT;
                }
                long old = addressOf(table[slot]);
                long oldDeadline = arena.deadline(old);
                if (arena.classOf(itemSize) == arena.classOf(arena.slotSizeOf(old))) {
                    arena.overwriteValue(old, value, offset, deadline);
                } else {
                    long fresh = arena.allocate(itemSize);
                    if (fresh < 0) {
                        return WriteOutcome.OUT_OF_MEMORY;
                    }
                    arena.writeItem(fresh, key, value, offset, deadline);
                    table[slot] = entry(hash, fresh);
                    arena.free(old);
                }
                if ((oldDeadline != 0) != (deadline != 0)) {
                    expiring.set(key, deadline != 0);
                }
                return WriteOutcome.REPLACED;
            }
            if (!mayCreate) {
                return WriteOutcome.ABSENT;
            }
            long address = arena.allocate(itemSize);
            if (address < 0) {
                return WriteOutcome.OUT_OF_MEMORY;
            }
            arena.writeItem(address, key, value, offset, deadline);
            if ((b.size + 1) * 4L > table.length * 3L) {
                table = grow(b);
                slot = probe(table, hash, key);
            }
            table[~slot] = entry(hash, address);
            b.size++;
            entries.incrementAndGet();
            if (deadline != 0) {
                expiring.set(key, true);
            }
            return WriteOutcome.CREATED;
        } finally {
            b.lock.unlockWrite(stamp);
        }
    }

    /**
     * Sets (deadline &gt; 0) or clears (0) the deadline of a present key, and its write offset:
     * REPLACED, or ABSENT. The value stays.
     */
    public WriteOutcome setDeadline(byte[] key, long deadline, long offset) {
        if (key == null || key.length == 0 || deadline < 0) {
            return WriteOutcome.REJECTED;
        }
        long hash = KeyHash.of(key);
        Bucket b = buckets[bucketIndex(hash)];
        long stamp = b.lock.writeLock();
        try {
            int slot = probe(b.table, hash, key);
            if (slot < 0) {
                return WriteOutcome.ABSENT;
            }
            long address = addressOf(b.table[slot]);
            long oldDeadline = arena.deadline(address);
            arena.setDeadline(address, deadline, offset);
            if ((oldDeadline != 0) != (deadline != 0)) {
                expiring.set(key, deadline != 0);
            }
            return WriteOutcome.REPLACED;
        } finally {
            b.lock.unlockWrite(stamp);
        }
    }

    /** Up to n keys drawn at random among those with a deadline (they may have changed since: look them up). */
    public List<byte[]> sampleExpiring(int n, RandomGenerator random) {
        return expiring.sample(n, random);
    }

    /** How many keys have a deadline (expired ones not yet removed included). */
    public int expiringCount() {
        return expiring.size();
    }

    /** Removes key: DELETED, or ABSENT. */
    public WriteOutcome delete(byte[] key, long offset) {
        if (key == null || key.length == 0) {
            return WriteOutcome.REJECTED;
        }
        long hash = KeyHash.of(key);
        Bucket b = buckets[bucketIndex(hash)];
        long stamp = b.lock.writeLock();
        try {
            long[] table = b.table;
            int slot = probe(table, hash, key);
            if (slot < 0) {
                return WriteOutcome.ABSENT;
            }
            long address = addressOf(table[slot]);
            if (arena.deadline(address) != 0) {
                expiring.set(key, false);
            }
            removeAt(table, slot);
            b.size--;
            entries.decrementAndGet();
            b.lastDeleteOffset = Math.max(b.lastDeleteOffset, offset);
            arena.free(address);
            return WriteOutcome.DELETED;
        } finally {
            b.lock.unlockWrite(stamp);
        }
    }

    /**
     * The value and the offset of its last write; for an absent key, null and the offset of the
     * newest delete in its bucket (see {@link Lookup}).
     */
    public Lookup lookup(byte[] key) {
        if (key == null || key.length == 0) {
            return new Lookup(null, 0);
        }
        long hash = KeyHash.of(key);
        Bucket b = buckets[bucketIndex(hash)];
        long stamp = b.lock.tryOptimisticRead();
        if (stamp != 0) {
            Lookup seen = read(b, hash, key);
            if (seen != null && b.lock.validate(stamp)) {
                return seen;
            }
        }
        stamp = b.lock.readLock();
        try {
            return read(b, hash, key);
        } finally {
            b.lock.unlockRead(stamp);
        }
    }

    /** Reads key in b; null when what it saw cannot be right (only possible without the lock). */
    private Lookup read(Bucket b, long hash, byte[] key) {
        long[] table = b.table;
        int slot = probe(table, hash, key);
        if (slot == NO_SLOT) {
            return null;
        }
        if (slot < 0) {
            return new Lookup(null, b.lastDeleteOffset);
        }
        long address = addressOf(table[slot]);
        byte[] value = arena.safeValue(address, key.length);
        return value == null ? null : new Lookup(value, arena.safeWriteOffset(address), arena.safeDeadline(address));
    }

    /** The value of key, or null when absent. Like {@link #lookup} without the offset. */
    public byte[] get(byte[] key) {
        if (key == null || key.length == 0) {
            return null;
        }
        long hash = KeyHash.of(key);
        Bucket b = buckets[bucketIndex(hash)];
        long stamp = b.lock.tryOptimisticRead();
        if (stamp != 0) {
            long[] table = b.table;
            int slot = probe(table, hash, key);
            if (slot != NO_SLOT) {
                byte[] value = slot < 0 ? null : arena.safeValue(addressOf(table[slot]), key.length);
                if ((slot < 0 || value != null) && b.lock.validate(stamp)) {
                    return value;
                }
            }
        }
        stamp = b.lock.readLock();
        try {
            int slot = probe(b.table, hash, key);
            return slot < 0 ? null : arena.value(addressOf(b.table[slot]));
        } finally {
            b.lock.unlockRead(stamp);
        }
    }

    public boolean exists(byte[] key) {
        if (key == null || key.length == 0) {
            return false;
        }
        long hash = KeyHash.of(key);
        Bucket b = buckets[bucketIndex(hash)];
        long stamp = b.lock.tryOptimisticRead();
        if (stamp != 0) {
            int slot = probe(b.table, hash, key);
            if (slot != NO_SLOT && b.lock.validate(stamp)) {
                return slot >= 0;
            }
        }
        stamp = b.lock.readLock();
        try {
            return probe(b.table, hash, key) >= 0;
        } finally {
            b.lock.unlockRead(stamp);
        }
    }

    /** Live entries; linearizable with the writes. */
    public long count() {
        return entries.get();
    }

    /**
     * Visits every entry of one bucket as it was at one instant: the entries are copied out under
     * the bucket's read lock, then visited without any lock (so a slow visitor, or one that writes
     * to this map, blocks nobody). Costs a copy of the bucket's data.
     */
    public void forEachInBucket(int bucket, EntryVisitor visitor) {
        Bucket b = buckets[bucket];
        List<byte[]> keys;
        List<byte[]> values;
        long[] offsets;
        long[] deadlines;
        long stamp = b.lock.readLock();
        try {
            keys = new ArrayList<>(b.size);
            values = new ArrayList<>(b.size);
            offsets = new long[b.size];
            deadlines = new long[b.size];
            for (long e : b.table) {
                if (e != 0) {
                    long address = addressOf(e);
                    deadlines[keys.size()] = arena.deadline(address);
                    offsets[keys.size()] = arena.writeOffset(address);
                    keys.add(arena.key(address));
                    values.add(arena.value(address));
                }
            }
        } finally {
            b.lock.unlockRead(stamp);
        }
        for (int i = 0; i < keys.size(); i++) {
            visitor.visit(keys.get(i), values.get(i), offsets[i], deadlines[i]);
        }
    }

    /** Removes every entry and frees the whole arena; bucket delete offsets are kept. */
    public void clear() {
        long[] stamps = new long[buckets.length];
        // Ascending bucket order: the only place holding more than one bucket lock.
        for (int i = 0; i < buckets.length; i++) {
            stamps[i] = buckets[i].lock.writeLock();
        }
        try {
            for (Bucket b : buckets) {
                b.table = new long[INITIAL_TABLE];
                b.size = 0;
            }
            entries.set(0);
            expiring.clear();
            arena.reset();
        } finally {
            for (int i = buckets.length - 1; i >= 0; i--) {
                buckets[i].lock.unlockWrite(stamps[i]);
            }
        }
    }

    /** Arena capacity and use (slot sizes of live items), bytes of the bucket tables, entries. */
    public MemoryStats memoryStats() {
        long indexBytes = 0;
        for (Bucket b : buckets) {
            long stamp = b.lock.readLock();
            try {
                indexBytes += 16 + 8L * b.table.length;
            } finally {
                b.lock.unlockRead(stamp);
            }
        }
        return new MemoryStats(arena.capacityBytes(), arena.usedBytes(), indexBytes, entries.get());
    }

    /** The slot sizes of the arena's size classes, smallest first (for docs and tests). */
    public int[] slotSizes() {
        return arena.classSizes();
    }

    @Override
    public void close() {
        clear();
    }

    // ---- the per-bucket table ----

    private static long entry(long hash, long address) {
        return ((hash & HASH_MASK) << 40) | ((address >>> 3) + 1);
    }

    private static long addressOf(long entry) {
        return ((entry & HANDLE_MASK) - 1) << 3;
    }

    /**
     * The slot holding key, or ~slot of the empty slot where it would go; NO_SLOT when the table
     * has no empty slot, which only a reader racing a writer can see. Bounded and never throws, so
     * it is safe on a table read optimistically.
     */
    private int probe(long[] table, long hash, byte[] key) {
        int mask = table.length - 1;
        long tag = hash & HASH_MASK;
        int i = (int) hash & mask;
        for (int n = 0; n <= mask; n++) {
            long e = table[i];
            if (e == 0) {
                return ~i;
            }
            if ((e >>> 40) == tag && arena.safeKeyEquals(addressOf(e), key)) {
                return i;
            }
            i = (i + 1) & mask;
        }
        return NO_SLOT;
    }

    /** The home slot of a stored entry: from its hash bits, or from its key for huge tables. */
    private int homeOf(long entry, int mask) {
        if (mask <= HASH_MASK) {
            return (int) (entry >>> 40) & mask;
        }
        return (int) arena.keyHash(addressOf(entry)) & mask;
    }

    /** Doubles b's table. Caller holds b's write lock. */
    private long[] grow(Bucket b) {
        long[] old = b.table;
        long[] table = new long[old.length * 2];
        int mask = table.length - 1;
        for (long e : old) {
            if (e != 0) {
                int i = homeOf(e, mask);
                while (table[i] != 0) {
                    i = (i + 1) & mask;
                }
                table[i] = e;
            }
        }
        b.table = table;
        return table;
    }

    /** Empties slot hole and shifts back the entries after it that would no longer be found. */
    private void removeAt(long[] table, int hole) {
        int mask = table.length - 1;
        int j = hole;
        while (true) {
            j = (j + 1) & mask;
            long e = table[j];
            if (e == 0) {
                break;
            }
            int home = homeOf(e, mask);
            // e may move to hole unless its home lies cyclically in (hole, j].
            boolean stays = hole <= j ? (hole < home && home <= j) : (hole < home || home <= j);
            if (!stays) {
                table[hole] = e;
                hole = j;
            }
        }
        table[hole] = 0;
    }

    @Override
    public String toString() {
        MemoryStats s = memoryStats();
        return "BucketedMap[buckets=" + buckets.length + ", entries=" + s.entries() + ", used=" + s.usedBytes() + "/"
                + s.capacityBytes() + ", slots=" + Arrays.toString(arena.classSizes()) + "]";
    }
}
