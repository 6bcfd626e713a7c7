package dev.pbkv.client;

import io.grpc.Status;

/**
 * No node could serve the call before the retry deadline: every endpoint refused the connection,
 * answered UNAVAILABLE (starting, backup, shutting down) or did not answer in time.
 */
public class PbkvUnavailableException extends PbkvException {

    private static final long serialVersionUID = 1L;

    public PbkvUnavailableException(String message, Throwable cause) {
        super(Status.Code.UNAVAILABLE, message, cause);
    }
}
