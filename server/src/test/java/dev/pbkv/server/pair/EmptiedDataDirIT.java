package dev.pbkv.server.pair;

import static dev.pbkv.server.pair.PairFailoverIT.STATE_WAIT;
import static dev.pbkv.server.pair.PairFailoverIT.assertHasEvery;
import static dev.pbkv.server.pair.PairFailoverIT.awaitSync;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.pbkv.client.PbkvClient;
import dev.pbkv.proto.NodeState;
import dev.pbkv.proto.Role;
import dev.pbkv.testkit.CoordinatorProcess;
import dev.pbkv.testkit.NodeProcess;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Persistent nodes whose data dir was emptied while the coordinator's state still names them (a new
 * disk, an operator's rm -rf, the tester's reset): such a node holds nothing, so the in_sync record
 * of its earlier run does not count for it. Real node processes with the embedded coordinator.
 */
class EmptiedDataDirIT {
    @TempDir
    Path dir;

    private NodeProcess.PairBuilder pair(CoordinatorProcess zk) {
        return PairFailoverIT.pair(dir)
                .set("coordinator.connect", zk.connectString())
                .set("coordinator.session-timeout-ms", "1500");
    }

    /** Deletes everything the node keeps in its data dir but its log. */
    private static void emptyDataDir(NodeProcess node) throws IOException {
        try (Stream<Path> entries = Files.list(node.dataDir())) {
            for (Path p : entries.filter(p -> !p.equals(node.logFile())).toList()) {
                try (Stream<Path> tree = Files.walk(p)) {
                    tree.sorted(Comparator.reverseOrder()).forEach(f -> {
                        try {
                            Files.delete(f);
                        } catch (IOException e) {
                            throw new UncheckedIOException(e);
                        }
                    });
                }
            }
        }
    }

    /**
     * The tester's reset: the last case left the configured backup primary; both data dirs are
     * emptied and the backup's process reaches the coordinator first. Before this rule the state
     * named the backup and no session held leader, so it took the role at once on empty data, and
     * the case's writes to the configured primary were refused ("this node is the backup").
     */
    @Test
    void bothEmptiedTheConfiguredPrimaryTakesTheRoleEvenWhenTheBackupStartsFirst() throws Exception {
        try (CoordinatorProcess zk =
                        CoordinatorProcess.in(dir.resolve("coordinator")).start();
                NodeProcess.Pair pair = pair(zk).start()) {
            NodeProcess primary = pair.primary();
            NodeProcess backup = pair.backup();
            awaitSync(primary, backup);
            try (PbkvClient client = PairFailoverIT.client(pair, Duration.ofSeconds(20))) {
                assertThat(client.put("before", "1").isOk()).isTrue();
            }
            // A switchover leaves the state naming the configured backup, which then stops alone.
            assertThat(primary.stop()).isZero();
            backup.awaitState(Role.PRIMARY, NodeState.BOOTSTRAP, STATE_WAIT);
            assertThat(backup.stop()).isZero();
            emptyDataDir(primary);
            emptyDataDir(backup);

            backup.startUp();
            primary.startUp();
            awaitSync(primary, backup);
            assertThat(backup.logContains("started with an empty data dir and holds nothing"))
                    .isTrue();
            assertThat(primary.logContains("re-created the pair with this node primary"))
                    .isTrue();
            assertThat(primary.dump()).isEmpty();
            try (PbkvClient client = PairFailoverIT.client(pair, Duration.ofSeconds(20))) {
                assertThat(client.put("after", "1").isOk()).isTrue();
            }
            assertThat(backup.dump()).isEqualTo(primary.dump()).hasSize(1);
        }
    }

    /**
     * The primary is killed, its data dir emptied, and it is back before the backup gives up on it
     * (its session expires after 1.5 s, the backup waits 10 s of silence). The state still names it
     * primary and no session holds leader; before this rule it took the role on empty data and the
     * backup, joining it, discarded every acknowledged write.
     */
    @Test
    void aPrimaryWithAnEmptiedDataDirNeverTakesOverFromTheBackupThatHoldsTheWrites() throws Exception {
        try (CoordinatorProcess zk =
                CoordinatorProcess.in(dir.resolve("coordinator")).start()) {
            NodeProcess.PairBuilder builder = pair(zk);
            builder.backup().set("replication.peer-timeout-ms", "10000");
            try (NodeProcess.Pair pair = builder.start();
                    PbkvClient client = PairFailoverIT.client(pair, Duration.ofSeconds(60))) {
                NodeProcess primary = pair.primary();
                NodeProcess backup = pair.backup();
                awaitSync(primary, backup);
                Map<String, String> acknowledged = new HashMap<>();
                for (int i = 0; i < 50; i++) {
                    assertThat(client.put("k" + i, "v" + i).isOk()).isTrue();
                    acknowledged.put("k" + i, "v" + i);
                }
                primary.kill();
                emptyDataDir(primary);
                primary.startUp();

                backup.awaitState(Role.PRIMARY, NodeState.SYNC, STATE_WAIT);
                primary.awaitState(Role.BACKUP, NodeState.SYNC, STATE_WAIT);
                assertThat(primary.logContains("started with an empty data dir and holds nothing"))
                        .isTrue();
                assertHasEvery(backup, acknowledged);
                assertHasEvery(primary, acknowledged);
            }
        }
    }

    /**
     * Both nodes are killed at once (the state keeps both in in_sync), and only the primary comes
     * back, with an emptied data dir. The backup is not running, but its disk holds every
     * acknowledged write: the primary waits for it instead of re-creating an empty pair (which the
     * backup, rejoining, would have had to follow, discarding them). Once the backup is back it is
     * promoted, and the primary rejoins it.
     */
    @Test
    void anEmptiedPrimaryWaitsForABackupThatIsDownButHoldsTheWritesOnDisk() throws Exception {
        try (CoordinatorProcess zk =
                        CoordinatorProcess.in(dir.resolve("coordinator")).start();
                NodeProcess.Pair pair = pair(zk).start()) {
            NodeProcess primary = pair.primary();
            NodeProcess backup = pair.backup();
            awaitSync(primary, backup);
            Map<String, String> acknowledged = new HashMap<>();
            try (PbkvClient client = PairFailoverIT.client(pair, Duration.ofSeconds(20))) {
                for (int i = 0; i < 50; i++) {
                    assertThat(client.put("d" + i, "v" + i).isOk()).isTrue();
                    acknowledged.put("d" + i, "v" + i);
                }
            }
            primary.kill();
            backup.kill();
            emptyDataDir(primary);
            primary.startUp();
            await().atMost(STATE_WAIT)
                    .until(() -> primary.logContains("are not running and may hold the pair's data on disk"));
            assertThat(primary.status().getState()).isEqualTo(NodeState.COLD_START);

            backup.startUp();
            backup.awaitState(Role.PRIMARY, NodeState.SYNC, STATE_WAIT);
            primary.awaitState(Role.BACKUP, NodeState.SYNC, STATE_WAIT);
            assertHasEvery(backup, acknowledged);
            assertHasEvery(primary, acknowledged);
        }
    }
}
