package dev.pbkv.server.grpc;

import dev.pbkv.server.command.ErrorCode;
import dev.pbkv.server.command.Reply;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;

/** The one mapping from the command layer's {@link ErrorCode}s to gRPC statuses (see docs/api.md). */
public final class StatusMapping {
    /** Trailer with the primary's gRPC address (host:port) on UNAVAILABLE, when the node knows it. */
    public static final Metadata.Key<String> PRIMARY_TRAILER =
            Metadata.Key.of("pbkv-primary", Metadata.ASCII_STRING_MARSHALLER);

    private StatusMapping() {}

    public static Status.Code codeOf(ErrorCode code) {
        return switch (code) {
            case INVALID_ARGUMENT -> Status.Code.INVALID_ARGUMENT;
            case NOT_FOUND -> Status.Code.NOT_FOUND;
            case ALREADY_EXISTS -> Status.Code.ALREADY_EXISTS;
            case RESOURCE_EXHAUSTED -> Status.Code.RESOURCE_EXHAUSTED;
            case UNAVAILABLE -> Status.Code.UNAVAILABLE;
            case FAILED_PRECONDITION -> Status.Code.FAILED_PRECONDITION;
            case OUTCOME_UNKNOWN -> Status.Code.UNKNOWN;
            case INTERNAL -> Status.Code.INTERNAL;
            case UNAUTHENTICATED -> Status.Code.UNAUTHENTICATED;
            case PERMISSION_DENIED -> Status.Code.PERMISSION_DENIED;
            case OUT_OF_RANGE -> Status.Code.OUT_OF_RANGE;
        };
    }

    public static StatusRuntimeException toException(Reply.Failure<?> failure) {
        Status status = Status.fromCode(codeOf(failure.code())).withDescription(failure.message());
        Metadata trailers = new Metadata();
        if (failure.code() == ErrorCode.UNAVAILABLE
                && failure.primaryAddress() != null
                && !failure.primaryAddress().isEmpty()) {
            trailers.put(PRIMARY_TRAILER, failure.primaryAddress());
        }
        return status.asRuntimeException(trailers);
    }
}
