package dev.pbkv.server.grpc;

import dev.pbkv.server.command.Reply;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Completes a unary gRPC call from the command layer's future reply, on whichever thread completes it. */
final class ReplyResponder {
    private static final Logger log = LoggerFactory.getLogger(ReplyResponder.class);

    private ReplyResponder() {}

    static <T, R> void respond(
            CompletableFuture<Reply<T>> reply, StreamObserver<R> observer, Function<T, R> toResponse) {
        reply.whenComplete((r, t) -> {
            try {
                if (t != null) {
                    log.error("command failed unexpectedly", t);
                    observer.onError(
                            Status.INTERNAL.withDescription(String.valueOf(t)).asRuntimeException());
                } else if (r instanceof Reply.Success<T> s) {
                    observer.onNext(toResponse.apply(s.value()));
                    observer.onCompleted();
                } else {
                    observer.onError(StatusMapping.toException((Reply.Failure<T>) r));
                }
            } catch (IllegalStateException | io.grpc.StatusRuntimeException e) {
                // The call was cancelled or already closed (client gone): nothing to answer.
                log.debug("could not answer a call: {}", e.toString());
            }
        });
    }
}
