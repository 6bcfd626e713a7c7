package dev.pbkv.server.replication;

import dev.pbkv.server.auth.ClusterSecret;
import io.grpc.BindableService;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.ForwardingClientCall;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.Status;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The cluster secret on node-to-node calls (docs/security.md, "Between the nodes"): every call this
 * node makes to its peer carries a proof, and the replication service (probe, the replication
 * stream, snapshots, epochs, and so handover) refuses a call without a good one, UNAUTHENTICATED,
 * before it reaches the pair. Without a secret configured nothing is added or checked.
 */
final class PeerProof {
    private static final Logger log = LoggerFactory.getLogger(PeerProof.class);
    static final Metadata.Key<String> KEY =
            Metadata.Key.of(ClusterSecret.METADATA_KEY, Metadata.ASCII_STRING_MARSHALLER);
    /** A flood of refused calls is logged once per this long, with the count in between. */
    private static final long LOG_EVERY_MS = 5_000;

    private final ClusterSecret secret;
    /** tls.mutual-peers: a call must come over TLS with a client certificate the CA signed. */
    private final boolean requireCertificate;

    private final String nodeId;
    private final AtomicLong lastLogMillis = new AtomicLong(Long.MIN_VALUE / 2);
    private final AtomicLong unlogged = new AtomicLong();

    /** secret null: no secret configured. */
    PeerProof(ClusterSecret secret, boolean requireCertificate, String nodeId) {
        this.secret = secret;
        this.requireCertificate = requireCertificate;
        this.nodeId = nodeId;
    }

    /** Adds the proof to every call on the peer channel. */
    ClientInterceptor client() {
        return new ClientInterceptor() {
            @Override
            public <Q, A> ClientCall<Q, A> interceptCall(
                    MethodDescriptor<Q, A> method, CallOptions options, Channel next) {
                return new ForwardingClientCall.SimpleForwardingClientCall<>(next.newCall(method, options)) {
                    @Override
                    public void start(Listener<A> listener, Metadata headers) {
                        if (secret != null) {
                            headers.put(KEY, secret.prove(nodeId));
                        }
                        super.start(listener, headers);
                    }
                };
            }
        };
    }

    /** The service, guarded: calls without a good proof are refused before they reach it. */
    BindableService guard(BindableService service) {
        if (secret == null && !requireCertificate) {
            return service;
        }
        ServerInterceptor check = new ServerInterceptor() {
            @Override
            public <Q, A> ServerCall.Listener<Q> interceptCall(
                    ServerCall<Q, A> call, Metadata headers, ServerCallHandler<Q, A> next) {
                String why = requireCertificate ? certificateMissing(call) : null;
                if (why == null && secret != null) {
                    why = secret.check(headers.get(KEY), System.currentTimeMillis());
                }
                if (why == null) {
                    return next.startCall(call, headers);
                }
                refused(call, why);
                call.close(
                        Status.UNAUTHENTICATED.withDescription("refused, not applied: node-to-node calls need "
                                + (requireCertificate ? "a certificate of the nodes' CA (tls.mutual-peers)" : "")
                                + (requireCertificate && secret != null ? " and " : "")
                                + (secret != null ? "the cluster secret (auth.cluster-secret-file)" : "")
                                + "; this one came with " + why),
                        new Metadata());
                return new ServerCall.Listener<>() {};
            }
        };
        return () -> ServerInterceptors.intercept(service, check);
    }

    /** Null when the call came over TLS with a verified client certificate; else what it lacked. */
    private static String certificateMissing(ServerCall<?, ?> call) {
        SSLSession session = call.getAttributes().get(Grpc.TRANSPORT_ATTR_SSL_SESSION);
        if (session == null) {
            return "no TLS";
        }
        try {
            // The trust manager checked the chain against tls.ca-file in the handshake.
            return session.getPeerCertificates().length > 0 ? null : "no client certificate";
        } catch (SSLPeerUnverifiedException e) {
            return "no client certificate";
        }
    }

    private void refused(ServerCall<?, ?> call, String why) {
        long now = System.currentTimeMillis();
        long last = lastLogMillis.get();
        if (now - last < LOG_EVERY_MS || !lastLogMillis.compareAndSet(last, now)) {
            unlogged.incrementAndGet();
            return;
        }
        long more = unlogged.getAndSet(0);
        log.warn(
                "{}: refused {} from {}: {}{}",
                nodeId,
                call.getMethodDescriptor().getFullMethodName(),
                call.getAttributes().get(Grpc.TRANSPORT_ATTR_REMOTE_ADDR),
                why,
                more > 0 ? " (and " + more + " more refused node-to-node calls since the last such line)" : "");
    }
}
