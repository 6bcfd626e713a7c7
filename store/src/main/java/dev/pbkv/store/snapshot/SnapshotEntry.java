package dev.pbkv.store.snapshot;

/**
 * One entry of a snapshot.
 *
 * @param key    the key
 * @param value  the value
 * @param offset the log offset of the entry's last write
 */
public record SnapshotEntry(byte[] key, byte[] value, long offset) {}
