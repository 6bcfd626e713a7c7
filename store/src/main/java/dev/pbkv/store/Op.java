package dev.pbkv.store;

/** What a client asked for. The log records only the effect (see {@link Effect}). */
public enum Op {
    INSERT,
    UPDATE,
    PUT,
    DELETE,
    /**
     * Set or clear a present key's deadline ({@link Mutation#deadline()}, 0: persist; one already
     * passed deletes the key), if {@link Mutation#condition()} allows it.
     */
    EXPIRE,
    /**
     * Remove the key if its deadline is at or before {@link Mutation#deadline()} (the primary's
     * clock now); otherwise change nothing. The expirer's write.
     */
    EXPIRED,
    /** Several operations, all or nothing, as one record ({@link Mutation#batch()}). */
    BATCH
}
