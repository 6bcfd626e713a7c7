package dev.pbkv.server.command;

/**
 * One operation of a batch ({@link Commands#batch}): applied with the others all or nothing, in order.
 *
 * @param kind  what to do
 * @param key   the key, non-empty
 * @param value the value (empty for delete and get)
 */
public record BatchStep(Kind kind, byte[] key, byte[] value) {
    private static final byte[] EMPTY = new byte[0];

    public BatchStep {
        value = value == null ? EMPTY : value;
    }

    public enum Kind {
        /** Store the value if the key is absent; else the whole batch is refused (ALREADY_EXISTS). */
        INSERT,
        /** Replace the value if the key is present; else the whole batch is refused (NOT_FOUND). */
        UPDATE,
        /** Store the value either way. */
        PUT,
        /** Remove the key if present; an absent key is not a failure. */
        DELETE,
        /** Read the key as the batch's earlier steps left it. */
        GET
    }

    public static BatchStep put(byte[] key, byte[] value) {
        return new BatchStep(Kind.PUT, key, value);
    }

    public static BatchStep delete(byte[] key) {
        return new BatchStep(Kind.DELETE, key, EMPTY);
    }

    public static BatchStep insert(byte[] key, byte[] value) {
        return new BatchStep(Kind.INSERT, key, value);
    }

    public static BatchStep get(byte[] key) {
        return new BatchStep(Kind.GET, key, EMPTY);
    }
}
