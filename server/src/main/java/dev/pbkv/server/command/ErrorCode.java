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
    /** A fault of the node itself (I/O error, full disk); the write was not acknowledged. */
    INTERNAL
}
