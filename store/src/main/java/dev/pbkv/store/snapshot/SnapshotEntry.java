package dev.pbkv.store.snapshot;

/**
 * One entry of a snapshot.
 *
 * @param key      the key
 * @param value    the value
 * @param offset   the log offset of the entry's last write
 * @param deadline when the entry expires, epoch milliseconds of the primary's clock (0: never)
 */
public record SnapshotEntry(byte[] key, byte[] value, long offset, long deadline) {
    public SnapshotEntry(byte[] key, byte[] value, long offset) {
        this(key, value, offset, 0);
    }
}
