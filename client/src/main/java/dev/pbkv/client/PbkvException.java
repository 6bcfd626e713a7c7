package dev.pbkv.client;

import io.grpc.Status;

/**
 * A call failed in a way the caller did not ask to handle as a result: invalid argument, the
 * store's memory is full, a refused promotion, an internal error. {@link #code()} is the gRPC
 * status code the node answered (or UNAVAILABLE / DEADLINE_EXCEEDED for transport failures).
 */
public class PbkvException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final Status.Code code;

    public PbkvException(Status.Code code, String message, Throwable cause) {
        super(message, cause);
        this.code = code;
    }

    public PbkvException(Status.Code code, String message) {
        this(code, message, null);
    }

    /** The gRPC status code behind this failure. */
    public Status.Code code() {
        return code;
    }
}
