package dev.pbkv.server;

import dev.pbkv.server.auth.ClusterSecret;
import dev.pbkv.server.auth.TlsContexts;
import dev.pbkv.server.config.CoordinatorSettings;
import dev.pbkv.server.config.ReplicationSettings;
import dev.pbkv.server.config.Settings;
import dev.pbkv.server.coordinator.PairCoordinator;
import dev.pbkv.server.coordinator.ZooKeeperCoordinator;
import dev.pbkv.server.replication.PairReplicator;
import dev.pbkv.server.replication.PairSettings;
import dev.pbkv.server.replication.Replicator;
import dev.pbkv.server.replication.SoloReplicator;
import dev.pbkv.server.role.Role;
import dev.pbkv.store.Store;
import io.grpc.BindableService;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.function.Supplier;

/**
 * Makes the node's {@link Replicator} once the store is recovered, with the gRPC services it
 * needs on the node's gRPC port (node-to-node replication). {@link Node} takes one; swapping
 * the replication implementation means changing {@link #DEFAULT} only.
 */
@FunctionalInterface
public interface ReplicatorFactory {

    /**
     * @param settings       the node's settings (role, peer address, replication section)
     * @param store          the recovered store; the replicator becomes its only writer
     * @param ownGrpcAddress this node's bound gRPC address host:port (valid once the doors started)
     * @param tls            the node's TLS contexts (the channel to the peer uses {@code peerClient()})
     */
    Replication create(Settings settings, Store store, Supplier<String> ownGrpcAddress, TlsContexts tls);

    /** A replicator and the gRPC services to serve beside the client API. */
    record Replication(Replicator replicator, List<BindableService> services) {
        public static Replication of(Replicator replicator) {
            return new Replication(replicator, List.of());
        }
    }

    /** A node without replication: a primary serves alone, a backup stays read-only (stale reads). */
    ReplicatorFactory SOLO = (settings, store, own, tls) -> Replication.of(
            new SoloReplicator(store, settings.role(), settings.role() == Role.PRIMARY ? own : settings::peerAddress));

    /** The pair: primary-backup replication with the peer named in the settings (docs/replication.md). */
    ReplicatorFactory PAIR = (settings, store, own, tls) -> {
        ReplicationSettings rs = settings.replication();
        PairReplicator replicator = new PairReplicator(
                store,
                settings.nodeId(),
                settings.role(),
                settings.peerAddress(),
                own,
                PairSettings.of(
                                rs.requireBackup(),
                                rs.heartbeatMs(),
                                rs.peerTimeoutMs(),
                                rs.batchMaxRecords(),
                                rs.snapshotChunkBytes(),
                                rs.snapshotRateBytesPerSec())
                        .withMemoryOnly(settings.store().memoryOnly())
                        .withPreferConfiguredPrimary(rs.preferConfiguredPrimary()),
                Clock.systemUTC(),
                coordinatorOf(settings),
                clusterSecretOf(settings),
                tls.peerClient(),
                settings.tls().mutualPeers());
        return new Replication(replicator, List.of(replicator.service()));
    };

    /**
     * Called first thing in a node's start: begins, in the background, the slow one-time work the
     * replication will need, so it overlaps the store's opening.
     */
    static void prepareInBackground(Settings settings) {
        if (!settings.coordinator().off()) {
            ZooKeeperCoordinator.initializeClientInBackground();
        }
    }

    /** The secret auth.cluster-secret-file holds, or null when none is configured. */
    static ClusterSecret clusterSecretOf(Settings settings) {
        Path file = settings.auth().clusterSecretFile();
        return file == null ? null : ClusterSecret.load(file);
    }

    /** The coordinator the settings name, or {@link PairCoordinator#OFF}. */
    static PairCoordinator coordinatorOf(Settings settings) {
        CoordinatorSettings c = settings.coordinator();
        return c.off()
                ? PairCoordinator.OFF
                : new ZooKeeperCoordinator(c.connect(), c.pairPath(), settings.nodeId(), c.sessionTimeoutMs());
    }

    /** The replication the node runs with. */
    ReplicatorFactory DEFAULT = PAIR;
}
