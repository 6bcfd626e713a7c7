package dev.pbkv.store.map;

/**
 * The shape of a {@link BucketedMap}, fixed at construction.
 *
 * @param buckets     number of independently locked buckets (a power of two is not required)
 * @param memoryBytes bytes reserved once for the slab arena that holds keys and values
 */
public record MapConfig(int buckets, long memoryBytes) {
    public static final int DEFAULT_BUCKETS = 32;
    public static final long DEFAULT_MEMORY_BYTES = 256L << 20;

    public MapConfig {
        if (buckets < 1) {
            throw new IllegalArgumentException("store.buckets must be at least 1, was " + buckets);
        }
        if (memoryBytes < 1 << 20) {
            throw new IllegalArgumentException("store.memory must be at least 1 MiB, was " + memoryBytes);
        }
    }

    public static MapConfig defaults() {
        return new MapConfig(DEFAULT_BUCKETS, DEFAULT_MEMORY_BYTES);
    }
}
