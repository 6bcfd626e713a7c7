package dev.pbkv.server.grpc;

import com.google.common.util.concurrent.MoreExecutors;
import dev.pbkv.proto.KeyValueGrpc;
import io.grpc.Context;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import java.util.concurrent.Executor;

/**
 * The gRPC server runs calls on its event loops (a direct executor); this moves every call but
 * the KeyValue point operations onto the handler pool. The point operations (Get, Put, Insert,
 * Update, Delete, Exists, Count) only touch the command layer, which never blocks for long (it
 * answers with futures; the RESP and HTTP doors call it from their event loops the same way), so
 * running them inline saves a thread hop per call, the largest cost per call on a small machine.
 * Scan (a pass over the whole map), Admin (dump, promote, shutdown), node-to-node replication,
 * health and reflection still run on the pool: one serial executor per call keeps the callbacks
 * of a call in order, as gRPC's own executor does.
 */
final class HandlerPoolInterceptor implements ServerInterceptor {
    private final Executor pool;

    HandlerPoolInterceptor(Executor pool) {
        this.pool = pool;
    }

    static boolean runsInline(MethodDescriptor<?, ?> method) {
        return KeyValueGrpc.SERVICE_NAME.equals(method.getServiceName())
                && method.getType() == MethodDescriptor.MethodType.UNARY;
    }

    @Override
    public <Q, A> ServerCall.Listener<Q> interceptCall(
            ServerCall<Q, A> call, Metadata headers, ServerCallHandler<Q, A> next) {
        if (runsInline(call.getMethodDescriptor())) {
            return next.startCall(call, headers);
        }
        // gRPC runs listener callbacks inside the call's Context (deadline, cancellation, the
        // server reference reflection looks up): carry it over to the pool's threads.
        Context context = Context.current();
        Executor serial = context.fixedContextExecutor(MoreExecutors.newSequentialExecutor(pool));
        OffloadedListener<Q> listener = new OffloadedListener<>(serial);
        serial.execute(() -> {
            try {
                listener.delegate = next.startCall(call, headers);
            } catch (RuntimeException e) {
                listener.delegate = new ServerCall.Listener<>() {};
                call.close(Status.fromThrowable(e), new Metadata());
            }
        });
        return listener;
    }

    /** Hands each callback to the call's serial executor, behind the task that starts the call. */
    private static final class OffloadedListener<Q> extends ServerCall.Listener<Q> {
        private final Executor serial;
        /** Set by the first task on serial and read only by later tasks on it (a serial executor orders them). */
        private ServerCall.Listener<Q> delegate;

        OffloadedListener(Executor serial) {
            this.serial = serial;
        }

        @Override
        public void onMessage(Q message) {
            serial.execute(() -> delegate.onMessage(message));
        }

        @Override
        public void onHalfClose() {
            serial.execute(() -> delegate.onHalfClose());
        }

        @Override
        public void onCancel() {
            serial.execute(() -> delegate.onCancel());
        }

        @Override
        public void onComplete() {
            serial.execute(() -> delegate.onComplete());
        }

        @Override
        public void onReady() {
            serial.execute(() -> delegate.onReady());
        }
    }
}
