package dev.pbkv.store;

/**
 * The result of a store operation, after the classic C hash table interface this engine
 * replaces, plus the two failures a C caller learned from errno.
 */
public enum StoreResult {
    /** insert or put stored a key that was absent. */
    HT_INSERT_OK,
    /** insert found the key already present; nothing changed. */
    HT_INSERT_FAILED,
    /** get, exists, update or put found the key (update and put replaced its value). */
    HT_FOUND,
    /** get, exists or update did not find the key; nothing changed. */
    HT_NOTFOUND,
    /** delete removed the key. */
    HT_DELETE_OK,
    /** delete did not find the key; nothing changed. */
    HT_DELETE_FAILED,
    /** the arena has no room for the entry; nothing changed. Deletes make room again. */
    HT_OUT_OF_MEMORY,
    /** the key is empty or too large for the arena's biggest size class; nothing changed. */
    HT_INVALID_ARGUMENT
}
