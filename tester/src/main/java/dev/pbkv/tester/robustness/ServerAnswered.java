package dev.pbkv.tester.robustness;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.ForwardingClientCall;
import io.grpc.ForwardingClientCallListener;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Tells a status the node sent from one the client's transport made up. gRPC gives both the same
 * codes (a node's "UNAVAILABLE: this node is a backup" and a reset connection's "UNAVAILABLE: io
 * exception"), yet only the first says the write was refused. A call is marked answered by the
 * node when response headers arrived, or when its trailers carry what only a server sends (a
 * trailers-only response keeps its {@code content-type}; a status the client makes up has empty
 * trailers). The flag is per call: {@code stub.withOption(FLAG, new AtomicBoolean())}.
 */
final class ServerAnswered implements ClientInterceptor {
    /** Set by this interceptor when the node itself answered the call. */
    static final CallOptions.Key<AtomicBoolean> FLAG = CallOptions.Key.create("pbkv-server-answered");

    @Override
    public <Q, R> ClientCall<Q, R> interceptCall(MethodDescriptor<Q, R> method, CallOptions options, Channel next) {
        AtomicBoolean flag = options.getOption(FLAG);
        ClientCall<Q, R> call = next.newCall(method, options);
        if (flag == null) {
            return call;
        }
        return new ForwardingClientCall.SimpleForwardingClientCall<>(call) {
            @Override
            public void start(Listener<R> listener, Metadata headers) {
                super.start(
                        new ForwardingClientCallListener.SimpleForwardingClientCallListener<>(listener) {
                            @Override
                            public void onHeaders(Metadata h) {
                                flag.set(true);
                                super.onHeaders(h);
                            }

                            @Override
                            public void onClose(Status status, Metadata trailers) {
                                if (trailers != null && !trailers.keys().isEmpty()) {
                                    flag.set(true);
                                }
                                super.onClose(status, trailers);
                            }
                        },
                        headers);
            }
        };
    }
}
