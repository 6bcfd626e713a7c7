package dev.pbkv.store;

/** What a log record does when replayed: set a key's value, or remove the key. Both are idempotent. */
public enum Effect {
    PUT,
    DELETE
}
