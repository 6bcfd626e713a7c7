package dev.pbkv.store;

import java.util.List;

/**
 * One write a client asked for.
 *
 * @param op       insert, update, put, delete, expire, expired or batch
 * @param key      the key, non-empty (empty for a batch)
 * @param value    the value (empty for delete, expire, expired and batch)
 * @param clientId the at-most-once client id, 0 when the write is untagged
 * @param sequence the client's sequence number for this write, 0 when untagged
 * @param deadline insert, update, put: the entry's deadline in epoch milliseconds, {@link #NO_DEADLINE}
 *                 or {@link #KEEP_DEADLINE} (put and update keep the key's current one); expire: the
 *                 new deadline, 0 to persist; expired: the primary's clock now
 * @param batch    for {@link Op#BATCH}, the operations applied all or nothing, in order (their puts
 *                 clear deadlines, as Redis's MSET); else empty
 * @param condition for {@link Op#EXPIRE}, when the deadline may change (Redis's NX, XX, GT, LT),
 *                 checked against the key's deadline under the store's write lock; else ALWAYS
 * @param returnPrevious insert, update, put: answer the key's value from just before the write
 *                 ({@link WriteResult#previous()}, Redis's SET ... GET), read in the same step
 */
public record Mutation(
        Op op,
        byte[] key,
        byte[] value,
        long clientId,
        long sequence,
        long deadline,
        List<BatchOp> batch,
        DeadlineCondition condition,
        boolean returnPrevious) {
    /** The entry never expires (a write without a ttl clears any deadline, as Redis's SET). */
    public static final long NO_DEADLINE = 0;
    /** The entry keeps the deadline it has (Redis's KEEPTTL). */
    public static final long KEEP_DEADLINE = -1;

    private static final byte[] EMPTY = new byte[0];

    public Mutation {
        batch = batch == null ? List.of() : List.copyOf(batch);
        condition = condition == null ? DeadlineCondition.ALWAYS : condition;
    }

    /** A write without a condition on the key's deadline. */
    public Mutation(Op op, byte[] key, byte[] value, long clientId, long sequence, long deadline, List<BatchOp> batch) {
        this(op, key, value, clientId, sequence, deadline, batch, DeadlineCondition.ALWAYS, false);
    }

    /** This write, answering the value the key had just before it (see {@link WriteResult#previous()}). */
    public Mutation returningPrevious() {
        return new Mutation(op, key, value, clientId, sequence, deadline, batch, condition, true);
    }

    /** A single-key write with a deadline. */
    public Mutation(Op op, byte[] key, byte[] value, long clientId, long sequence, long deadline) {
        this(op, key, value, clientId, sequence, deadline, List.of());
    }

    /** A batch (or a single-key write without a deadline when batch is empty). */
    public Mutation(Op op, byte[] key, byte[] value, long clientId, long sequence, List<BatchOp> batch) {
        this(op, key, value, clientId, sequence, NO_DEADLINE, batch);
    }

    /** A write without a deadline. */
    public Mutation(Op op, byte[] key, byte[] value, long clientId, long sequence) {
        this(op, key, value, clientId, sequence, NO_DEADLINE, List.of());
    }

    public static Mutation of(Op op, byte[] key, byte[] value) {
        return new Mutation(op, key, value == null ? EMPTY : value, 0, 0);
    }

    public static Mutation delete(byte[] key) {
        return new Mutation(Op.DELETE, key, EMPTY, 0, 0);
    }

    /**
     * Sets (deadline &gt; 0) or clears (0) the deadline of a present key; a deadline at or before
     * the store's clock deletes the key (with a DELETE record, as Redis replicates a DEL).
     */
    public static Mutation expire(byte[] key, long deadline) {
        return expire(key, deadline, DeadlineCondition.ALWAYS);
    }

    /** As {@link #expire(byte[], long)}, only if condition holds for the key's deadline then. */
    public static Mutation expire(byte[] key, long deadline, DeadlineCondition condition) {
        return new Mutation(Op.EXPIRE, key, EMPTY, 0, 0, deadline, List.of(), condition, false);
    }

    /** Removes key if its deadline is at or before now (the primary's clock, epoch milliseconds). */
    public static Mutation expired(byte[] key, long now) {
        return new Mutation(Op.EXPIRED, key, EMPTY, 0, 0, now);
    }

    /** A batch: ops applied all or nothing as one log record (see {@link Store#apply}). */
    public static Mutation batch(List<BatchOp> ops, long clientId, long sequence) {
        return new Mutation(Op.BATCH, EMPTY, EMPTY, clientId, sequence, ops);
    }
}
