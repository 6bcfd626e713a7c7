package dev.pbkv.server.grpc;

import io.grpc.Attributes;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerTransportFilter;
import io.grpc.Status;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * limits.max-connections for the gRPC door. grpc-netty has no public hook to refuse a connection
 * before its HTTP/2 handshake, and a bare close would reach the client as an UNAVAILABLE that
 * looks like a node down (and be retried at once). So a connection past the limit is let in and
 * marked when its transport is ready (the filter half), and every call on it is closed at once
 * with RESOURCE_EXHAUSTED "max number of connections reached ..." (the interceptor half, the
 * outermost one, before any work). Connections under the limit are served as before; the node's
 * own replication stream counts like any client.
 */
final class ConnectionAdmission extends ServerTransportFilter implements ServerInterceptor {
    private static final Logger LOG = LoggerFactory.getLogger(ConnectionAdmission.class);

    /** Set on a transport counted in {@link #served}: only those are counted out again. */
    private static final Attributes.Key<Boolean> ADMITTED = Attributes.Key.create("pbkv.admitted");
    /** Set on a transport past the limit: its calls are refused. */
    private static final Attributes.Key<Boolean> REFUSED = Attributes.Key.create("pbkv.refused");

    private final int max;
    /** Transports admitted and not yet terminated; raised on ready, lowered on termination, never past max for long. */
    private final AtomicInteger served = new AtomicInteger();

    private final AtomicLong refused = new AtomicLong();
    /** Whether the last transport was refused: one warning per run of refusals. */
    private final AtomicBoolean refusing = new AtomicBoolean();

    ConnectionAdmission(int max) {
        this.max = max;
    }

    int served() {
        return served.get();
    }

    long refused() {
        return refused.get();
    }

    @Override
    public Attributes transportReady(Attributes attributes) {
        if (served.incrementAndGet() <= max) {
            refusing.set(false);
            return attributes.toBuilder().set(ADMITTED, true).build();
        }
        served.decrementAndGet();
        refused.incrementAndGet();
        if (refusing.compareAndSet(false, true)) {
            LOG.warn(
                    "grpc door serves limits.max-connections = {} connections: refusing the calls of {} and any"
                            + " more until one closes",
                    max,
                    attributes.get(Grpc.TRANSPORT_ATTR_REMOTE_ADDR));
        }
        return attributes.toBuilder().set(REFUSED, true).build();
    }

    @Override
    public void transportTerminated(Attributes attributes) {
        if (attributes != null && Boolean.TRUE.equals(attributes.get(ADMITTED))) {
            served.decrementAndGet();
        }
    }

    @Override
    public <Q, A> ServerCall.Listener<Q> interceptCall(
            ServerCall<Q, A> call, Metadata headers, ServerCallHandler<Q, A> next) {
        if (Boolean.TRUE.equals(call.getAttributes().get(REFUSED))) {
            call.close(
                    Status.RESOURCE_EXHAUSTED.withDescription(
                            "max number of connections reached (limits.max-connections = " + max
                                    + "); close this connection and try again later"),
                    new Metadata());
            return new ServerCall.Listener<>() {};
        }
        return next.startCall(call, headers);
    }
}
