package dev.pbkv.server.command;

/**
 * Why a command failed. Each door maps these to its own protocol (gRPC status, RESP error,
 * HTTP JSON); the mapping lives in one place per door.
 */
public enum ErrorCode {
    /** Empty key, key or value over its limit, a bad argument. */
    INVALID_ARGUMENT,
    /** The key is absent (get, update, delete). */
    NOT_FOUND,
    /** The key is present (insert). */
    ALREADY_EXISTS,
    /** The store's arena is full. */
    RESOURCE_EXHAUSTED,
    /** This node cannot serve the call now; {@link Reply.Failure#primaryAddress()} says where to go. */
    UNAVAILABLE,
    /** The call does not fit the node's state (promote a backup whose primary is alive). */
    FAILED_PRECONDITION,
    /**
     * A write that may or may not have been applied: it was applied here, then this node lost the
     * right to acknowledge it (stepped down, lost its backup or its coordinator). It may survive a
     * failover or not; a retry with the same client id and sequence is answered once, never applied
     * twice. Never used for a write that was not applied (that is UNAVAILABLE).
     */
    OUTCOME_UNKNOWN,
    /** A fault of the node itself (I/O error, full disk); the write was not acknowledged. */
    INTERNAL,
    /** No valid credentials where the node requires them; nothing was done. */
    UNAUTHENTICATED,
    /** The caller's user may not do this (a read user writing); refused, not applied. */
    PERMISSION_DENIED,
    /** The log no longer holds the offset asked for (a watch from a compacted offset): re-read, then watch from now. */
    OUT_OF_RANGE
}
