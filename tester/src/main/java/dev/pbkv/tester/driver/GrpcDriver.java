package dev.pbkv.tester.driver;

import com.google.protobuf.ByteString;
import dev.pbkv.proto.AdminGrpc;
import dev.pbkv.proto.CountRequest;
import dev.pbkv.proto.DeleteRequest;
import dev.pbkv.proto.DumpRequest;
import dev.pbkv.proto.DumpResponse;
import dev.pbkv.proto.Entry;
import dev.pbkv.proto.ExistsRequest;
import dev.pbkv.proto.ExpireRequest;
import dev.pbkv.proto.GetRequest;
import dev.pbkv.proto.KeyValueGrpc;
import dev.pbkv.proto.PromoteRequest;
import dev.pbkv.proto.ShutdownRequest;
import dev.pbkv.proto.StatusRequest;
import dev.pbkv.proto.StatusResponse;
import dev.pbkv.proto.TtlRequest;
import dev.pbkv.proto.WatchEvent;
import dev.pbkv.proto.WatchEventType;
import dev.pbkv.proto.WatchRequest;
import dev.pbkv.proto.WatchResponse;
import dev.pbkv.proto.WriteRequest;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import java.time.Duration;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import javax.net.ssl.SSLException;

/**
 * Drives one node through pbkv's gRPC API with the generated stubs (not the Java client: the
 * tester must see each raw answer, with no retry or primary-following in between). Every call has
 * the configured deadline. Reads set {@code allow_stale}, so a read sent to a backup answers from
 * the backup's own copy; on a primary the flag changes nothing.
 */
public final class GrpcDriver implements Driver {
    private final ManagedChannel channel;
    private final Duration deadline;

    /** Plaintext, no credentials. */
    public GrpcDriver(String address, Duration deadline) {
        this(address, deadline, NodeConnector.PLAINTEXT);
    }

    /** Over {@code connector}'s TLS, if on, with its credentials on every call, if any. */
    public GrpcDriver(String address, Duration deadline, NodeConnector connector) {
        this.channel =
                connector.grpc(address).maxInboundMessageSize(64 * 1024 * 1024).build();
        this.deadline = deadline;
    }

    private KeyValueGrpc.KeyValueBlockingStub kv() {
        return KeyValueGrpc.newBlockingStub(channel).withDeadlineAfter(deadline.toMillis(), TimeUnit.MILLISECONDS);
    }

    private AdminGrpc.AdminBlockingStub admin() {
        return AdminGrpc.newBlockingStub(channel).withDeadlineAfter(deadline.toMillis(), TimeUnit.MILLISECONDS);
    }

    private static ByteString bytes(String s) {
        return ByteString.copyFromUtf8(s);
    }

    private static WriteRequest write(String key, String value) {
        return WriteRequest.newBuilder()
                .setKey(bytes(key))
                .setValue(bytes(value))
                .build();
    }

    @Override
    public OpResult insert(String key, String value) {
        return call(() -> {
            kv().insert(write(key, value));
            return new OpResult.Done();
        });
    }

    @Override
    public OpResult update(String key, String value) {
        return call(() -> {
            kv().update(write(key, value));
            return new OpResult.Done();
        });
    }

    @Override
    public OpResult put(String key, String value) {
        return call(() -> {
            kv().put(write(key, value));
            return new OpResult.Done();
        });
    }

    @Override
    public OpResult get(String key) {
        OpResult r = call(() -> new OpResult.Value(kv().get(GetRequest.newBuilder()
                        .setKey(bytes(key))
                        .setAllowStale(true)
                        .build())
                .getValue()
                .toStringUtf8()));
        if (r instanceof OpResult.Failed f && f.code().equals(FailureCode.NOT_FOUND)) {
            return new OpResult.Missing();
        }
        return r;
    }

    @Override
    public OpResult expire(String key, Duration ttl) {
        return call(() -> kv().expire(ExpireRequest.newBuilder()
                                .setKey(bytes(key))
                                .setTtlMs(ttl.toMillis())
                                .build())
                        .getChanged()
                ? new OpResult.Done()
                : new OpResult.Missing());
    }

    @Override
    public OpResult ttl(String key) {
        OpResult r = call(() -> new OpResult.Ttl(kv().ttl(TtlRequest.newBuilder()
                        .setKey(bytes(key))
                        .setAllowStale(true)
                        .build())
                .getTtlMs()));
        if (r instanceof OpResult.Failed f && f.code().equals(FailureCode.NOT_FOUND)) {
            return new OpResult.Missing();
        }
        return r;
    }

