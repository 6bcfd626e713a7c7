package dev.pbkv.store.map;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * The 64-bit hash of a key. The high bits choose the bucket, the low bits the slot in the
 * bucket's table (see {@link BucketedMap}), so every bit must depend on every key byte: eight
 * bytes at a time through a multiply-rotate step, finished with MurmurHash3's fmix64.
 */
final class KeyHash {
    private static final VarHandle LONG_LE =
            MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    private static final long P1 = 0x9E3779B97F4A7C15L;
    private static final long P2 = 0xC2B2AE3D27D4EB4FL;

    private KeyHash() {}

    static long of(byte[] key) {
        return of(key, 0, key.length);
    }

    /** The hash of key bytes [from, from + length) of array a. */
    static long of(byte[] a, int from, int length) {
        long h = P1 ^ length;
        int i = from;
        int end = from + length;
        for (; i + 8 <= end; i += 8) {
            h = Long.rotateLeft(h ^ ((long) LONG_LE.get(a, i) * P2), 31) * P1;
        }
        if (i < end) {
            long tail = 0;
            for (int shift = 0; i < end; i++, shift += 8) {
                tail |= (a[i] & 0xFFL) << shift;
            }
            h = Long.rotateLeft(h ^ (tail * P2), 31) * P1;
        }
        h ^= h >>> 33;
        h *= 0xFF51AFD7ED558CCDL;
        h ^= h >>> 33;
        h *= 0xC4CEB9FE1A85EC53L;
        h ^= h >>> 33;
        return h;
    }
}
