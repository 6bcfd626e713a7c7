package dev.pbkv.server.resp;

import dev.pbkv.server.command.ErrorCode;
import dev.pbkv.server.command.Reply;

/**
 * The one place where the command layer's {@link ErrorCode}s become RESP error lines. Callers
 * that give NOT_FOUND or ALREADY_EXISTS a non-error meaning (a nil reply, a 0 count) handle those
 * codes before they get here.
 */
final class RespErrors {

    private RespErrors() {}

    /**
     * The error line (without '-') for a failure.
     *
     * @param write whether the command was a write: an unavailable write on a backup names the
     *              primary with Redis's READONLY code, which clients already understand
     */
    /** Redis's answer to a command before AUTH on a node that requires it. */
    static final String NOAUTH = "NOAUTH Authentication required.";

    /** Redis's answer to AUTH with a wrong name or password. */
    static final String WRONGPASS = "WRONGPASS invalid username-password pair or user is disabled.";

    static String toErrorLine(Reply.Failure<?> failure, boolean write) {
        ErrorCode code = failure.code();
        String message = failure.message() == null ? code.name() : failure.message();
        return switch (code) {
            case INVALID_ARGUMENT -> "ERR " + message;
            case NOT_FOUND -> "ERR no such key";
            case ALREADY_EXISTS -> "ERR key exists";
            case RESOURCE_EXHAUSTED -> "OOM " + message;
            case UNAVAILABLE -> unavailable(failure, message, write);
            case FAILED_PRECONDITION -> "ERR " + message;
            case OUTCOME_UNKNOWN -> "UNKNOWN " + message;
            case INTERNAL -> "ERR internal error: " + message;
            case UNAUTHENTICATED -> NOAUTH;
            case PERMISSION_DENIED -> "NOPERM " + message;
            case OUT_OF_RANGE -> "ERR " + message;
        };
    }

    private static String unavailable(Reply.Failure<?> failure, String message, boolean write) {
        String primary = failure.primaryAddress();
        if (primary != null && !primary.isEmpty()) {
            return write
                    ? "READONLY You can't write against a backup; primary is " + primary + " (" + message + ")"
                    : "READONLY This node is a backup (send READONLY to read from it); primary is " + primary + " ("
                            + message + ")";
        }
        return "UNAVAILABLE " + message;
    }

    static String internal(Throwable error) {
        Throwable cause = error.getCause() != null && error instanceof java.util.concurrent.CompletionException
                ? error.getCause()
                : error;
        return "ERR internal error: " + cause;
    }

    static String wrongArity(String commandName) {
        return "ERR wrong number of arguments for '" + commandName + "' command";
    }

    static final String SYNTAX = "ERR syntax error";
}
