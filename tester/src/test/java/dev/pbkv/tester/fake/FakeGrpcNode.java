package dev.pbkv.tester.fake;

import com.google.protobuf.ByteString;
import dev.pbkv.proto.AdminGrpc;
import dev.pbkv.proto.CountRequest;
import dev.pbkv.proto.CountResponse;
import dev.pbkv.proto.DeleteRequest;
import dev.pbkv.proto.DumpRequest;
import dev.pbkv.proto.DumpResponse;
import dev.pbkv.proto.Entry;
import dev.pbkv.proto.ExistsRequest;
import dev.pbkv.proto.ExistsResponse;
import dev.pbkv.proto.GetRequest;
import dev.pbkv.proto.GetResponse;
import dev.pbkv.proto.KeyValueGrpc;
import dev.pbkv.proto.NodeState;
import dev.pbkv.proto.PromoteRequest;
import dev.pbkv.proto.PromoteResponse;
import dev.pbkv.proto.Role;
import dev.pbkv.proto.ShutdownRequest;
import dev.pbkv.proto.ShutdownResponse;
import dev.pbkv.proto.StatusRequest;
import dev.pbkv.proto.StatusResponse;
import dev.pbkv.proto.WriteRequest;
import dev.pbkv.proto.WriteResponse;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * An in-memory stand-in for a pbkv node on a loopback port: the KeyValue and Admin services over a
 * map. {@link #setUp(boolean)} makes it answer UNAVAILABLE to everything, as a stopped node would
 * look to a tester polling it; writes are refused while its role is BACKUP.
 */
public final class FakeGrpcNode implements AutoCloseable {
    /** The data; shared with a peer to fake replication when {@link #sharing} is used. */
    private final Map<ByteString, ByteString> data;
    /** Whether the node answers; flipped by tests from other threads. */
    private volatile boolean up = true;
    /** The state and role Status reports; set by tests. */
    private volatile NodeState state = NodeState.SYNC;

    private volatile Role role;
    private final Server server;

    public FakeGrpcNode(Role role) throws IOException {
        this(role, new ConcurrentHashMap<>());
    }

    private FakeGrpcNode(Role role, Map<ByteString, ByteString> data) throws IOException {
        this.role = role;
        this.data = data;
        this.server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
                .addService(new Kv())
                .addService(new Admin())
                .build()
                .start();
    }

    /** A second node over the same map, as if every write were replicated at once. */
    public FakeGrpcNode sharing(Role role) throws IOException {
        return new FakeGrpcNode(role, data);
    }

    public String address() {
        return "127.0.0.1:" + server.getPort();
    }

    public void setUp(boolean up) {
        this.up = up;
    }

    public boolean isUp() {
        return up;
    }

    public void setState(NodeState state) {
        this.state = state;
    }

    public void setRole(Role role) {
        this.role = role;
    }

    public Map<ByteString, ByteString> data() {
        return data;
    }

    @Override
    public void close() throws InterruptedException {
        server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }

    private boolean refused(StreamObserver<?> out, boolean write) {
        if (!up) {
            out.onError(Status.UNAVAILABLE.withDescription("fake node is down").asRuntimeException());
            return true;
        }
        if (write && role != Role.PRIMARY) {
            out.onError(Status.UNAVAILABLE.withDescription("not the primary").asRuntimeException());
            return true;
        }
        return false;
    }

    private static void done(StreamObserver<WriteResponse> out) {
        out.onNext(WriteResponse.getDefaultInstance());
        out.onCompleted();
    }

    private static boolean invalid(ByteString key, StreamObserver<?> out) {
        if (key.isEmpty()) {
            out.onError(Status.INVALID_ARGUMENT.withDescription("empty key").asRuntimeException());
            return true;
        }
        return false;
    }

    private final class Kv extends KeyValueGrpc.KeyValueImplBase {
        @Override
        public void get(GetRequest r, StreamObserver<GetResponse> out) {
            if (refused(out, false) || invalid(r.getKey(), out)) {
                return;
            }
            ByteString v = data.get(r.getKey());
            if (v == null) {
                out.onError(Status.NOT_FOUND.asRuntimeException());
                return;
            }
            out.onNext(GetResponse.newBuilder().setValue(v).build());
            out.onCompleted();
        }

        @Override
        public void insert(WriteRequest r, StreamObserver<WriteResponse> out) {
            if (refused(out, true) || invalid(r.getKey(), out)) {
                return;
            }
            if (data.putIfAbsent(r.getKey(), r.getValue()) != null) {
                out.onError(Status.ALREADY_EXISTS.asRuntimeException());
                return;
            }
            done(out);
        }

        @Override
        public void update(WriteRequest r, StreamObserver<WriteResponse> out) {
            if (refused(out, true) || invalid(r.getKey(), out)) {
                return;
            }
            if (data.replace(r.getKey(), r.getValue()) == null) {
                out.onError(Status.NOT_FOUND.asRuntimeException());
                return;
            }
            done(out);
        }

        @Override
        public void put(WriteRequest r, StreamObserver<WriteResponse> out) {
            if (refused(out, true) || invalid(r.getKey(), out)) {
                return;
            }
            data.put(r.getKey(), r.getValue());
            done(out);
        }

        @Override
        public void delete(DeleteRequest r, StreamObserver<WriteResponse> out) {
            if (refused(out, true) || invalid(r.getKey(), out)) {
                return;
            }
            if (data.remove(r.getKey()) == null) {
                out.onError(Status.NOT_FOUND.asRuntimeException());
                return;
            }
            done(out);
        }

        @Override
        public void exists(ExistsRequest r, StreamObserver<ExistsResponse> out) {
            if (refused(out, false)) {
                return;
            }
            out.onNext(ExistsResponse.newBuilder()
                    .setExists(data.containsKey(r.getKey()))
                    .build());
            out.onCompleted();
        }

        @Override
        public void count(CountRequest r, StreamObserver<CountResponse> out) {
            if (refused(out, false)) {
                return;
            }
            out.onNext(CountResponse.newBuilder().setCount(data.size()).build());
            out.onCompleted();
        }
    }

    private final class Admin extends AdminGrpc.AdminImplBase {
        @Override
        public void status(StatusRequest r, StreamObserver<StatusResponse> out) {
            if (refused(out, false)) {
                return;
            }
            out.onNext(StatusResponse.newBuilder()
                    .setState(state)
                    .setRole(role)
                    .setKeyCount(data.size())
                    .build());
            out.onCompleted();
        }

        @Override
        public void dump(DumpRequest r, StreamObserver<DumpResponse> out) {
            if (refused(out, false)) {
                return;
            }
            // Two pages, so the driver must read a stream.
            DumpResponse.Builder a = DumpResponse.newBuilder();
            DumpResponse.Builder b = DumpResponse.newBuilder();
            int n = 0;
            for (Map.Entry<ByteString, ByteString> e : data.entrySet()) {
                (n++ % 2 == 0 ? a : b)
                        .addEntries(Entry.newBuilder().setKey(e.getKey()).setValue(e.getValue()));
            }
            out.onNext(a.build());
            out.onNext(b.build());
            out.onCompleted();
        }

        @Override
        public void promote(PromoteRequest r, StreamObserver<PromoteResponse> out) {
            if (refused(out, false)) {
                return;
            }
            if (role == Role.PRIMARY) {
                out.onError(Status.FAILED_PRECONDITION
                        .withDescription("already primary")
                        .asRuntimeException());
                return;
            }
            role = Role.PRIMARY;
            out.onNext(PromoteResponse.newBuilder().setEpoch(2).build());
            out.onCompleted();
        }

        @Override
        public void shutdown(ShutdownRequest r, StreamObserver<ShutdownResponse> out) {
            if (refused(out, false)) {
                return;
            }
            out.onNext(ShutdownResponse.getDefaultInstance());
            out.onCompleted();
            up = false;
        }
    }
}
