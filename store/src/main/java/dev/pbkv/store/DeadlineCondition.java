package dev.pbkv.store;

/**
 * When an {@link Op#EXPIRE} may change a present key's deadline: Redis 7's EXPIRE options, checked
 * by {@link Store#apply} under its write lock against the deadline the key has at that moment, so
 * the check and the change are one step (docs/expiry.md). A key without a deadline counts as never
 * expiring: a later deadline never applies to it, an earlier one always does.
 */
public enum DeadlineCondition {
    /** No condition (EXPIRE without options). */
    ALWAYS,
    /** Only a key without a deadline (NX). */
    IF_NONE,
    /** Only a key with a deadline (XX). */
    IF_SET,
    /** Only when the new deadline is after the key's; never for a key without one (GT, also XX GT). */
    IF_LATER,
    /** Only when the new deadline is before the key's; always for a key without one (LT). */
    IF_EARLIER,
    /** Only a key with a deadline, and only when the new one is before it (XX LT). */
    IF_SET_AND_EARLIER;

    /** Whether a key whose deadline is current (0: none) may get next. */
    public boolean allows(long current, long next) {
        return switch (this) {
            case ALWAYS -> true;
            case IF_NONE -> current == 0;
            case IF_SET -> current != 0;
            case IF_LATER -> current != 0 && next > current;
            case IF_EARLIER -> current == 0 || next < current;
            case IF_SET_AND_EARLIER -> current != 0 && next < current;
        };
    }
}
