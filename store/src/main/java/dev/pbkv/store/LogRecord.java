package dev.pbkv.store;

/**
 * One record of the append-only log, as stored, replicated and replayed.
 *
 * @param offset   position in the history: 1 for the first record, then +1 per record, never reused
 * @param epoch    the primary epoch in which the record was written (detects divergent tails)
 * @param effect   put or delete
 * @param key      the key
 * @param value    the new value (empty for delete)
 * @param clientId the at-most-once client id of the write that made it, 0 if untagged
 * @param sequence that client's sequence number, 0 if untagged
 */
public record LogRecord(
        long offset, long epoch, Effect effect, byte[] key, byte[] value, long clientId, long sequence) {}
