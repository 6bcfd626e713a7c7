package dev.pbkv.store.map;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.random.RandomGenerator;

/**
 * The keys that have a deadline, for the active expirer's random sampling (as Redis's
 * {@code expires} dictionary): a dense array of keys plus each key's position in it, so adding,
 * removing (swap with the last) and drawing a random key are O(1). The deadline itself lives in
 * the entry (the arena item); this index only says which keys to look at, so a key is drawn
 * without a scan of the store. One object per key with a deadline; none for the others.
 *
 * <p>Maintained by {@link BucketedMap} inside the bucket's write lock of the key it changes;
 * {@link #lock} is taken inside that bucket lock, never the other way round (the same order as
 * the arena's lock). {@link #sample} takes only this lock, so the keys it returns may have changed
 * since: the caller looks each one up again.
 */
final class ExpiryIndex {
    /** Guards keys and positions; positions.get(k) == i exactly when keys.get(i) equals k. */
    private final Object lock = new Object();

    private final List<Key> keys = new ArrayList<>();
    private final Map<Key, Integer> positions = new HashMap<>();
    /**
     * keys.size(), written under lock, read without it: every write of the store asks whether any
     * key has a deadline, and must not take this lock for that.
     */
    private volatile int size;

    private record Key(byte[] bytes, int hash) {
        static Key of(byte[] bytes) {
            return new Key(bytes, Arrays.hashCode(bytes));
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Key k && k.hash == hash && Arrays.equals(k.bytes, bytes);
        }

        @Override
        public int hashCode() {
            return hash;
        }
    }

    /** Records that key has (true) or has not (false) a deadline now. */
    void set(byte[] key, boolean hasDeadline) {
        Key k = Key.of(key);
        synchronized (lock) {
            if (hasDeadline) {
                if (!positions.containsKey(k)) {
                    Key own = new Key(key.clone(), k.hash());
                    positions.put(own, keys.size());
                    keys.add(own);
                    size = keys.size();
                }
                return;
            }
            Integer at = positions.remove(k);
            if (at == null) {
                return;
            }
            Key last = keys.remove(keys.size() - 1);
            if (at < keys.size()) {
                keys.set(at, last);
                positions.put(last, at);
            }
            size = keys.size();
        }
    }

    /** Up to n keys drawn at random (with repetition) among those with a deadline. */
    List<byte[]> sample(int n, RandomGenerator random) {
        synchronized (lock) {
            int size = keys.size();
            if (size == 0) {
                return List.of();
            }
            List<byte[]> out = new ArrayList<>(Math.min(n, size));
            for (int i = 0; i < Math.min(n, size); i++) {
                out.add(keys.get(random.nextInt(size)).bytes().clone());
            }
            return out;
        }
    }

    int size() {
        return size;
    }

    void clear() {
        synchronized (lock) {
            keys.clear();
            positions.clear();
            size = 0;
        }
    }
}
