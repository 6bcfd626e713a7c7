package dev.pbkv.server.command.watch;

/**
 * One change of one key, at the log offset of the record that made it. Several changes may share
 * an offset when one record holds several operations (a batch).
 *
 * @param offset the record's log offset (the same on both nodes)
 * @param kind   what happened to the key
 * @param key    the key
 * @param value  the new value for {@link ChangeKind#SET}, empty otherwise
 */
public record Change(long offset, ChangeKind kind, byte[] key, byte[] value) {
    /** Bytes a buffered change is counted for against watch.buffer-bytes: key, value and a fixed overhead. */
    static final int OVERHEAD_BYTES = 48;

    long bufferedBytes() {
        return (long) key.length + value.length + OVERHEAD_BYTES;
    }
}
