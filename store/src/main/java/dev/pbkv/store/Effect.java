package dev.pbkv.store;

/**
 * What a log record does when replayed: set a key's value, remove the key, or (BATCH) apply the
 * puts and deletes its value holds as one step (see {@link dev.pbkv.store.log.BatchCodec}). All are
 * idempotent.
 */
public enum Effect {
    PUT,
    DELETE,
    BATCH
}
