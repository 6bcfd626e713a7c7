package dev.pbkv.server.command;

/** Which write a SET is: Redis's SET, SET NX or SET XX (see {@link Commands#setReturningPrevious}). */
public enum SetMode {
    /** Store the value either way (SET). */
    PUT,
    /** Only if the key is absent (SET NX). */
    INSERT,
    /** Only if the key is present (SET XX). */
    UPDATE
}
