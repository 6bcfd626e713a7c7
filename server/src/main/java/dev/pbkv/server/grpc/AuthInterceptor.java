package dev.pbkv.server.grpc;

import dev.pbkv.proto.AdminGrpc;
import dev.pbkv.proto.KeyValueGrpc;
import dev.pbkv.server.auth.BasicCredentials;
import dev.pbkv.server.auth.Principal;
import dev.pbkv.server.command.Commands;
import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Authenticates KeyValue and Admin calls from their {@code authorization} metadata (HTTP Basic:
 * {@code Basic base64(user:password)}) when the node requires it, and puts the caller in the
 * call's Context, where the services read it ({@link #commandsFor}). Health checking, reflection
 * and node-to-node replication are not client calls and pass through.
 *
 * <p>Calls start on the event loops (a direct executor): credentials seen before are accepted
 * there at once; new ones are checked on the authenticator's thread, and the call starts on the
 * handler pool when the answer comes, its callbacks held until then ({@link HeldListener}).
 */
final class AuthInterceptor implements ServerInterceptor {
    private static final Logger LOG = LoggerFactory.getLogger(AuthInterceptor.class);
    static final Metadata.Key<String> AUTHORIZATION =
            Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);
    private static final Context.Key<Principal> CALLER = Context.key("pbkv-caller");

    private final Commands commands;
    private final Executor pool;

    AuthInterceptor(Commands commands, Executor pool) {
        this.commands = commands;
        this.pool = pool;
    }

    /** The command layer as the current call's caller may use it. */
    static Commands commandsFor(Commands commands) {
        Principal caller = CALLER.get();
        if (caller != null) {
            return commands.as(caller);
        }
        if (commands.authenticationRequired()) {
            // Every KeyValue and Admin call passes this interceptor; reaching here is a wiring fault.
            throw new IllegalStateException("a call reached the services without passing authentication");
        }
        return commands;
    }

    @Override
    public <Q, A> ServerCall.Listener<Q> interceptCall(
            ServerCall<Q, A> call, Metadata headers, ServerCallHandler<Q, A> next) {
        String service = call.getMethodDescriptor().getServiceName();
        if (!commands.authenticationRequired()
                || !(KeyValueGrpc.SERVICE_NAME.equals(service) || AdminGrpc.SERVICE_NAME.equals(service))) {
            return next.startCall(call, headers);
        }
        BasicCredentials credentials = BasicCredentials.parse(headers.get(AUTHORIZATION));
        if (credentials == null) {
            call.close(
                    Status.UNAUTHENTICATED.withDescription("authentication required: send the metadata"
                            + " authorization: Basic base64(user:password) (docs/security.md)"),
                    new Metadata());
            return new ServerCall.Listener<>() {};
        }
        var answer = commands.authenticate(credentials.user(), credentials.password());
        if (answer.isDone() && answer.join().isPresent()) {
            return start(answer.join().get(), call, headers, next); // seen before: no hop
        }
        HeldListener<Q> held = new HeldListener<>();
        answer.whenCompleteAsync(
                (found, e) -> {
                    if (e != null || found.isEmpty()) {
                        LOG.info(
                                "gRPC: failed authentication as '{}' for {}",
                                credentials.user(),
                                call.getMethodDescriptor().getFullMethodName());
                        call.close(
                                Status.UNAUTHENTICATED.withDescription("invalid username-password pair"),
                                new Metadata());
                        held.start(new ServerCall.Listener<>() {});
                    } else {
                        held.start(start(found.get(), call, headers, next));
                    }
                },
                pool);
        return held;
    }

    private static <Q, A> ServerCall.Listener<Q> start(
            Principal caller, ServerCall<Q, A> call, Metadata headers, ServerCallHandler<Q, A> next) {
        return Contexts.interceptCall(Context.current().withValue(CALLER, caller), call, headers, next);
    }

    /**
     * A listener whose callbacks wait until the call is started, then run in their order. The
     * transport calls it serially; {@link #start} may run on another thread meanwhile.
     */
    static final class HeldListener<Q> extends ServerCall.Listener<Q> {
        private final Object lock = new Object();
        /** Callbacks that came before start; guarded by lock. */
        private List<Consumer<ServerCall.Listener<Q>>> queued = new ArrayList<>();
        /** Set once every queued callback ran; from then on callbacks go straight to it. */
        private volatile ServerCall.Listener<Q> delegate;

        void start(ServerCall.Listener<Q> started) {
            while (true) {
                List<Consumer<ServerCall.Listener<Q>>> batch;
                synchronized (lock) {
                    if (queued.isEmpty()) {
                        delegate = started;
                        return;
                    }
                    batch = queued;
                    queued = new ArrayList<>();
                }
                batch.forEach(c -> c.accept(started)); // callbacks arriving now queue behind these
            }
        }

        private void run(Consumer<ServerCall.Listener<Q>> callback) {
            ServerCall.Listener<Q> d = delegate;
            if (d == null) {
                synchronized (lock) {
                    d = delegate;
                    if (d == null) {
                        queued.add(callback);
                        return;
                    }
                }
            }
            callback.accept(d);
        }

        @Override
        public void onMessage(Q message) {
            run(l -> l.onMessage(message));
        }

        @Override
        public void onHalfClose() {
            run(ServerCall.Listener::onHalfClose);
        }

        @Override
        public void onCancel() {
            run(ServerCall.Listener::onCancel);
        }

        @Override
        public void onComplete() {
            run(ServerCall.Listener::onComplete);
        }

        @Override
        public void onReady() {
            run(ServerCall.Listener::onReady);
        }
    }
}
