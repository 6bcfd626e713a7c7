package dev.pbkv.tester.driver;

/**
 * One connection to one node, speaking one protocol. Every method returns what the node answered
 * as an {@link OpResult}, and never throws for a dead node, a refused connection, a timeout or an
 * answer it cannot read: those are {@link OpResult.Failed} results.
 */
public interface Driver extends AutoCloseable {

    /** Stores a key only if absent: Done, or Failed(ALREADY_EXISTS). */
    OpResult insert(String key, String value);

    /** Replaces the value of a present key: Done, or Failed(NOT_FOUND). */
    OpResult update(String key, String value);

    /** Stores a key whether present or not: Done. */
    OpResult put(String key, String value);

    /** Value, or Missing. */
    OpResult get(String key);

    /** Done, or Failed(NOT_FOUND). */
    OpResult delete(String key);

    /** Flag. */
    OpResult exists(String key);

    /** Count. */
    OpResult count();

    /** Dump of every pair; {@code allowStale} lets a backup answer from its own copy. */
    OpResult dump(boolean allowStale);

    /** Sets the key to expire after ttl (a pbkv extra): Done, or Missing when the key is absent. */
    default OpResult expire(String key, java.time.Duration ttl) {
        return new OpResult.Failed(FailureCode.UNSUPPORTED, "this driver has no expiry");
    }

    /** The time the key has left (a pbkv extra): Ttl, or Missing. */
    default OpResult ttl(String key) {
        return new OpResult.Failed(FailureCode.UNSUPPORTED, "this driver has no expiry");
    }

    /**
     * Starts watching a key, or the keys under a prefix, from now (a pbkv extra); null when this
     * protocol cannot watch. The stream's end (node gone, too slow) is recorded, never thrown.
     */
    default KeyWatch watch(String key, boolean prefix) {
        return null;
    }

    /** Status: the node's state and role when the protocol can tell them. */
    OpResult status();

    /** Makes a backup whose primary is gone the primary: Done. */
    OpResult promote();

    /** Asks the node to stop gracefully: Done. */
    OpResult shutdown();

    /** Called when the node was (re)started, so a reconnect is tried at once rather than after a backoff. */
    default void reconnectNow() {}

    @Override
    void close();
}
