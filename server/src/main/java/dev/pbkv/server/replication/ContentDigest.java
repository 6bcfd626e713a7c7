package dev.pbkv.server.replication;

import com.google.common.hash.HashFunction;
import com.google.common.hash.Hashing;
import dev.pbkv.store.map.BucketedMap;

import java.util.Arrays;
import java.util.List;

/**
 * A digest of a map's contents: per bucket, the sum (mod 2^64) of a 64-bit hash of every
 * entry's key and value. The sum does not depend on iteration order, so two nodes that hold the
 * same entries agree whatever their map's layout. Callers make sure no write runs meanwhile
 * (the primary fences its writes; the backup computes it between two stream messages).
 *
 * @param buckets per-bucket sums
 * @param entries number of entries
 */
record ContentDigest(long[] buckets, long entries) {
    private static final HashFunction HASH = Hashing.murmur3_128(0x5eed_b00c);

    static ContentDigest of(BucketedMap map) {
        long[] sums = new long[map.bucketCount()];
        long[] count = new long[1];
        for (int b = 0; b < sums.length; b++) {
            int bucket = b;
            map.forEachInBucket(b, (k, v, offset) -> {
                sums[bucket] += HASH.newHasher(k.length + v.length + 8)
                        .putInt(k.length).putBytes(k).putBytes(v).hash().asLong();
                count[0]++;
            });
        }
        return new ContentDigest(sums, count[0]);
    }

    static ContentDigest of(List<Long> buckets, long entries) {
        return new ContentDigest(buckets.stream().mapToLong(Long::longValue).toArray(), entries);
    }

    long total() {
        long t = 0;
        for (long s : buckets) {
            t += s;
        }
        return t;
    }

    /** Equal contents: per bucket when both maps have the same number of buckets, else in total. */
    boolean matches(ContentDigest other) {
        if (entries != other.entries) {
            return false;
        }
        return buckets.length == other.buckets.length ? Arrays.equals(buckets, other.buckets) : total() == other.total();
    }

    /** How many buckets differ (for the log line of a mismatch). */
    int differingBuckets(ContentDigest other) {
        if (buckets.length != other.buckets.length) {
            return total() == other.total() ? 0 : Math.max(buckets.length, other.buckets.length);
        }
        int n = 0;
        for (int i = 0; i < buckets.length; i++) {
            if (buckets[i] != other.buckets[i]) {
                n++;
            }
        }
        return n;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ContentDigest d && entries == d.entries && Arrays.equals(buckets, d.buckets);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(buckets) * 31 + Long.hashCode(entries);
    }

    @Override
    public String toString() {
        return "ContentDigest[entries=" + entries + ", total=" + Long.toHexString(total()) + "]";
    }
}
