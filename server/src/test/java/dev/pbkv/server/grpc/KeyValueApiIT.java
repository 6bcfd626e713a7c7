package dev.pbkv.server.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import dev.pbkv.proto.AdminGrpc;
import dev.pbkv.proto.CountRequest;
import dev.pbkv.proto.DeleteRequest;
import dev.pbkv.proto.DumpRequest;
import dev.pbkv.proto.DumpResponse;
import dev.pbkv.proto.Entry;
import dev.pbkv.proto.ExistsRequest;
import dev.pbkv.proto.GetRequest;
import dev.pbkv.proto.KeyValueGrpc;
import dev.pbkv.proto.NodeState;
import dev.pbkv.proto.PromoteRequest;
import dev.pbkv.proto.Role;
import dev.pbkv.proto.ScanRequest;
import dev.pbkv.proto.ScanResponse;
import dev.pbkv.proto.StatusRequest;
import dev.pbkv.proto.StatusResponse;
import dev.pbkv.proto.WriteRequest;
import dev.pbkv.proto.WriteResponse;
import dev.pbkv.testkit.NodeProcess;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.reflection.v1.ServerReflectionGrpc;
import io.grpc.reflection.v1.ServerReflectionRequest;
import io.grpc.reflection.v1.ServerReflectionResponse;
import io.grpc.stub.StreamObserver;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every KeyValue and Admin RPC and every error code against one real node process. */
class KeyValueApiIT {
    @TempDir
    static Path dir;

    static NodeProcess node;
    static KeyValueGrpc.KeyValueBlockingStub kv;
    static AdminGrpc.AdminBlockingStub admin;

    @BeforeAll
    static void startNode() {
        node = NodeProcess.primary(dir).set("limits.max-scan-limit", "500").start();
        kv = KeyValueGrpc.newBlockingStub(node.channel()).withDeadlineAfter(60, TimeUnit.SECONDS);
        admin = AdminGrpc.newBlockingStub(node.channel()).withDeadlineAfter(60, TimeUnit.SECONDS);
    }

    @AfterAll
    static void stopNode() {
        if (node != null) {
            node.close();
        }
    }

    static ByteString bs(String s) {
        return ByteString.copyFromUtf8(s);
    }

    static WriteRequest write(String k, String v) {
        return WriteRequest.newBuilder().setKey(bs(k)).setValue(bs(v)).build();
    }

    static GetRequest get(String k) {
        return GetRequest.newBuilder().setKey(bs(k)).build();
    }

    static Status.Code codeOf(Runnable call) {
        try {
            call.run();
        } catch (StatusRuntimeException e) {
            return e.getStatus().getCode();
        }
        return Status.Code.OK;
    }

    @Test
    void writesAndReadsFollowTheirContracts() {
        WriteResponse ins = kv.insert(write("api/a", "1"));
        assertThat(ins.getCreated()).isTrue();
        assertThat(ins.getOffset()).isPositive();
        assertThat(codeOf(() -> kv.insert(write("api/a", "2")))).isEqualTo(Status.Code.ALREADY_EXISTS);
        assertThat(kv.get(get("api/a")).getValue().toStringUtf8()).isEqualTo("1");

        WriteResponse upd = kv.update(write("api/a", "3"));
        assertThat(upd.getCreated()).isFalse();
        assertThat(upd.getOffset()).isGreaterThan(ins.getOffset());
        assertThat(kv.get(get("api/a")).getValue().toStringUtf8()).isEqualTo("3");
        assertThat(codeOf(() -> kv.update(write("api/none", "3")))).isEqualTo(Status.Code.NOT_FOUND);

        assertThat(kv.put(write("api/b", "x")).getCreated()).isTrue();
        assertThat(kv.put(write("api/b", "y")).getCreated()).isFalse();
        assertThat(kv.exists(ExistsRequest.newBuilder().setKey(bs("api/b")).build())
                        .getExists())
                .isTrue();

        kv.delete(DeleteRequest.newBuilder().setKey(bs("api/b")).build());
        assertThat(codeOf(() ->
                        kv.delete(DeleteRequest.newBuilder().setKey(bs("api/b")).build())))
                .isEqualTo(Status.Code.NOT_FOUND);
        assertThat(codeOf(() -> kv.get(get("api/b")))).isEqualTo(Status.Code.NOT_FOUND);
        assertThat(kv.exists(ExistsRequest.newBuilder().setKey(bs("api/b")).build())
                        .getExists())
                .isFalse();
    }

