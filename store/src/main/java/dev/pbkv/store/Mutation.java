package dev.pbkv.store;

import java.util.List;

/**
 * One write a client asked for.
 *
 * @param op       insert, update, put, delete, or batch
 * @param key      the key, non-empty (empty for a batch)
 * @param value    the value (empty for delete and batch)
 * @param clientId the at-most-once client id, 0 when the write is untagged
 * @param sequence the client's sequence number for this write, 0 when untagged
 * @param batch    for {@link Op#BATCH}, the operations applied all or nothing, in order; else empty
 */
public record Mutation(Op op, byte[] key, byte[] value, long clientId, long sequence, List<BatchOp> batch) {
    private static final byte[] EMPTY = new byte[0];

    public Mutation {
        batch = batch == null ? List.of() : List.copyOf(batch);
    }

    /** A single-key write. */
    public Mutation(Op op, byte[] key, byte[] value, long clientId, long sequence) {
        this(op, key, value, clientId, sequence, List.of());
    }

    public static Mutation of(Op op, byte[] key, byte[] value) {
        return new Mutation(op, key, value == null ? EMPTY : value, 0, 0);
    }

    public static Mutation delete(byte[] key) {
        return new Mutation(Op.DELETE, key, EMPTY, 0, 0);
    }

    /** A batch: ops applied all or nothing as one log record (see {@link Store#apply}). */
    public static Mutation batch(List<BatchOp> ops, long clientId, long sequence) {
        return new Mutation(Op.BATCH, EMPTY, EMPTY, clientId, sequence, ops);
    }
}
