package dev.pbkv.server.replication;

import com.google.common.hash.HashFunction;
import com.google.common.hash.Hashing;
import dev.pbkv.store.map.BucketedMap;

/**
 * A digest of (part of) a map's contents: the sum (mod 2^64) of a 64-bit hash of every entry's
 * key and value, and the number of entries. The sum does not depend on iteration order or on how
 * the map is laid out, so two nodes holding the same entries agree. Callers make sure the part
 * digested does not change meanwhile (the primary fences writes to the bucket; the backup
 * computes it between two stream messages).
 *
 * @param sum     sum of the entry hashes
 * @param entries number of entries
 */
record ContentDigest(long sum, long entries) {
    private static final HashFunction HASH = Hashing.murmur3_128(0x5eedb00c);

    /** One bucket. */
    static ContentDigest ofBucket(BucketedMap map, int bucket) {
        long[] acc = new long[2];
        map.forEachInBucket(bucket, (k, v, offset) -> {
            acc[0] += entryHash(k, v);
            acc[1]++;
        });
        return new ContentDigest(acc[0], acc[1]);
    }

    /** The whole map: the same whatever the number of buckets. */
    static ContentDigest ofMap(BucketedMap map) {
        ContentDigest total = new ContentDigest(0, 0);
        for (int b = 0; b < map.bucketCount(); b++) {
            total = total.plus(ofBucket(map, b));
        }
        return total;
    }

    ContentDigest plus(ContentDigest other) {
        return new ContentDigest(sum + other.sum, entries + other.entries);
    }

    private static long entryHash(byte[] key, byte[] value) {
        long k = HASH.hashBytes(key).asLong();
        long v = HASH.hashBytes(value).asLong();
        // Mix so that swapping key and value, or moving bytes between them, changes the hash.
        long h = k * 0x9E3779B97F4A7C15L + Long.rotateLeft(v, 31) + key.length;
        h ^= h >>> 33;
        h *= 0xff51afd7ed558ccdL;
        h ^= h >>> 33;
        return h;
    }

    @Override
    public String toString() {
        return "ContentDigest[entries=" + entries + ", sum=" + Long.toHexString(sum) + "]";
    }
}