    @Test
    void countFollowsInsertsAndDeletes() {
        long before = kv.count(CountRequest.getDefaultInstance()).getCount();
        kv.put(write("count/1", "v"));
        kv.put(write("count/2", "v"));
        assertThat(kv.count(CountRequest.getDefaultInstance()).getCount()).isEqualTo(before + 2);
        kv.delete(DeleteRequest.newBuilder().setKey(bs("count/1")).build());
        assertThat(kv.count(CountRequest.getDefaultInstance()).getCount()).isEqualTo(before + 1);
    }

    @Test
    void scanStreamsKeyOrderedPagesAndContinuesAfterTheLastKey() {
        for (int i = 0; i < 30; i++) {
            kv.put(write(String.format("scan/%03d", i), "v" + i));
        }
        List<Entry> first = scanAll(
                ScanRequest.newBuilder().setPrefix(bs("scan/")).setLimit(20).build());
        assertThat(first)
                .extracting(e -> e.getKey().toStringUtf8())
                .hasSize(20)
                .isSorted()
                .startsWith("scan/000")
                .endsWith("scan/019");
        List<Entry> rest = scanAll(ScanRequest.newBuilder()
                .setPrefix(bs("scan/"))
                .setLimit(20)
                .setStartAfter(first.get(19).getKey())
                .build());
        assertThat(rest).extracting(e -> e.getKey().toStringUtf8()).hasSize(10).startsWith("scan/020");
        assertThat(rest.get(0).getValue().toStringUtf8()).isEqualTo("v20");
        assertThat(scanAll(ScanRequest.newBuilder().setPrefix(bs("scan/none")).build()))
                .isEmpty();
    }

    @Test
    void largeScanResultsArriveInSeveralMessages() {
        String big = "x".repeat(200_000);
        for (int i = 0; i < 12; i++) {
            kv.put(write(String.format("bigscan/%02d", i), big));
        }
        List<ScanResponse> messages = new ArrayList<>();
        kv.scan(ScanRequest.newBuilder().setPrefix(bs("bigscan/")).build()).forEachRemaining(messages::add);
        assertThat(messages.size()).isGreaterThan(1);
        assertThat(messages.stream().mapToInt(ScanResponse::getEntriesCount).sum())
                .isEqualTo(12);
    }

    static List<Entry> scanAll(ScanRequest r) {
        List<Entry> out = new ArrayList<>();
        kv.scan(r).forEachRemaining(page -> out.addAll(page.getEntriesList()));
        return out;
    }

    @Test
    void badInputGetsInvalidArgumentAndTheNodeKeepsServing() {
        assertThat(codeOf(() -> kv.put(write("", "v")))).isEqualTo(Status.Code.INVALID_ARGUMENT);
        assertThat(codeOf(() -> kv.get(get("")))).isEqualTo(Status.Code.INVALID_ARGUMENT);
        assertThat(codeOf(() -> kv.put(write("k".repeat(1025), "v")))).isEqualTo(Status.Code.INVALID_ARGUMENT);
        assertThat(codeOf(() -> kv.put(WriteRequest.newBuilder()
                        .setKey(bs("bad/v"))
                        .setValue(ByteString.copyFrom(new byte[(1 << 20) + 1]))
                        .build())))
                .isEqualTo(Status.Code.INVALID_ARGUMENT);
        assertThat(codeOf(() -> scanAll(ScanRequest.newBuilder().setLimit(501).build())))
                .isEqualTo(Status.Code.INVALID_ARGUMENT);
        assertThat(codeOf(() -> scanAll(ScanRequest.newBuilder().setLimit(-1).build()))) // uint32 4294967295
                .isEqualTo(Status.Code.INVALID_ARGUMENT);
        StatusRuntimeException e = (StatusRuntimeException)
                org.assertj.core.api.Assertions.catchThrowable(() -> kv.put(write("k".repeat(1025), "v")));
        assertThat(e.getStatus().getDescription()).contains("limits.max-key-bytes = 1024");

        // Nothing was stored, and the node still serves; the limits are inclusive.
        assertThat(codeOf(() -> kv.get(get("bad/v")))).isEqualTo(Status.Code.NOT_FOUND);
        kv.put(WriteRequest.newBuilder()
                .setKey(bs("k".repeat(1024)))
                .setValue(ByteString.copyFrom(new byte[1 << 20]))
                .build());
        assertThat(kv.get(get("k".repeat(1024))).getValue().size()).isEqualTo(1 << 20);
    }

