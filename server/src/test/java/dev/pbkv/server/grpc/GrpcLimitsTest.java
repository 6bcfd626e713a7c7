package dev.pbkv.server.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.google.common.util.concurrent.ListenableFuture;
import com.google.protobuf.ByteString;
import dev.pbkv.proto.CountRequest;
import dev.pbkv.proto.GetRequest;
import dev.pbkv.proto.GetResponse;
import dev.pbkv.proto.KeyValueGrpc;
import dev.pbkv.proto.ScanRequest;
import dev.pbkv.proto.ScanResponse;
import dev.pbkv.proto.WriteRequest;
import dev.pbkv.proto.WriteResponse;
import dev.pbkv.server.config.SettingsLoader;
import dev.pbkv.server.resp.InFlightCounter;
import dev.pbkv.server.resp.InMemoryCommands;
import dev.pbkv.server.role.Role;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The gRPC door's limits (limits.max-connections, grpc-max-concurrent-calls-per-connection) and
 * answer order, against a GrpcDoor on a loopback port backed by the in-memory command layer.
 */
class GrpcLimitsTest {

    private InMemoryCommands commands;
    private InFlightCounter counting;
    private GrpcDoor door;
    private final List<ManagedChannel> channels = new ArrayList<>();

    @BeforeEach
    void setUp() {
        commands = new InMemoryCommands();
        counting = new InFlightCounter(commands, "put"::equals);
    }

    @AfterEach
    void tearDown() throws InterruptedException {
        for (ManagedChannel c : channels) {
            c.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
        if (door != null) {
            door.close();
        }
        commands.close();
    }

    private void start(Map<String, String> limits) throws Exception {
        SettingsLoader loader = SettingsLoader.withDefaults().set("nodes.primary.grpc-port", "0");
        limits.forEach((k, v) -> loader.set("limits." + k, v));
        door = new GrpcDoor(counting.commands(), loader.build(Role.PRIMARY));
        door.start();
    }

    private ManagedChannel channel() {
        ManagedChannel channel = Grpc.newChannelBuilderForAddress(
                        "127.0.0.1", door.port(), InsecureChannelCredentials.create())
                .build();
        channels.add(channel);
        return channel;
    }

    private static KeyValueGrpc.KeyValueBlockingStub kv(ManagedChannel channel) {
        return KeyValueGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS);
    }

    private static long count(ManagedChannel channel) {
        return kv(channel).count(CountRequest.getDefaultInstance()).getCount();
    }

    private static ByteString bs(String s) {
        return ByteString.copyFromUtf8(s);
    }

    @Test
    void connectionsPastTheLimitGetResourceExhaustedAndTheRestAreServed() throws Exception {
        start(Map.of("max-connections", "2"));
        ManagedChannel first = channel();
        ManagedChannel second = channel();
        assertThat(count(first)).isZero();
        assertThat(count(second)).isZero();

        ManagedChannel third = channel();
        assertThatThrownBy(() -> count(third)).isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
            assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
            assertThat(e.getStatus().getDescription()).startsWith("max number of connections reached");
        });
        assertThat(count(first)).isZero();

        first.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        third.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        // The server counts the closed connection out when its transport ends: a fresh one is served then.
        await().untilAsserted(() -> {
            ManagedChannel fresh = channel();
            try {
                assertThat(count(fresh)).isZero();
            } finally {
                fresh.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
            }
        });
        assertThat(count(second)).isZero();
    }

    @Test
    void concurrentCallsOnOneConnectionStayWithinTheLimitAndEachGetsItsOwnAnswer() throws Exception {
        start(Map.of("grpc-max-concurrent-calls-per-connection", "4"));
        commands.completeWritesLate(true);
        ManagedChannel channel = channel();
        KeyValueGrpc.KeyValueFutureStub stub =
                KeyValueGrpc.newFutureStub(channel).withDeadlineAfter(60, TimeUnit.SECONDS);
        int calls = 300;
        List<ListenableFuture<WriteResponse>> puts = new ArrayList<>();
        for (int i = 0; i < calls; i++) {
            puts.add(stub.put(WriteRequest.newBuilder()
                    .setKey(bs("key" + i))
                    .setValue(bs("value" + i))
                    .build()));
        }
        for (ListenableFuture<WriteResponse> put : puts) {
            put.get(60, TimeUnit.SECONDS);
        }
        // 300 calls sent at once; the node had at most 4 of them at the command layer.
        assertThat(counting.max()).isBetween(1, 4);

        List<ListenableFuture<GetResponse>> gets = new ArrayList<>();
        for (int i = 0; i < calls; i++) {
            gets.add(stub.get(GetRequest.newBuilder().setKey(bs("key" + i)).build()));
        }
        for (int i = 0; i < calls; i++) {
            assertThat(gets.get(i).get(60, TimeUnit.SECONDS).getValue().toStringUtf8())
                    .isEqualTo("value" + i);
        }
    }

    @Test
    void scanStreamsEveryPageInOrderWithASmallFlowControlWindow() throws Exception {
        start(Map.of("grpc-flow-control-window", "65535"));
        ManagedChannel channel = channel();
        String value = "v".repeat(100_000);
        for (int i = 0; i < 40; i++) {
            kv(channel)
                    .put(WriteRequest.newBuilder()
                            .setKey(bs(String.format("key%02d", i)))
                            .setValue(bs(value))
                            .build());
        }
        Iterator<ScanResponse> pages = kv(channel).scan(ScanRequest.getDefaultInstance());
        List<String> keys = new ArrayList<>();
        int pageCount = 0;
        while (pages.hasNext()) {
            ScanResponse page = pages.next();
            pageCount++;
            page.getEntriesList().forEach(e -> {
                assertThat(e.getValue().size()).isEqualTo(value.length());
                keys.add(e.getKey().toStringUtf8());
            });
        }
        assertThat(keys).hasSize(40).isSorted();
        assertThat(pageCount).isGreaterThan(1);
    }
}
