package dev.pbkv.client;

/** How a write ended when it did not fail: the store's answer, which the caller must look at. */
public enum WriteStatus {
    /** The write was applied. */
    OK,
    /** Update or delete of a key that is absent; nothing changed. */
    NOT_FOUND,
    /** Insert of a key that is present; nothing changed. */
    ALREADY_EXISTS
}
