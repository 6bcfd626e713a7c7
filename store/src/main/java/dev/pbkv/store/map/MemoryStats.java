package dev.pbkv.store.map;

/**
 * How much memory the map holds.
 *
 * @param capacityBytes the arena's reserved size
 * @param usedBytes     arena bytes held by live items (slot sizes, not payload sizes)
 * @param indexBytes    bytes of the index (bucket tables) outside the arena
 * @param entries       live entries
 */
public record MemoryStats(long capacityBytes, long usedBytes, long indexBytes, long entries) {}
