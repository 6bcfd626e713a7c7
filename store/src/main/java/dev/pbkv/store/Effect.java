package dev.pbkv.store;

/**
 * What a log record does when replayed; every effect is idempotent. See docs/expiry.md for the
 * deadlines, and (BATCH: the puts and deletes its value holds, as one step) {@link dev.pbkv.store.log.BatchCodec}.
 */
public enum Effect {
    /** Set a key's value (and its deadline, {@link LogRecord#deadline()}, 0: none). */
    PUT,
    /** Remove the key: a client's delete. */
    DELETE,
    /** Set (deadline &gt; 0) or clear (0, persist) a present key's deadline; the value stays. */
    EXPIRE,
    /**
     * Remove the key because its deadline passed, as the primary's clock decided: distinct from a
     * client's {@link #DELETE} so a subscriber sees an {@code expired} event.
     */
    EXPIRED,
    /** Apply the puts and deletes of the value (a BatchCodec payload) as one step. */
    BATCH
}
