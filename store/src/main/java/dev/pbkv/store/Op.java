package dev.pbkv.store;

/** What a client asked for. The log records only the effect (see {@link Effect}). */
public enum Op {
    INSERT,
    UPDATE,
    PUT,
    DELETE
}
