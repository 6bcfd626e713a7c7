package dev.pbkv.tester.history;

/** What an operation that completed {@link Outcome#OK} answered. */
public enum Answer {
    /** A write that was applied. */
    APPLIED,
    /** Update or delete of an absent key: nothing changed. */
    NOT_FOUND,
    /** Insert of a present key: nothing changed. */
    ALREADY_EXISTS,
    /** A get that found the key; the value is {@link Op#value()}. */
    VALUE,
    /** A get of an absent key. */
    ABSENT,
    /** Not an OK completion. */
    NONE
}
