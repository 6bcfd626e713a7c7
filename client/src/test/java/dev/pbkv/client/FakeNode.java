package dev.pbkv.client;

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
import dev.pbkv.proto.ExpireRequest;
import dev.pbkv.proto.ExpireResponse;
import dev.pbkv.proto.GetRequest;
import dev.pbkv.proto.GetResponse;
import dev.pbkv.proto.KeyValueGrpc;
import dev.pbkv.proto.NodeState;
import dev.pbkv.proto.PromoteRequest;
import dev.pbkv.proto.PromoteResponse;
import dev.pbkv.proto.Role;
import dev.pbkv.proto.ScanRequest;
import dev.pbkv.proto.ScanResponse;
import dev.pbkv.proto.ShutdownRequest;
import dev.pbkv.proto.ShutdownResponse;
import dev.pbkv.proto.StatusRequest;
import dev.pbkv.proto.StatusResponse;
import dev.pbkv.proto.WriteRequest;
import dev.pbkv.proto.WriteResponse;
import dev.pbkv.proto.WriteTag;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A stand-in pbkv node for client tests: a real gRPC server on a free loopback port (Netty
 * sockets), with the KeyValue and Admin services over an in-memory sorted map, and knobs to
 * refuse calls the way a backup or a starting node does.
 */
public final class FakeNode implements AutoCloseable {

    static final Metadata.Key<String> PRIMARY_TRAILER =
            Metadata.Key.of("pbkv-primary", Metadata.ASCII_STRING_MARSHALLER);

    public final Map<ByteString, ByteString> data =
            new ConcurrentSkipListMap<>(ByteString.unsignedLexicographicalComparator());
    /** Every write tag received, refused attempts included, in arrival order. */
    public final List<WriteTag> tagsSeen = new CopyOnWriteArrayList<>();
    /** Every expire request received. */
    public final List<ExpireRequest> expires = new CopyOnWriteArrayList<>();
    /** Every scan request received. */
    public final List<ScanRequest> scans = new CopyOnWriteArrayList<>();
    /** Calls received, of any RPC. */
    public final AtomicInteger calls = new AtomicInteger();
    /** This many next calls are refused with UNAVAILABLE (with the hint, if set). */
    public final AtomicInteger refuseNext = new AtomicInteger();
    /** Shutdown requests received. */
    public final AtomicInteger shutdowns = new AtomicInteger();

    private final AtomicLong offset = new AtomicLong();
    // Both written by tests on their thread and read by gRPC threads.
    private volatile boolean primary;
    private volatile String primaryHint;
    private volatile long epoch = 1;
    private final String nodeId;
    private final Server server;

    public FakeNode(String nodeId, boolean primary) throws IOException {
        this.nodeId = nodeId;
        this.primary = primary;
        this.server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
                .addService(new KeyValueImpl())
                .addService(new AdminImpl())
                .build()
                .start();
    }

    public int port() {
        return server.getPort();
    }

    public Endpoint endpoint() {
        return new Endpoint("127.0.0.1", port());
    }

    public String address() {
        return endpoint().toString();
    }

    /** Makes this node a backup that names {@code primaryAddress} (null: unknown) in refusals. */
    public FakeNode backupOf(String primaryAddress) {
        this.primary = false;
        this.primaryHint = primaryAddress;
        return this;
    }

    public FakeNode makePrimary() {
        this.primary = true;
        this.primaryHint = null;
        return this;
    }

    public void put(String key, String value) {
        data.put(ByteString.copyFromUtf8(key), ByteString.copyFromUtf8(value));
    }