    @Test
    void dumpStreamsEveryEntry() {
        for (int i = 0; i < 50; i++) {
            kv.put(write("dump/" + i, "v" + i));
        }
        List<Entry> all = new ArrayList<>();
        Iterator<DumpResponse> it = admin.dump(DumpRequest.getDefaultInstance());
        it.forEachRemaining(p -> all.addAll(p.getEntriesList()));
        assertThat(all)
                .extracting(e -> e.getKey().toStringUtf8())
                .filteredOn(k -> k.startsWith("dump/"))
                .hasSize(50)
                .doesNotHaveDuplicates();
        assertThat((long) all.size())
                .isEqualTo(kv.count(CountRequest.getDefaultInstance()).getCount());
    }

    @Test
    void statusDescribesTheNode() {
        kv.put(write("status/k", "v"));
        StatusResponse s = admin.status(StatusRequest.getDefaultInstance());
        assertThat(s.getNodeId()).isEqualTo("primary");
        assertThat(s.getConfiguredRole()).isEqualTo(Role.PRIMARY);
        assertThat(s.getRole()).isEqualTo(Role.PRIMARY);
        assertThat(s.getState()).isEqualTo(NodeState.BOOTSTRAP);
        assertThat(s.getLastOffset()).isPositive();
        assertThat(s.getDurableOffset()).isEqualTo(s.getLastOffset());
        assertThat(s.getCommittedOffset()).isEqualTo(s.getDurableOffset());
        assertThat(s.getKeyCount())
                .isEqualTo(kv.count(CountRequest.getDefaultInstance()).getCount());
        assertThat(s.getMemoryCapacityBytes()).isEqualTo(32L << 20);
        assertThat(s.getGrpcAddress()).isEqualTo(node.grpcAddress());
        assertThat(s.getPrimaryAddress()).isEqualTo(node.grpcAddress());
        assertThat(s.getPeerConnected()).isFalse();
        assertThat(s.getUptimeMillis()).isPositive();
    }

    @Test
    void promotingThePrimaryIsAFailedPrecondition() {
        assertThat(codeOf(() -> admin.promote(PromoteRequest.getDefaultInstance())))
                .isEqualTo(Status.Code.FAILED_PRECONDITION);
    }

    @Test
    void healthIsServingForAPrimary() {
        HealthGrpc.HealthBlockingStub health = HealthGrpc.newBlockingStub(node.channel());
        for (String service : List.of("", "pbkv.v1.KeyValue", "pbkv.v1.Admin")) {
            assertThat(health.check(HealthCheckRequest.newBuilder()
                                    .setService(service)
                                    .build())
                            .getStatus())
                    .as(service)
                    .isEqualTo(HealthCheckResponse.ServingStatus.SERVING);
        }
    }

    @Test
    void reflectionListsTheServices() {
        CompletableFuture<ServerReflectionResponse> answer = new CompletableFuture<>();
        StreamObserver<ServerReflectionRequest> req = ServerReflectionGrpc.newStub(node.channel())
                .serverReflectionInfo(new StreamObserver<>() {
                    @Override
                    public void onNext(ServerReflectionResponse r) {
                        answer.complete(r);
                    }

                    @Override
                    public void onError(Throwable t) {
                        answer.completeExceptionally(t);
                    }

                    @Override
                    public void onCompleted() {}
                });
        req.onNext(ServerReflectionRequest.newBuilder().setListServices("*").build());
        List<String> names = new ArrayList<>();
        answer.orTimeout(30, TimeUnit.SECONDS)
                .join()
                .getListServicesResponse()
                .getServiceList()
                .forEach(s -> names.add(s.getName()));
        req.onCompleted();
        assertThat(names).contains("pbkv.v1.KeyValue", "pbkv.v1.Admin", "grpc.health.v1.Health");
    }

    @Test
    void binaryKeysAndValuesRoundTrip() {
        byte[] key = {0, (byte) 0xFF, 10, 13, 0};
        byte[] value = new byte[256];
        for (int i = 0; i < value.length; i++) {
            value[i] = (byte) i;
        }
        kv.put(WriteRequest.newBuilder()
                .setKey(ByteString.copyFrom(key))
                .setValue(ByteString.copyFrom(value))
                .build());
        assertThat(kv.get(GetRequest.newBuilder()
                                .setKey(ByteString.copyFrom(key))
                                .build())
                        .getValue()
                        .toByteArray())
                .isEqualTo(value);
        assertThat(new String(key, StandardCharsets.ISO_8859_1)).hasSize(5);
    }

    @Test
    void emptyValueIsAllowed() {
        kv.put(write("empty/v", ""));
        assertThat(kv.get(get("empty/v")).getValue().isEmpty()).isTrue();
        assertThatThrownBy(() -> kv.get(get("empty/none"))).isInstanceOf(StatusRuntimeException.class);
    }
}
