package dev.pbkv.server.replication;

import dev.pbkv.proto.replication.PeerInfo;
import dev.pbkv.server.role.NodeState;
import dev.pbkv.server.role.Role;
import dev.pbkv.store.Store;
import java.time.Clock;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What this node is in the pair right now: its role and state (docs/state-machine.md), whether it
 * takes writes, a switchover in progress, what it knows of its peer and of the primary.
 *
 * <p>Threads: every field is written on the control thread only (by {@link RoleControl},
 * {@link Switchover}, {@link AttachedBackup} and {@link BackupCatchUp}) and is volatile, so any
 * thread (the write path, the doors' status) reads it without a lock. {@link #transition} is the
 * one place the state changes, so each change is logged once with its cause.
 */
final class PairState {
    private static final Logger log = LoggerFactory.getLogger(PairState.class);

    final String nodeId;
    final Role configuredRole;
    /** Roles come from a coordinator (coordinator.connect is set). */
    final boolean coordinated;

    private final Store store;
    private final String peerAddress;
    /** This node's client-facing address; a supplier because the node knows its bound port only once its doors started. */
    private final Supplier<String> clientAddress;

    private final Epochs epochs;
    private final Clock clock;

    volatile Role role;
    volatile NodeState state = NodeState.COLD_START;
    /** Acting primary that takes writes: role PRIMARY, state BOOTSTRAP or SYNC, no switchover. */
    volatile boolean acceptingWrites;
    /** Set when a switchover began; completes with the new primary's client address (null if none). */
    volatile CompletableFuture<String> switchover;
    /** What the peer last told about itself (probe, subscription, welcome), or null. */
    volatile PeerInfo peerInfo;
    /** The primary's client address as known here. */
    volatile String primaryClientAddress;
    /** Set by close(); nothing new starts after it. */
    volatile boolean closed;
    /** clock.millis() when this backup last heard from its primary on the stream (kept when the stream ends). */
    volatile long lastPrimaryContactMillis;
    /** Told after each transition (Replicator#onStateChange); set before start. */
    volatile Runnable stateListener = () -> {};
    /**
     * This process has held every committed write: it reached SYNC (as backup its digests matched the
     * primary's) or served as primary. A node without persistence that restarted holds nothing until then.
     */
    volatile boolean heldTheHistoryThisRun;
    /** clock.millis() when this node last entered COLD_START; control thread only. */
    long coldStartSinceMillis;

    PairState(
            Store store,
            String nodeId,
            Role configuredRole,
            String peerAddress,
            Supplier<String> clientAddress,
            Epochs epochs,
            Clock clock,
            boolean coordinated) {
        this.coordinated = coordinated;
        this.store = store;
        this.nodeId = nodeId;
        this.configuredRole = configuredRole;
        this.peerAddress = peerAddress;
        this.clientAddress = clientAddress;
        this.epochs = epochs;
        this.clock = clock;
        this.role = configuredRole;
    }

    /** Control thread only: moves to state to and logs why. */
    void transition(NodeState to, String cause) {
        NodeState from = state;
        if (to == NodeState.COLD_START) {
            coldStartSinceMillis = clock.millis();
        }
        if (to == NodeState.SYNC || to == NodeState.BOOTSTRAP) {
            heldTheHistoryThisRun = true;
        }
        state = to;
        log.info("{}: {} -> {} (role {}, epoch {}): {}", nodeId, from, to, role, store.epoch(), cause);
        stateListener.run();
    }

    boolean isActingPrimary() {
        NodeState s = state;
        return role == Role.PRIMARY && (s == NodeState.BOOTSTRAP || s == NodeState.SYNC);
    }

    static boolean isActing(PeerInfo p) {
        return p.getRole() == dev.pbkv.proto.Role.PRIMARY
                && (p.getState() == dev.pbkv.proto.NodeState.BOOTSTRAP
                        || p.getState() == dev.pbkv.proto.NodeState.SYNC);
    }

    String clientAddress() {
        return clientAddress.get();
    }

    String peerAddress() {
        return peerAddress;
    }

    /**
     * Where a client refused here should go: the primary this node last heard of; else, on a
     * backup, its configured peer (the only other node, whose gRPC port also serves clients), so
     * that a backup that has not reached its primary yet still points clients at it.
     */
    String knownPrimary() {
        String known = primaryClientAddress;
        return known != null ? known : role == Role.BACKUP ? peerAddress : null;
    }

    NotPrimaryException notPrimary() {
        String why = role == Role.BACKUP ? "this node is the backup" : "this node is in state " + state;
        return new NotPrimaryException(why + "; writes go to the primary", knownPrimary());
    }

    /** The refusal of a write that arrived during or after a switchover. */
    static NotPrimaryException handedOver(String addr) {
        return addr == null
                ? new NotPrimaryException("this node is shutting down", null)
                : new NotPrimaryException("this node handed the primary role to " + addr, addr);
    }

    /** This node as the peer sees it. */
    PeerInfo selfInfo() {
        return PeerInfo.newBuilder()
                .setNodeId(nodeId)
                .setConfiguredRole(toProto(configuredRole))
                .setRole(toProto(role))
                .setState(dev.pbkv.proto.NodeState.valueOf(state.name()))
                .setEpoch(store.epoch())
                .setLastOffset(store.lastOffset())
                .setLastRecordEpoch(epochs.lastRecordEpoch())
                .setClientAddress(Objects.requireNonNullElse(clientAddress.get(), ""))
                .setBuckets(store.bucketCount())
                .build();
    }

    private static dev.pbkv.proto.Role toProto(Role r) {
        return r == Role.PRIMARY ? dev.pbkv.proto.Role.PRIMARY : dev.pbkv.proto.Role.BACKUP;
    }
}