    @Override
    public KeyWatch watch(String key, boolean prefix) {
        KeyWatch w = new KeyWatch();
        KeyValueGrpc.newStub(channel)
                .watch(
                        WatchRequest.newBuilder()
                                .setKey(bytes(key))
                                .setPrefix(prefix)
                                .setAllowStale(true)
                                .build(),
                        new ClientResponseObserver<WatchRequest, WatchResponse>() {
                            @Override
                            public void beforeStart(ClientCallStreamObserver<WatchRequest> call) {
                                w.onClose(() -> call.cancel("the tester closed the watch", null));
                            }

                            @Override
                            public void onNext(WatchResponse r) {
                                w.started();
                                for (WatchEvent e : r.getEventsList()) {
                                    w.add(new KeyWatch.Change(
                                            switch (e.getType()) {
                                                case WATCH_EVENT_TYPE_SET -> "set";
                                                case WATCH_EVENT_TYPE_DELETE -> "delete";
                                                case WATCH_EVENT_TYPE_EXPIRED -> "expired";
                                                default -> e.getType().name();
                                            },
                                            e.getKey().toStringUtf8(),
                                            e.getType() == WatchEventType.WATCH_EVENT_TYPE_SET
                                                    ? e.getValue().toStringUtf8()
                                                    : null));
                                }
                            }

                            @Override
                            public void onError(Throwable t) {
                                w.end(Status.fromThrowable(t).toString());
                            }

                            @Override
                            public void onCompleted() {
                                w.end("the node ended the stream");
                            }
                        });
        return w;
    }

    @Override
    public OpResult delete(String key) {
        return call(() -> {
            kv().delete(DeleteRequest.newBuilder().setKey(bytes(key)).build());
            return new OpResult.Done();
        });
    }

    @Override
    public OpResult exists(String key) {
        return call(() -> new OpResult.Flag(kv().exists(ExistsRequest.newBuilder()
                        .setKey(bytes(key))
                        .setAllowStale(true)
                        .build())
                .getExists()));
    }

    @Override
    public OpResult count() {
        return call(() -> new OpResult.Count(
                kv().count(CountRequest.newBuilder().setAllowStale(true).build())
                        .getCount()));
    }

    @Override
    public OpResult dump(boolean allowStale) {
        return call(() -> {
            Map<String, String> entries = new HashMap<>();
            Iterator<DumpResponse> pages = admin().dump(
                            DumpRequest.newBuilder().setAllowStale(allowStale).build());
            while (pages.hasNext()) {
                for (Entry e : pages.next().getEntriesList()) {
                    entries.put(e.getKey().toStringUtf8(), e.getValue().toStringUtf8());
                }
            }
            return new OpResult.Dump(entries);
        });
    }

    @Override
    public OpResult status() {
        return call(() -> {
            StatusResponse s = admin().status(StatusRequest.getDefaultInstance());
            return new OpResult.Status(s.getState().name(), s.getRole().name());
        });
    }

    @Override
    public OpResult promote() {
        return call(() -> {
            admin().promote(PromoteRequest.getDefaultInstance());
            return new OpResult.Done();
        });
    }

    @Override
    public OpResult shutdown() {
        return call(() -> {
            admin().shutdown(ShutdownRequest.getDefaultInstance());
            return new OpResult.Done();
        });
    }

    @Override
    public void reconnectNow() {
        channel.resetConnectBackoff();
    }

    /** Runs one RPC; every exception becomes a Failed result. */
    private OpResult call(Supplier<OpResult> rpc) {
        try {
            return rpc.get();
        } catch (StatusRuntimeException e) {
            Status s = e.getStatus();
            if (s.getCode() == Status.Code.UNAVAILABLE) {
                // The channel backs off between reconnects (up to minutes); a tester polling a node
                // that is coming back wants the next call to try at once.
                channel.resetConnectBackoff();
            }
            String message = s.getDescription();
            SSLException tls = tlsFailure(s.getCause());
            if (tls != null) {
                // "io exception" alone would hide why: say it was the handshake, and its reason.
                message = "TLS handshake failed: " + tls.getMessage()
                        + " (is tls.ca_file the CA that signed the node's certificate?)";
            } else if (message == null && s.getCause() != null) {
                message = s.getCause().toString();
            }
            return new OpResult.Failed(s.getCode().name(), message);
        } catch (RuntimeException e) {
            return new OpResult.Failed("UNKNOWN", "client error: " + e);
        }
    }

    /** The TLS error in a failure's causes, or null. */
    static SSLException tlsFailure(Throwable cause) {
        for (Throwable t = cause; t != null; t = t.getCause()) {
            if (t instanceof SSLException ssl) {
                return ssl;
            }
        }
        return null;
    }

    @Override
    public void close() {
        channel.shutdownNow();
        try {
            channel.awaitTermination(2, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
