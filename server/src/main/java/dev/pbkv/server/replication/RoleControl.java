package dev.pbkv.server.replication;

import com.google.common.util.concurrent.FutureCallback;
import com.google.common.util.concurrent.Futures;
import dev.pbkv.proto.replication.PeerInfo;
import dev.pbkv.proto.replication.ProbeRequest;
import dev.pbkv.proto.replication.ProbeResponse;
import dev.pbkv.proto.replication.ReplicationGrpc;
import dev.pbkv.server.role.NodeState;
import dev.pbkv.server.role.Role;
import dev.pbkv.store.Store;
import io.grpc.ManagedChannel;
import java.io.IOException;
import java.time.Clock;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Role control: decides which role this node plays and carries out the role changes. It probes
 * the peer every heartbeat while in COLD_START (and every half timeout while primary alone) and,
 * from what the probe tells, becomes primary, joins as backup, or steps down when a higher epoch
 * exists; it answers the peer's probes the same way. The rules are docs/state-machine.md's
 * transitions table. A coordinator that decides roles (a ZooKeeper lease, say) replaces the
 * decisions here ({@link #tick}'s probing, {@link #onProbeResult}) and keeps the role changes
 * ({@link #becomePrimary}, {@link #joinAsBackup}, {@link #stepDown}).
 *
 * <p>Threads: control thread only, except {@link #answerProbe} (a gRPC thread, which waits for the
 * control thread's answer at most peer-timeout-ms) and {@link #start}.
 */
final class RoleControl {
    private static final Logger log = LoggerFactory.getLogger(RoleControl.class);

    private final Store store;
    private final PairSettings settings;
    private final Clock clock;
    private final PairState node;
    private final Epochs epochs;
    private final CommitTracker commits;
    private final WriteFences fences;
    private final AttachedBackup attached;
    private final BackupCatchUp catchUp;
    private final SnapshotSource snapshots;
    private final AtMostOnceTable atMostOnce;
    private final PeerChannel peer;
    private final ControlThread control;
    /** The coordinator's decisions, or null without a coordinator (then the probes decide, never unsafely). */
    private final CoordinatedRoles coordinated;

    // Control thread only.
    /** A probe is out; the tick sends no other. */
    private boolean probeInFlight;
    /** When the primary alone last probed its peer (to find a newer primary after a partition). */
    private long lastAloneProbeMillis;

    RoleControl(
            Store store,
            PairSettings settings,
            Clock clock,
            PairState node,
            Epochs epochs,
            CommitTracker commits,
            WriteFences fences,
            AttachedBackup attached,
            BackupCatchUp catchUp,
            SnapshotSource snapshots,
            AtMostOnceTable atMostOnce,
            PeerChannel peer,
            ControlThread control,
            CoordinatedRoles coordinated) {
        this.store = store;
        this.settings = settings;
        this.clock = clock;
        this.node = node;
        this.epochs = epochs;
        this.commits = commits;
        this.fences = fences;
        this.attached = attached;
        this.catchUp = catchUp;
        this.snapshots = snapshots;
        this.atMostOnce = atMostOnce;
        this.peer = peer;
        this.control = control;
        this.coordinated = coordinated;
    }

    /** Starts in COLD_START and runs the tick every heartbeat. */
    void start() {
        control.run(() -> {
            atMostOnce.replayLogTail(store, node.nodeId);
            commits.startTerm(store.durableOffset());
            node.coldStartSinceMillis = clock.millis();
            log.info(
                    "{}: state {} (role {}, epoch {}, last offset {}): looking for the peer at {}",
                    node.nodeId,
                    node.state,
                    node.role,
                    store.epoch(),
                    store.lastOffset(),
                    node.peerAddress());
        });
        if (coordinated != null) {
            coordinated.start();
        }
        control.every(settings.heartbeat().toMillis(), this::tick);
    }

    private void tick() {
        if (node.closed) {
            return;
        }
        try {
            long now = clock.millis();
            long timeout = settings.peerTimeout().toMillis();
            attached.tick(now);
            catchUp.tick(now);
            snapshots.releaseIfIdle(now, attached.session() != null);
            if (coordinated != null) {
                coordinated.tick();
                return;
            }
            boolean alone =
                    node.isActingPrimary() && attached.session() == null && now - lastAloneProbeMillis >= timeout / 2;
            if ((node.state == NodeState.COLD_START || alone) && !probeInFlight) {
                if (alone) {
                    lastAloneProbeMillis = now;
                }
                probePeer(this::onProbeResult);
            }
        } catch (RuntimeException e) {
            log.error("{}: replication tick failed", node.nodeId, e);
        }
    }

    /** What a probe found: the peer, or why it could not be reached. */
    @FunctionalInterface
    interface ProbeCallback {
        void answered(PeerInfo peer, String failure);
    }

    /** Asks the peer who it is; then runs on the control thread with its answer or the failure. */
    void probePeer(ProbeCallback callback) {
        probeInFlight = true;
        ManagedChannel ch = peer.get();
        ch.resetConnectBackoff();
        long deadline = Math.max(
                settings.heartbeat().toMillis() * 2, settings.peerTimeout().toMillis() / 2);
        // Not wait-for-ready: a refused connection fails at once as UNAVAILABLE, which says no peer
        // process listens (a silent or partitioned peer runs into the deadline instead).
        var call = ReplicationGrpc.newFutureStub(ch)
                .withDeadlineAfter(deadline, TimeUnit.MILLISECONDS)
                .probe(ProbeRequest.newBuilder().setCaller(node.selfInfo()).build());
        Futures.addCallback(
                call,
                new FutureCallback<ProbeResponse>() {
                    @Override
                    public void onSuccess(ProbeResponse r) {
                        probeInFlight = false;
                        node.peerInfo = r.getNode();
                        callback.answered(r.getNode(), null);
                    }

                    @Override
                    public void onFailure(Throwable t) {
                        probeInFlight = false;
                        callback.answered(
                                null, io.grpc.Status.fromThrowable(t).getCode().toString());
                    }
                },
                control::run);
    }

    private void onProbeResult(PeerInfo peerInfo, String failure) {
        if (node.closed || node.state == NodeState.SHUTTING_DOWN) {
            return;
        }
        long now = clock.millis();
        if (node.state == NodeState.COLD_START) {
            if (peerInfo == null || peerInfo.getState() == dev.pbkv.proto.NodeState.SHUTTING_DOWN) {
                String peerIs = peerInfo == null ? "unreachable (" + failure + ")" : "shutting down";
                boolean empty = store.lastOffset() == 0 && store.epoch() == 0;
                // An empty configured primary whose peer's port refuses connections has nothing to wait for:
                // no peer runs, and this node holds nothing to lose. Otherwise give the peer peer-timeout-ms.
                boolean refused = peerInfo == null && "UNAVAILABLE".equals(failure);
                if (!(refused && empty && node.configuredRole == Role.PRIMARY)
                        && now - node.coldStartSinceMillis
                                < settings.peerTimeout().toMillis()) {
                    return;
                }
                if (empty && node.configuredRole == Role.PRIMARY) {
                    becomePrimary("the peer is " + peerIs + " and this configured primary holds no data yet");
                } else {
                    // A silent peer may be a live primary behind a partition: never take over on a timeout.
                    String holds = empty
                            ? "this backup holds no data and waits for its primary"
                            : "this node holds data (last offset " + store.lastOffset() + ", epoch " + store.epoch()
                                    + ")";
                    waitingOnce("the peer is " + peerIs + " and " + holds + ": it stays out of service until"
                            + " the peer answers; `pbkv promote --force` makes it primary if the peer is known dead");
                }
                return;
            }
            if (PairState.isActing(peerInfo)) {
                joinAsBackup(
                        peerInfo,
                        "primary " + peerInfo.getNodeId() + " found at epoch " + peerInfo.getEpoch()
                                + " with last offset " + peerInfo.getLastOffset() + "; this node holds "
                                + store.lastOffset());
                return;
            }
            if (peerInfo.getState() == dev.pbkv.proto.NodeState.COLD_START) {
                PeerInfo self = node.selfInfo();
                int rank = Epochs.compareHistories(self, peerInfo);
                if (rank > 0) {
                    becomePrimary("both nodes are starting and this node's history ranks higher (epoch "
                            + self.getEpoch() + ", last record epoch " + self.getLastRecordEpoch() + ", offset "
                            + self.getLastOffset() + " against " + peerInfo.getEpoch() + ", "
                            + peerInfo.getLastRecordEpoch() + ", " + peerInfo.getLastOffset() + ")");
                } else if (rank == 0) {
                    log.warn("{}: the peer has the same node id and history; check conf/settings.conf", node.nodeId);
                }
            }
            return;
        }
        if (node.isActingPrimary() && attached.session() == null && peerInfo != null && PairState.isActing(peerInfo)) {
            if (Epochs.compareHistories(peerInfo, node.selfInfo()) > 0) {
                stepDown(
                        Math.max(store.epoch(), peerInfo.getEpoch()),
                        "the peer " + peerInfo.getNodeId() + " also acts as primary and its history ranks higher"
                                + " (last record epoch " + peerInfo.getLastRecordEpoch() + ", offset "
                                + peerInfo.getLastOffset() + ")");
            }
        }
    }

    /** gRPC thread: answers the peer's probe (stepping down first if the caller has a higher epoch). */
    PeerInfo answerProbe(PeerInfo caller) {
        CompletableFuture<PeerInfo> answer = new CompletableFuture<>();
        control.runFor(answer, () -> {
            node.peerInfo = caller;
            // Only another acting primary with a higher-ranked history makes this one step down: never a
            // starting node's epoch (an epoch says who was promoted, not which history holds acknowledged writes).
            if (coordinated == null
                    && node.isActingPrimary()
                    && PairState.isActing(caller)
                    && Epochs.compareHistories(caller, node.selfInfo()) > 0) {
                stepDown(
                        Math.max(store.epoch(), caller.getEpoch()),
                        "probed by " + caller.getNodeId() + ", also acting as primary, whose history ranks higher");
            }
            answer.complete(node.selfInfo());
        });
        try {
            return answer.get(settings.peerTimeout().toMillis(), TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            return node.selfInfo();
        }
    }

    /** Becomes primary with a new epoch above any this node knows of (raised durably first). */
    void becomePrimary(String cause) {
        long known = store.epoch();
        PeerInfo p = node.peerInfo;
        if (p != null) {
            known = Math.max(known, p.getEpoch());
        }
        long newEpoch = epochs.nextEpoch(known);
        try {
            store.raiseEpoch(newEpoch);
        } catch (IOException e) {
            log.error("{}: could not store the new epoch {}; staying {}", node.nodeId, newEpoch, node.state, e);
            return;
        }
        becomePrimaryAt(cause);
    }

    /** Becomes primary at the epoch the store holds now (raised by the caller). */
    void becomePrimaryAt(String cause) {
        node.role = Role.PRIMARY;
        node.primaryClientAddress = node.clientAddress();
        commits.startTerm(store.durableOffset());
        node.acceptingWrites = true;
        node.transition(NodeState.BOOTSTRAP, cause + "; epoch " + store.epoch());
    }

    /** Stops taking writes at once: a node with a higher epoch exists. */
    void stepDown(long higherEpoch, String cause) {
        Runnable unfence = fences.fenceAll();
        try {
            node.acceptingWrites = false;
            node.role = Role.BACKUP;
        } finally {
            unfence.run();
        }
        attached.detach();
        commits.failWaiters(new OutcomeUnknownException(
                "outcome unknown: the write was applied here but this node stepped down before it could be"
                        + " acknowledged (" + cause + ")",
                null));
        try {
            // The higher epoch is the peer's: after a restart this node must not think it was the last primary.
            store.raiseEpoch(higherEpoch);
        } catch (IOException e) {
            log.error("{}: could not store epoch {}", node.nodeId, higherEpoch, e);
        }
        node.primaryClientAddress = null;
        node.transition(NodeState.COLD_START, "stepped down: " + cause);
    }

    /** Becomes the backup of the configured peer, whose client address is not known yet. */
    void joinAsBackup(String cause) {
        node.role = Role.BACKUP;
        node.acceptingWrites = false;
        node.transition(NodeState.WARM_START, cause);
        catchUp.subscribe();
    }

    private String lastWait;

    private void waitingOnce(String why) {
        if (!why.equals(lastWait)) {
            lastWait = why;
            log.info("{}: waiting: {}", node.nodeId, why);
        }
    }

    /** Becomes the backup of primary and subscribes to it. */
    void joinAsBackup(PeerInfo primary, String cause) {
        node.role = Role.BACKUP;
        node.acceptingWrites = false;
        node.primaryClientAddress = primary.getClientAddress().isEmpty() ? null : primary.getClientAddress();
        node.transition(NodeState.WARM_START, cause);
        catchUp.subscribe();
    }
}
