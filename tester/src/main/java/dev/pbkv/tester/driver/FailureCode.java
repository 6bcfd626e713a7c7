package dev.pbkv.tester.driver;

import java.util.Set;

/**
 * The names a failed operation is reported with, and a {@code .test} file may expect: the gRPC
 * status codes, plus the tester's own for what a status code cannot say.
 */
public final class FailureCode {
    /** The node answered something the driver cannot read (not gRPC, not the HTTP contract). */
    public static final String BAD_ANSWER = "BAD_ANSWER";
    /** The driver cannot do this over its protocol (e.g. promote over HTTP). */
    public static final String UNSUPPORTED = "UNSUPPORTED";
    /** The node said no without saying why (an HTTP answer with an unrecognised error). */
    public static final String FAILED = "FAILED";

    public static final String UNAVAILABLE = "UNAVAILABLE";
    public static final String DEADLINE_EXCEEDED = "DEADLINE_EXCEEDED";
    public static final String NOT_FOUND = "NOT_FOUND";
    public static final String ALREADY_EXISTS = "ALREADY_EXISTS";
    public static final String INVALID_ARGUMENT = "INVALID_ARGUMENT";
    public static final String RESOURCE_EXHAUSTED = "RESOURCE_EXHAUSTED";
    public static final String INTERNAL = "INTERNAL";
    /** No credentials, or wrong ones (gRPC UNAUTHENTICATED; HTTP 401). */
    public static final String UNAUTHENTICATED = "UNAUTHENTICATED";
    /** The user's access does not allow the operation (gRPC PERMISSION_DENIED; HTTP 403). */
    public static final String PERMISSION_DENIED = "PERMISSION_DENIED";

    /** Every name a {@code .test} file may write after {@code expect}. */
    public static final Set<String> NAMES = Set.of(
            "CANCELLED",
            "UNKNOWN",
            INVALID_ARGUMENT,
            DEADLINE_EXCEEDED,
            NOT_FOUND,
            ALREADY_EXISTS,
            PERMISSION_DENIED,
            RESOURCE_EXHAUSTED,
            "FAILED_PRECONDITION",
            "ABORTED",
            "OUT_OF_RANGE",
            "UNIMPLEMENTED",
            INTERNAL,
            UNAVAILABLE,
            "DATA_LOSS",
            UNAUTHENTICATED,
            BAD_ANSWER,
            UNSUPPORTED,
            FAILED);

    /** Codes that mean the node could not be reached or did not answer in time. */
    public static final Set<String> UNREACHABLE = Set.of(UNAVAILABLE, DEADLINE_EXCEEDED);

    private FailureCode() {}
}
