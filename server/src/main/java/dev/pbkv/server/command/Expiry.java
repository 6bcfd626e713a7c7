package dev.pbkv.server.command;

/**
 * When a key should expire, as a client gave it: the command layer turns it into an absolute
 * deadline with the primary's clock (docs/expiry.md).
 *
 * @param kind   how {@code millis} reads
 * @param millis a duration for {@link Kind#IN}, epoch milliseconds for {@link Kind#AT}, else 0
 */
public record Expiry(Kind kind, long millis) {
    public enum Kind {
        /** No deadline: a write clears the key's deadline (as Redis's SET). */
        NONE,
        /** The write keeps the key's deadline (Redis's KEEPTTL); for expire: nothing to do. */
        KEEP,
        /** millis from now, by the primary's clock. */
        IN,
        /** At millis, epoch milliseconds. */
        AT,
        /** Expire only: clear the key's deadline (Redis's PERSIST). */
        PERSIST
    }

    public static final Expiry NONE = new Expiry(Kind.NONE, 0);
    public static final Expiry KEEP = new Expiry(Kind.KEEP, 0);
    public static final Expiry PERSIST = new Expiry(Kind.PERSIST, 0);

    public static Expiry in(long millis) {
        return new Expiry(Kind.IN, millis);
    }

    public static Expiry at(long epochMillis) {
        return new Expiry(Kind.AT, epochMillis);
    }

    /**
     * The absolute deadline at now (epoch ms), or {@link Long#MIN_VALUE} when it does not fit a
     * long (an overflowing ttl). For {@link Kind#IN} and {@link Kind#AT} only.
     */
    long deadlineAt(long now) {
        if (kind == Kind.AT) {
            return millis;
        }
        if (millis > 0 && now > Long.MAX_VALUE - millis) {
            return Long.MIN_VALUE;
        }
        return now + millis;
    }
}
