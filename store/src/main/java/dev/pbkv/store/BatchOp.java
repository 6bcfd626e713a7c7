package dev.pbkv.store;

/**
 * One operation of a batch ({@link Mutation#batch}). Conditions (insert: absent, update: present)
 * are checked against the store as changed by the batch's earlier operations; one that fails
 * fails the whole batch and nothing is applied. A delete of an absent key is not a failure.
 *
 * @param kind  what to do
 * @param key   the key, non-empty
 * @param value the value (empty for delete and get)
 */
public record BatchOp(Kind kind, byte[] key, byte[] value) {
    private static final byte[] EMPTY = new byte[0];

    public BatchOp {
        value = value == null ? EMPTY : value;
    }

    public enum Kind {
        INSERT,
        UPDATE,
        PUT,
        DELETE,
        /** Reads the key as the batch's earlier operations left it; logs nothing. */
        GET
    }

    public static BatchOp put(byte[] key, byte[] value) {
        return new BatchOp(Kind.PUT, key, value);
    }

    public static BatchOp delete(byte[] key) {
        return new BatchOp(Kind.DELETE, key, EMPTY);
    }
}
