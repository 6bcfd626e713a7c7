package dev.pbkv.store;

/**
 * One record of the append-only log, as stored, replicated and replayed.
 *
 * @param offset   position in the history: 1 for the first record, then +1 per record, never reused
 * @param epoch    the primary epoch in which the record was written (detects divergent tails)
 * @param effect   put, delete, expire or expired
 * @param key      the key
 * @param value    the new value (empty for every effect but put)
 * @param clientId the at-most-once client id of the write that made it, 0 if untagged
 * @param sequence that client's sequence number, 0 if untagged
 * @param deadline for put and expire, the key's deadline afterwards in epoch milliseconds of the
 *                 primary's clock (0: none); 0 for delete and expired
 */
public record LogRecord(
        long offset, long epoch, Effect effect, byte[] key, byte[] value, long clientId, long sequence, long deadline) {
    /** A record without a deadline. */
    public LogRecord(long offset, long epoch, Effect effect, byte[] key, byte[] value, long clientId, long sequence) {
        this(offset, epoch, effect, key, value, clientId, sequence, 0);
    }
}
