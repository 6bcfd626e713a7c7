package dev.pbkv.server.replication;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.pbkv.server.role.NodeState;
import dev.pbkv.server.role.Role;
import dev.pbkv.store.Mutation;
import dev.pbkv.store.Op;
import dev.pbkv.store.WriteResult;
import dev.pbkv.testkit.FreePorts;
import dev.pbkv.testkit.TcpProxy;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Without a coordinator nothing that can lose an acknowledged write happens by itself (issue 10,
 * failures 1 and 3). Each node dials its peer through a loopback proxy, so a test can make the
 * peer silent (a busy machine's timed-out probe, or a partition) while it is alive.
 */
class NoCoordinatorSafetyTest {
    private static final Duration WAIT = Duration.ofSeconds(15);

    @TempDir
    Path dir;

    private MiniNode a;
    private MiniNode b;
    private TcpProxy aToB;
    private TcpProxy bToA;

    private void create(PairSettings settings) throws Exception {
        int[] ports = FreePorts.takeOutsideEphemeralRange(2); // restarted nodes bind them again
        aToB = TcpProxy.start(ports[1]);
        bToA = TcpProxy.start(ports[0]);
        a = MiniNode.create("primary", Role.PRIMARY, ports[0], ports[1], dir, settings);
        b = MiniNode.create("backup", Role.BACKUP, ports[1], ports[0], dir, settings);
        a.peerAddress = aToB.address();
        b.peerAddress = bToA.address();
    }

    @AfterEach
    void close() throws Exception {
        for (AutoCloseable c : new AutoCloseable[] {a, b, aToB, bToA}) {
            if (c != null) {
                c.close();
            }
        }
    }

    private void awaitSync() {
        await().atMost(WAIT).until(() -> a.state() == NodeState.SYNC && b.state() == NodeState.SYNC);
    }

    /**
     * Failure 1: kill -9 the primary, promote the backup, which acknowledges x, restart the old
     * primary while its probes of the peer time out. It used to take the primary role ("this node
     * was the last primary") with a self-raised epoch 3, and the promoted node then discarded x as
     * a divergent tail.
     */
    @Test
    void aRestartedPrimaryWhosePeerIsSilentNeverTakesOverAndLosesNothing() throws Exception {
        create(MiniNode.testSettings());
        a.start();
        b.start();
        awaitSync();
        for (int i = 0; i < 50; i++) {
            a.put("p" + i, "v" + i);
        }
        a.crash();
        await().atMost(WAIT).until(() -> b.state() == NodeState.COLD_START);
        b.replicator.promote(true).get(5, TimeUnit.SECONDS);
        b.put("x", "y");

        aToB.cut(); // the restarted node's probes go unanswered, as on a machine too busy to answer in time
        a.start();
        await().during(Duration.ofMillis(3 * a.settings.peerTimeout().toMillis()))
                .atMost(WAIT)
                .until(() -> a.state() == NodeState.COLD_START && !a.replicator.canServeReads(false));
        assertThat(a.store.epoch()).as("no epoch raised for itself").isEqualTo(1);
        assertThat(b.replicator.role()).isEqualTo(Role.PRIMARY);

        aToB.heal();
        await().atMost(WAIT).until(() -> a.state() == NodeState.SYNC && b.state() == NodeState.SYNC);
        assertThat(a.replicator.role()).isEqualTo(Role.BACKUP);
        assertThat(b.get("x")).isEqualTo("y");
        assertThat(a.get("x")).isEqualTo("y");
        assertThat(b.get("p49")).isEqualTo("v49");
    }

    /** A node with data whose peer never answers stays out of service; only --force promotes it. */
    @Test
    void aNodeWithDataWhosePeerIsSilentDoesNotTakeThePrimaryRole() throws Exception {
        create(MiniNode.testSettings());
        a.start();
        b.start();
        awaitSync();
        a.put("k", "v");
        b.crash();
        a.crash();
        a.start();
        await().during(Duration.ofMillis(3 * a.settings.peerTimeout().toMillis()))
                .atMost(WAIT)
                .until(() -> a.state() == NodeState.COLD_START);
        assertThatThrownBy(() -> a.put("k2", "v2")).isInstanceOf(NotPrimaryException.class);
        assertThat(a.replicator.promote(true).get(5, TimeUnit.SECONDS)).isGreaterThan(1);
        assertThat(a.replicator.role()).isEqualTo(Role.PRIMARY);
        a.put("k2", "v2");
    }

    /**
     * Failure 3, without a coordinator: with require-backup, a write in flight when the backup is
     * lost was answered UNAVAILABLE ("refused") though applied, and readers then saw it. Now it is
     * answered "outcome unknown", and the committed offset stays below it, so no read shows it.
     */
    @Test
    void inStrictModeAWriteInFlightWhenTheBackupIsLostIsOutcomeUnknownAndNotShown() throws Exception {
        create(MiniNode.testSettings().withRequireBackup(true));
        a.start();
        b.start();
        awaitSync();
        a.put("before", "1");
        aToB.cut();
        bToA.cut();
        CompletableFuture<WriteResult> inFlight =
                a.replicator.write(Mutation.of(Op.PUT, MiniNode.bytes("x"), MiniNode.bytes("y")));
        assertThatThrownBy(() -> inFlight.get(10, TimeUnit.SECONDS))
                .isInstanceOf(ExecutionException.class)
                .hasCauseInstanceOf(OutcomeUnknownException.class)
                .hasMessageContaining("outcome unknown");
        long applied = a.store.lastOffset();
        assertThat(a.replicator.committedOffset()).isLessThan(applied);
        assertThat(a.replicator.awaitCommitted(applied)).isNotDone();
        // New writes are refused, not applied.
        assertThatThrownBy(() -> a.put("z", "w")).isInstanceOf(NotPrimaryException.class);
        assertThat(a.get("z")).isNull();

        aToB.heal();
        bToA.heal();
        await().atMost(WAIT).until(() -> a.replicator.committedOffset() >= applied);
        assertThat(b.get("x")).isEqualTo("y");
    }
}
