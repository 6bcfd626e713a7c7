package dev.pbkv.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import dev.pbkv.proto.AdminGrpc;
import dev.pbkv.proto.CountRequest;
import dev.pbkv.proto.GetRequest;
import dev.pbkv.proto.KeyValueGrpc;
import dev.pbkv.proto.ShutdownRequest;
import dev.pbkv.proto.WriteRequest;
import dev.pbkv.testkit.CoordinatorProcess;
import dev.pbkv.testkit.NodeProcess;
import io.grpc.StatusRuntimeException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Start, graceful stop, kill -9 and restart of a real node: the data survives, the exits are clean.
 * The node runs with a coordinator: a node with data whose peer is silent takes the primary role
 * only when the coordinator names it (in_sync alone), never on a timeout.
 */
class LifecycleIT {
    @TempDir
    Path dir;

    private CoordinatorProcess coordinator;

    @BeforeEach
    void startCoordinator() {
        coordinator = CoordinatorProcess.in(dir.resolve("coordinator")).start();
    }

    @AfterEach
    void stopCoordinator() {
        coordinator.close();
    }

    private NodeProcess.Builder primary() {
        return NodeProcess.primary(dir)
                .set("coordinator.connect", coordinator.connectString())
                .set("coordinator.session-timeout-ms", "1500");
    }

    static WriteRequest write(String k, String v) {
        return WriteRequest.newBuilder()
                .setKey(ByteString.copyFromUtf8(k))
                .setValue(ByteString.copyFromUtf8(v))
                .build();
    }

    static KeyValueGrpc.KeyValueBlockingStub kv(NodeProcess node) {
        return KeyValueGrpc.newBlockingStub(node.channel()).withDeadlineAfter(30, TimeUnit.SECONDS);
    }

    @Test
    void restartedNodeHasItsDataAndShutdownRpcExitsZero() {
        try (NodeProcess node = primary().start()) {
            for (int i = 0; i < 100; i++) {
                kv(node).put(write("k" + i, "v" + i));
            }
            kv(node).put(write("k7", "changed"));
            boolean switched = AdminGrpc.newBlockingStub(node.channel())
                    .withDeadlineAfter(30, TimeUnit.SECONDS)
                    .shutdown(ShutdownRequest.getDefaultInstance())
                    .getSwitchedOver();
            assertThat(switched).isFalse();
            assertThat(node.waitForExit(NodeProcess.STOP_TIMEOUT)).isTrue();
            assertThat(node.exitValue()).isZero();
            assertThat(node.dataDir().resolve("node.json")).doesNotExist();
            assertThat(node.logTail(10)).contains("stopped");

            node.start();
            assertThat(kv(node).count(CountRequest.getDefaultInstance()).getCount())
                    .isEqualTo(100);
            assertThat(kv(node).get(GetRequest.newBuilder()
                                    .setKey(ByteString.copyFromUtf8("k7"))
                                    .build())
                            .getValue()
                            .toStringUtf8())
                    .isEqualTo("changed");
            assertThat(kv(node).get(GetRequest.newBuilder()
                                    .setKey(ByteString.copyFromUtf8("k99"))
                                    .build())
                            .getValue()
                            .toStringUtf8())
                    .isEqualTo("v99");

            assertThat(node.stop()).as("exit code after SIGTERM").isZero();
            assertThat(node.dataDir().resolve("node.json")).doesNotExist();
        }
    }

    @Test
    void everyAcknowledgedWriteSurvivesKillDuringAStreamOfWrites() throws Exception {
        try (NodeProcess node = primary().args("--fsync", "always").start()) {
            Map<String, String> acknowledged = new ConcurrentHashMap<>();
            AtomicBoolean stop = new AtomicBoolean();
            KeyValueGrpc.KeyValueBlockingStub stub = KeyValueGrpc.newBlockingStub(node.channel());
            Thread writer = new Thread(
                    () -> {
                        for (int i = 0; !stop.get(); i++) {
                            String k = "ack/" + i;
                            String v = "value-" + i;
                            try {
                                stub.withDeadlineAfter(10, TimeUnit.SECONDS).put(write(k, v));
                                acknowledged.put(k, v);
                            } catch (StatusRuntimeException e) {
                                return; // the node is gone: this write was not acknowledged
                            }
                        }
                    },
                    "acked-writer");
            writer.start();
            await().atMost(Duration.ofSeconds(60)).until(() -> acknowledged.size() >= 300);
            node.kill();
            stop.set(true);
            writer.join(TimeUnit.SECONDS.toMillis(30));
            assertThat(writer.isAlive()).isFalse();

            node.start();
            KeyValueGrpc.KeyValueBlockingStub after = kv(node);
            for (Map.Entry<String, String> e : acknowledged.entrySet()) {
                assertThat(after.get(GetRequest.newBuilder()
                                        .setKey(ByteString.copyFromUtf8(e.getKey()))
                                        .build())
                                .getValue()
                                .toStringUtf8())
                        .as(e.getKey())
                        .isEqualTo(e.getValue());
            }
            assertThat(after.count(CountRequest.getDefaultInstance()).getCount())
                    .isGreaterThanOrEqualTo(acknowledged.size());
        }
    }
}
