package dev.pbkv.tester.history;

/** How an invocation ended, as far as the client can know. */
public enum Outcome {
    /** The node answered: the operation took effect (or was the store's "no") with {@link Op#answer()}. */
    OK,
    /** The node refused it: it definitely did not happen (UNAVAILABLE from the node itself, bad argument...). */
    FAIL,
    /**
     * The client cannot know: a timeout, a lost connection, a transport error, the node's "outcome
     * unknown". A write may take effect at any point after its invocation, or never.
     */
    UNKNOWN
}
