package dev.pbkv.server.command;

/**
 * A key's time to live, as TTL and PTTL read it.
 *
 * @param present         whether the key exists (not expired)
 * @param deadline        its deadline in epoch milliseconds of the primary's clock, 0 for none
 * @param remainingMillis milliseconds left by this node's clock (at least 0); -1 without a deadline,
 *                        -2 when the key is absent (Redis's PTTL answers)
 */
public record KeyTtl(boolean present, long deadline, long remainingMillis) {
    public static final KeyTtl ABSENT = new KeyTtl(false, 0, -2);
}
