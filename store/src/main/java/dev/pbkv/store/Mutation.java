package dev.pbkv.store;

/**
 * One write a client asked for.
 *
 * @param op       insert, update, put or delete
 * @param key      the key, non-empty
 * @param value    the value (empty for delete)
 * @param clientId the at-most-once client id, 0 when the write is untagged
 * @param sequence the client's sequence number for this write, 0 when untagged
 */
public record Mutation(Op op, byte[] key, byte[] value, long clientId, long sequence) {
    private static final byte[] EMPTY = new byte[0];

    public static Mutation of(Op op, byte[] key, byte[] value) {
        return new Mutation(op, key, value == null ? EMPTY : value, 0, 0);
    }

    public static Mutation delete(byte[] key) {
        return new Mutation(Op.DELETE, key, EMPTY, 0, 0);
    }
}
