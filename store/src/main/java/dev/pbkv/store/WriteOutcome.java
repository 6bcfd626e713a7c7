package dev.pbkv.store;

/**
 * What a write did to the map: one name per outcome, whatever the operation. The classic
 * {@code HT_*} codes of the C interface this engine replaces are given only by {@link HashTable}.
 */
public enum WriteOutcome {
    /** insert or put stored a key that was absent. */
    CREATED,
    /** update or put replaced the value of a present key. */
    REPLACED,
    /** delete removed a present key. */
    DELETED,
    /** insert refused: the key is present; nothing changed. */
    PRESENT,
    /** update or delete refused: the key is absent; nothing changed. */
    ABSENT,
    /** the arena has no room for the entry; nothing changed. Deletes make room again. */
    OUT_OF_MEMORY,
    /** invalid argument: a null or empty key, a null value, or an entry too large for the arena; nothing changed. */
    REJECTED,
    /** expire found nothing to clear (persist of a key without a deadline), or expired found the key not (or no longer) expired; nothing changed. */
    UNCHANGED,
    /** a batch ran every operation (its record, if any changed the map, was written); see {@link BatchOutcome}. */
    APPLIED;

    /** Whether the map changed (and so a log record was written). */
    public boolean changed() {
        return this == CREATED || this == REPLACED || this == DELETED;
    }
}