    @Override
    public void close() {
        server.shutdownNow();
        try {
            server.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private StatusRuntimeException unavailable(String why) {
        Metadata trailers = new Metadata();
        String hint = primaryHint;
        if (hint != null) {
            trailers.put(PRIMARY_TRAILER, hint);
        }
        return Status.UNAVAILABLE.withDescription(why).asRuntimeException(trailers);
    }

    /** Counts the call; throws when this call is to be refused. */
    private void admit(boolean write, boolean allowStale) {
        calls.incrementAndGet();
        if (refuseNext.getAndUpdate(n -> n > 0 ? n - 1 : 0) > 0) {
            throw unavailable("refused on purpose by the test");
        }
        if (!primary && (write || !allowStale)) {
            throw unavailable("this node is a backup");
        }
    }

    private void checkKey(ByteString key) {
        if (key.isEmpty()) {
            throw Status.INVALID_ARGUMENT.withDescription("empty key").asRuntimeException();
        }
    }

    private WriteResponse written(boolean created) {
        return WriteResponse.newBuilder()
                .setOffset(offset.incrementAndGet())
                .setCreated(created)
                .build();
    }

    private static <T> void answer(StreamObserver<T> o, java.util.function.Supplier<T> body) {
        try {
            T value = body.get();
            o.onNext(value);
            o.onCompleted();
        } catch (StatusRuntimeException e) {
            o.onError(e);
        }
    }

    private final class KeyValueImpl extends KeyValueGrpc.KeyValueImplBase {
        @Override
        public void get(GetRequest req, StreamObserver<GetResponse> o) {
            answer(o, () -> {
                admit(false, req.getAllowStale());
                checkKey(req.getKey());
                ByteString v = data.get(req.getKey());
                if (v == null) {
                    throw Status.NOT_FOUND.withDescription("no such key").asRuntimeException();
                }
                return GetResponse.newBuilder().setValue(v).build();
            });
        }

        @Override
        public void insert(WriteRequest req, StreamObserver<WriteResponse> o) {
            answer(o, () -> {
                tagsSeen.add(req.getTag());
                admit(true, false);
                checkKey(req.getKey());
                if (data.putIfAbsent(req.getKey(), req.getValue()) != null) {
                    throw Status.ALREADY_EXISTS.withDescription("key exists").asRuntimeException();
                }
                return written(true);
            });
        }

        @Override
        public void update(WriteRequest req, StreamObserver<WriteResponse> o) {
            answer(o, () -> {
                tagsSeen.add(req.getTag());
                admit(true, false);
                checkKey(req.getKey());
                if (data.replace(req.getKey(), req.getValue()) == null) {
                    throw Status.NOT_FOUND.withDescription("no such key").asRuntimeException();
                }
                return written(false);
            });
        }

        @Override
        public void put(WriteRequest req, StreamObserver<WriteResponse> o) {
            answer(o, () -> {
                tagsSeen.add(req.getTag());
                admit(true, false);
                checkKey(req.getKey());
                return written(data.put(req.getKey(), req.getValue()) == null);
            });
        }

        @Override
        public void delete(DeleteRequest req, StreamObserver<WriteResponse> o) {
            answer(o, () -> {
                tagsSeen.add(req.getTag());
                admit(true, false);
                checkKey(req.getKey());
                if (data.remove(req.getKey()) == null) {
                    throw Status.NOT_FOUND.withDescription("no such key").asRuntimeException();
                }
                return written(false);
            });
        }

        /** Keeps no deadlines: answers changed when the key is present, and records the request. */
        @Override
        public void expire(ExpireRequest req, StreamObserver<ExpireResponse> o) {
            answer(o, () -> {
                expires.add(req);
                admit(true, false);
                checkKey(req.getKey());
                return ExpireResponse.newBuilder()
                        .setChanged(data.containsKey(req.getKey()))
                        .build();
            });
        }

        @Override
        public void exists(ExistsRequest req, StreamObserver<ExistsResponse> o) {
            answer(o, () -> {
                admit(false, req.getAllowStale());
                return ExistsResponse.newBuilder()
                        .setExists(data.containsKey(req.getKey()))
                        .build();
            });
        }

        @Override
        public void count(CountRequest req, StreamObserver<CountResponse> o) {
            answer(o, () -> {
                admit(false, req.getAllowStale());
                return CountResponse.newBuilder().setCount(data.size()).build();
            });
        }

        @Override
        public void scan(ScanRequest req, StreamObserver<ScanResponse> o) {
            try {
                scans.add(req);
                admit(false, req.getAllowStale());
                int limit = req.getLimit() == 0 ? 1000 : req.getLimit();
                if (limit > 10000) {
                    throw Status.INVALID_ARGUMENT
                            .withDescription("limit over 10000")
                            .asRuntimeException();
                }
                // Several messages per call, as a real node streams a page in chunks.
                ScanResponse.Builder chunk = ScanResponse.newBuilder();
                int sent = 0;
                for (Map.Entry<ByteString, ByteString> e : data.entrySet()) {
                    if (sent == limit) {
                        break;
                    }
                    if (!e.getKey().startsWith(req.getPrefix())
                            || ByteString.unsignedLexicographicalComparator().compare(e.getKey(), req.getStartAfter())
                                    <= 0) {
                        continue;
                    }
                    chunk.addEntries(Entry.newBuilder().setKey(e.getKey()).setValue(e.getValue()));
                    sent++;
                    if (chunk.getEntriesCount() == 128) {
                        o.onNext(chunk.build());
                        chunk.clear();
                    }
                }
                if (chunk.getEntriesCount() > 0) {
                    o.onNext(chunk.build());
                }
                o.onCompleted();
            } catch (StatusRuntimeException e) {
                o.onError(e);
            }
        }
    }

    private final class AdminImpl extends AdminGrpc.AdminImplBase {
        @Override
        public void status(StatusRequest req, StreamObserver<StatusResponse> o) {
            calls.incrementAndGet();
            String hint = primaryHint;
            o.onNext(StatusResponse.newBuilder()
                    .setNodeId(nodeId)
                    .setConfiguredRole("primary".equals(nodeId) ? Role.PRIMARY : Role.BACKUP)
                    .setRole(primary ? Role.PRIMARY : Role.BACKUP)
                    .setState(NodeState.SYNC)
                    .setEpoch(epoch)
                    .setLastOffset(offset.get())
                    .setKeyCount(data.size())
                    .setGrpcAddress(address())
                    .setPrimaryAddress(primary ? address() : hint == null ? "" : hint)
                    .build());
            o.onCompleted();
        }

        @Override
        public void dump(DumpRequest req, StreamObserver<DumpResponse> o) {
            try {
                admit(false, req.getAllowStale());
            } catch (StatusRuntimeException e) {
                o.onError(e);
                return;
            }
            List<Entry> page = new ArrayList<>();
            for (Map.Entry<ByteString, ByteString> e : data.entrySet()) {
                page.add(Entry.newBuilder()
                        .setKey(e.getKey())
                        .setValue(e.getValue())
                        .build());
                if (page.size() == 100) {
                    o.onNext(DumpResponse.newBuilder().addAllEntries(page).build());
                    page.clear();
                }
            }
            if (!page.isEmpty()) {
                o.onNext(DumpResponse.newBuilder().addAllEntries(page).build());
            }
            o.onCompleted();
        }

        @Override
        public void promote(PromoteRequest req, StreamObserver<PromoteResponse> o) {
            calls.incrementAndGet();
            if (primary) {
                o.onError(Status.FAILED_PRECONDITION
                        .withDescription("already primary")
                        .asRuntimeException());
                return;
            }
            makePrimary();
            epoch++;
            o.onNext(PromoteResponse.newBuilder().setEpoch(epoch).build());
            o.onCompleted();
        }

        @Override
        public void shutdown(ShutdownRequest req, StreamObserver<ShutdownResponse> o) {
            calls.incrementAndGet();
            shutdowns.incrementAndGet();
            o.onNext(ShutdownResponse.newBuilder().setSwitchedOver(false).build());
            o.onCompleted();
        }
    }
}
