package dev.pbkv.server.grpc;

import dev.pbkv.proto.AdminGrpc;
import dev.pbkv.proto.KeyValueGrpc;
import dev.pbkv.server.metrics.NodeMetrics;
import dev.pbkv.server.metrics.RequestMeter;
import io.grpc.ForwardingServerCall;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import java.util.Locale;

/**
 * Counts and times the KeyValue and Admin calls in the node's {@link NodeMetrics} as
 * {@code door="grpc"}, {@code command=<method, lower case>}; an OK status is a success. Other
 * services (health, reflection, node-to-node replication streams) are not counted.
 */
final class MeteringInterceptor implements ServerInterceptor {
    private final NodeMetrics metrics;

    MeteringInterceptor(NodeMetrics metrics) {
        this.metrics = metrics;
    }

    @Override
    public <Q, A> ServerCall.Listener<Q> interceptCall(
            ServerCall<Q, A> call, Metadata headers, ServerCallHandler<Q, A> next) {
        String service = call.getMethodDescriptor().getServiceName();
        if (!KeyValueGrpc.SERVICE_NAME.equals(service) && !AdminGrpc.SERVICE_NAME.equals(service)) {
            return next.startCall(call, headers);
        }
        // requestMeter hands back the same instance per method (one map lookup per call).
        RequestMeter meter = metrics.requestMeter(
                "grpc", call.getMethodDescriptor().getBareMethodName().toLowerCase(Locale.ROOT));
        long start = System.nanoTime();
        return next.startCall(
                new ForwardingServerCall.SimpleForwardingServerCall<>(call) {
                    @Override
                    public void close(Status status, Metadata trailers) {
                        meter.record(start, status.isOk());
                        super.close(status, trailers);
                    }
                },
                headers);
    }
}
