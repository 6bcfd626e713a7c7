package dev.pbkv.store;

/**
 * One write a client asked for.
 *
 * @param op       insert, update, put, delete, expire or expired
 * @param key      the key, non-empty
 * @param value    the value (empty for delete, expire, expired)
 * @param clientId the at-most-once client id, 0 when the write is untagged
 * @param sequence the client's sequence number for this write, 0 when untagged
 * @param deadline insert, update, put: the entry's deadline in epoch milliseconds, {@link #NO_DEADLINE}
 *                 or {@link #KEEP_DEADLINE} (put and update keep the key's current one); expire: the
 *                 new deadline, 0 to persist; expired: the primary's clock now
 */
public record Mutation(Op op, byte[] key, byte[] value, long clientId, long sequence, long deadline) {
    /** The entry never expires (a write without a ttl clears any deadline, as Redis's SET). */
    public static final long NO_DEADLINE = 0;
    /** The entry keeps the deadline it has (Redis's KEEPTTL). */
    public static final long KEEP_DEADLINE = -1;

    private static final byte[] EMPTY = new byte[0];

    /** A write without a deadline. */
    public Mutation(Op op, byte[] key, byte[] value, long clientId, long sequence) {
        this(op, key, value, clientId, sequence, NO_DEADLINE);
    }

    public static Mutation of(Op op, byte[] key, byte[] value) {
        return new Mutation(op, key, value == null ? EMPTY : value, 0, 0);
    }

    public static Mutation delete(byte[] key) {
        return new Mutation(Op.DELETE, key, EMPTY, 0, 0);
    }

    /** Sets (deadline &gt; 0) or clears (0) the deadline of a present key. */
    public static Mutation expire(byte[] key, long deadline) {
        return new Mutation(Op.EXPIRE, key, EMPTY, 0, 0, deadline);
    }

    /** Removes key if its deadline is at or before now (the primary's clock, epoch milliseconds). */
    public static Mutation expired(byte[] key, long now) {
        return new Mutation(Op.EXPIRED, key, EMPTY, 0, 0, now);
    }
}
