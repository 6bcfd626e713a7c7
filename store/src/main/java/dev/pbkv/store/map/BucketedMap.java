package dev.pbkv.store.map;

import dev.pbkv.store.StoreResult;

import java.nio.ByteBuffer;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * PLACEHOLDER with the final API: a bucketed map on Java heap maps. The slab-arena
 * implementation replaces the body of this class; callers rely only on the public methods.
 */
public final class BucketedMap implements AutoCloseable {
    private record Item(byte[] value, long offset) {
    }

    private final Bucket[] buckets;
    private final long capacity;

    private static final class Bucket {
        final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
        final Map<ByteBuffer, Item> items = new HashMap<>();
        long lastDeleteOffset;
    }

    public BucketedMap(MapConfig config) {
        buckets = new Bucket[config.buckets()];
        for (int i = 0; i < buckets.length; i++) {
            buckets[i] = new Bucket();
        }
        capacity = config.memoryBytes();
    }

    public int bucketCount() {
        return buckets.length;
    }

    public int bucketOf(byte[] key) {
        return Math.floorMod(java.util.Arrays.hashCode(key), buckets.length);
    }

    public StoreResult insert(byte[] key, byte[] value, long offset) {
        return write(key, value, offset, true, false);
    }

    public StoreResult update(byte[] key, byte[] value, long offset) {
        return write(key, value, offset, false, true);
    }

    public StoreResult put(byte[] key, byte[] value, long offset) {
        return write(key, value, offset, true, true);
    }

    private StoreResult write(byte[] key, byte[] value, long offset, boolean mayCreate, boolean mayReplace) {
        if (key == null || key.length == 0 || value == null) {
            return StoreResult.HT_INVALID_ARGUMENT;
        }
        Bucket b = buckets[bucketOf(key)];
        b.lock.writeLock().lock();
        try {
            ByteBuffer k = ByteBuffer.wrap(key.clone());
            boolean present = b.items.containsKey(k);
            if (present && !mayReplace) {
                return StoreResult.HT_INSERT_FAILED;
            }
            if (!present && !mayCreate) {
                return StoreResult.HT_NOTFOUND;
            }
            b.items.put(k, new Item(value.clone(), offset));
            return present ? StoreResult.HT_FOUND : StoreResult.HT_INSERT_OK;
        } finally {
            b.lock.writeLock().unlock();
        }
    }

    public StoreResult delete(byte[] key, long offset) {
        if (key == null || key.length == 0) {
            return StoreResult.HT_INVALID_ARGUMENT;
        }
        Bucket b = buckets[bucketOf(key)];
        b.lock.writeLock().lock();
        try {
            if (b.items.remove(ByteBuffer.wrap(key)) == null) {
                return StoreResult.HT_DELETE_FAILED;
            }
            b.lastDeleteOffset = Math.max(b.lastDeleteOffset, offset);
            return StoreResult.HT_DELETE_OK;
        } finally {
            b.lock.writeLock().unlock();
        }
    }

    public Lookup lookup(byte[] key) {
        Bucket b = buckets[bucketOf(key)];
        b.lock.readLock().lock();
        try {
            Item item = b.items.get(ByteBuffer.wrap(key));
            return item == null ? new Lookup(null, b.lastDeleteOffset) : new Lookup(item.value.clone(), item.offset);
        } finally {
            b.lock.readLock().unlock();
        }
    }

    public byte[] get(byte[] key) {
        return lookup(key).value();
    }

    public boolean exists(byte[] key) {
        return lookup(key).found();
    }

    public long count() {
        long n = 0;
        for (Bucket b : buckets) {
            b.lock.readLock().lock();
            try {
                n += b.items.size();
            } finally {
                b.lock.readLock().unlock();
            }
        }
        return n;
    }

    public void forEachInBucket(int bucket, EntryVisitor visitor) {
        Bucket b = buckets[bucket];
        b.lock.readLock().lock();
        try {
            for (Map.Entry<ByteBuffer, Item> e : b.items.entrySet()) {
                visitor.visit(e.getKey().array().clone(), e.getValue().value.clone(), e.getValue().offset);
            }
        } finally {
            b.lock.readLock().unlock();
        }
    }

    public void clear() {
        for (Bucket b : buckets) {
            b.lock.writeLock().lock();
            try {
                b.items.clear();
            } finally {
                b.lock.writeLock().unlock();
            }
        }
    }

    public MemoryStats memoryStats() {
        return new MemoryStats(capacity, 0, 0, count());
    }

    @Override
    public void close() {
        clear();
    }
}
