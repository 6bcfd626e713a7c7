package dev.pbkv.server.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.pbkv.client.PbkvClient;
import dev.pbkv.proto.NodeState;
import dev.pbkv.proto.Role;
import dev.pbkv.proto.replication.PeerInfo;
import dev.pbkv.proto.replication.ProbeRequest;
import dev.pbkv.proto.replication.ReplicationGrpc;
import dev.pbkv.testkit.NodeProcess;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * auth.cluster-secret-file on a real pair of node processes: nodes that hold the same secret
 * replicate as before; a caller without it, or with another one, is refused on every node-to-node
 * call (UNAUTHENTICATED), the refusal is logged, and nothing about the pair changes.
 */
class ClusterSecretPairIT {
    private static final Duration STATE_WAIT = Duration.ofSeconds(60);

    @TempDir
    Path dir;

    private Path secretFile(String name, String secret) throws Exception {
        Path f = dir.resolve(name);
        Files.writeString(f, secret + "\n");
        return f;
    }

    private NodeProcess.PairBuilder pair() {
        return NodeProcess.pair(dir).set("replication.peer-timeout-ms", "1000");
    }

    @Test
    void nodesWithTheSecretReplicateAndACallerWithoutItIsRefused() throws Exception {
        Path secret = secretFile("cluster.secret", "shared-secret-of-this-pair-0123456789");
        try (NodeProcess.Pair pair = pair().set("auth.cluster-secret-file", secret.toString())
                        .start();
                PbkvClient client = PbkvClient.builder()
                        .endpoint(pair.primary().grpcAddress())
                        .retryDeadline(Duration.ofSeconds(20))
                        .build()) {
            pair.primary().awaitState(Role.PRIMARY, NodeState.SYNC, STATE_WAIT);
            pair.backup().awaitState(Role.BACKUP, NodeState.SYNC, STATE_WAIT);
            assertThat(client.put("k", "v").isOk()).isTrue();
            await().atMost(STATE_WAIT).until(() -> pair.backup().dump().size() == 1);

            // Any process that reaches the port, without the secret: refused before the pair sees it.
            var probe =
                    ReplicationGrpc.newBlockingStub(pair.primary().channel()).withDeadlineAfter(10, TimeUnit.SECONDS);
            assertThatThrownBy(() -> probe.probe(ProbeRequest.newBuilder()
                            .setCaller(
                                    PeerInfo.newBuilder().setNodeId("intruder").setEpoch(1_000_000))
                            .build()))
                    .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                        assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
                        assertThat(e.getStatus().getDescription())
                                .contains("auth.cluster-secret-file")
                                .contains("no pbkv-peer-proof");
                    });
            await().atMost(STATE_WAIT)
                    .until(() -> pair.primary().logContains("refused pbkv.v1.Replication/Probe from /127.0.0.1:"));
            // The high epoch it claimed fenced nothing: the primary still serves, the pair still replicates.
            assertThat(pair.primary().status().getRole()).isEqualTo(Role.PRIMARY);
            assertThat(pair.primary().status().getState()).isEqualTo(NodeState.SYNC);
            assertThat(client.put("k2", "v2").isOk()).isTrue();
            await().atMost(STATE_WAIT).until(() -> pair.backup().dump().size() == 2);
        }
    }

    @Test
    void aBackupWithAnotherSecretNeverJoins() throws Exception {
        Path ours = secretFile("ours.secret", "shared-secret-of-this-pair-0123456789");
        Path theirs = secretFile("theirs.secret", "some-other-pair-secret-9876543210");
        NodeProcess.PairBuilder builder = pair();
        builder.primary().set("auth.cluster-secret-file", ours.toString());
        builder.backup().set("auth.cluster-secret-file", theirs.toString());
        try (NodeProcess.Pair pair = builder.build()) {
            pair.primary().startUp();
            pair.backup().startUp();
            await().atMost(STATE_WAIT).until(() -> pair.primary().logContains("a proof made with another secret"));
            await().during(Duration.ofSeconds(3))
                    .atMost(STATE_WAIT)
                    .until(() -> pair.backup().status().getState() != NodeState.SYNC
                            && pair.primary().status().getState() != NodeState.SYNC);
        }
    }
}
