package dev.pbkv.store;

/** What a client asked for. The log records only the effect (see {@link Effect}). */
public enum Op {
    INSERT,
    UPDATE,
    PUT,
    DELETE,
    /** Several operations, all or nothing, as one record ({@link Mutation#batch()}). */
    BATCH
}
