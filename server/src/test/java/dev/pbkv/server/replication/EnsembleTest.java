package dev.pbkv.server.replication;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.pbkv.server.coordinator.Connection;
import dev.pbkv.server.role.NodeState;
import dev.pbkv.server.role.Role;
import dev.pbkv.testkit.FreePorts;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.curator.test.InstanceSpec;
import org.apache.curator.test.TestingCluster;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A pair on a three-member ZooKeeper ensemble (curator-test's TestingCluster), as production runs
 * it: losing one member changes nothing for the pair, and a failover still happens through the
 * remaining two.
 */
class EnsembleTest {
    private static final Duration WAIT = Duration.ofSeconds(30);

    @TempDir
    Path dir;

    private TestingCluster ensemble;
    private MiniNode a;
    private MiniNode b;

    @AfterEach
    void close() throws Exception {
        for (AutoCloseable c : new AutoCloseable[] {a, b, ensemble}) {
            if (c != null) {
                c.close();
            }
        }
    }

    @Test
    void thePairOutlivesTheLossOfOneEnsembleMemberAndStillFailsOver() throws Exception {
        List<InstanceSpec> specs = new ArrayList<>();
        int[] ports = FreePorts.take(9);
        for (int i = 0; i < 3; i++) {
            java.nio.file.Files.createDirectories(dir.resolve("zk" + i));
            // tickTime 200 ms so 1.5 s sessions are granted
            specs.add(new InstanceSpec(
                    dir.resolve("zk" + i).toFile(),
                    ports[3 * i],
                    ports[3 * i + 1],
                    ports[3 * i + 2],
                    true,
                    i + 1,
                    200,
                    -1));
        }
        ensemble = new TestingCluster(specs);
        ensemble.start();
        int[] nodePorts = FreePorts.take(2);
        PairSettings settings = new PairSettings(
                false, Duration.ofMillis(50), Duration.ofMillis(600), 1024, 1 << 20, 64 << 10, 0, 1024, 64);
        a = MiniNode.create("primary", Role.PRIMARY, nodePorts[0], nodePorts[1], dir, settings);
        b = MiniNode.create("backup", Role.BACKUP, nodePorts[1], nodePorts[0], dir, settings);
        for (MiniNode n : new MiniNode[] {a, b}) {
            n.coordinatorConnect = ensemble.getConnectString();
        }
        a.start();
        b.start();
        await().atMost(WAIT).untilAsserted(() -> {
            assertThat(a.state()).isEqualTo(NodeState.SYNC);
            assertThat(a.replicator.coordinatorStatus().inSync()).containsExactly("primary", "backup");
        });

        ensemble.killServer(specs.get(0));
        for (int i = 0; i < 100; i++) {
            a.put("k" + i, "v" + i);
        }
        await().atMost(WAIT)
                .until(() -> a.replicator.coordinatorStatus().connection() == Connection.CONNECTED
                        && b.replicator.coordinatorStatus().connection() == Connection.CONNECTED);

        a.crash(); // a graceful close of its session: the backup takes over after a peer timeout
        await().atMost(WAIT).until(() -> b.replicator.role() == Role.PRIMARY && b.replicator.canServeReads(false));
        assertThat(b.get("k99")).isEqualTo("v99");
        b.put("after", "failover");
    }
}
