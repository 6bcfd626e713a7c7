package dev.pbkv.server.replication;

import com.google.common.util.concurrent.FutureCallback;
import com.google.common.util.concurrent.Futures;
import dev.pbkv.proto.replication.BackupMessage;
import dev.pbkv.proto.replication.Handover;
import dev.pbkv.proto.replication.ProbeRequest;
import dev.pbkv.proto.replication.ProbeResponse;
import dev.pbkv.proto.replication.ReplicationGrpc;
import dev.pbkv.proto.replication.EpochAtResponse;
import dev.pbkv.proto.replication.PeerInfo;
import dev.pbkv.proto.replication.PrimaryMessage;
import dev.pbkv.proto.replication.SnapshotChunk;
import dev.pbkv.proto.replication.SnapshotRequest;
import dev.pbkv.store.Mutation;
import dev.pbkv.store.Store;
import dev.pbkv.store.WriteResult;
import io.grpc.BindableService;
import io.grpc.ManagedChannel;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.Lock;
import java.util.function.LongSupplier;
import java.util.function.ObjLongConsumer;
import java.util.function.Supplier;

/**
 * The replicator of a node in a pair: the façade over the five-state machine (see
 * docs/state-machine.md) and the primary's write path with its commit rule (docs/replication.md).
 * The responsibilities live in their own classes, wired here:
 *
 * <ul>
 *   <li>{@link PairState}: role, state, whether this node takes writes; {@link Epochs}: epochs
 *       and history ranking; role control (still here, below);</li>
 *   <li>{@link WriteFences}: the write gate that digests and step-down fence;</li>
 *   <li>{@link AttachedBackup} (primary: the backup's subscription and {@link PrimarySession});
 *       {@link SnapshotSource} (primary: snapshots for the backup);
 *       {@link BackupCatchUp} (backup: {@link BackupLink}, divergence, snapshot install);</li>
 *   <li>switchover on shutdown, promotion by request (still here, below).</li>
 * </ul>
 *
 * <p>Threads: every state change runs on one control thread ({@code pbkv-repl-control-<node>},
 * {@link ControlThread}), so transitions never race; gRPC callbacks hand their decisions to it.
 * The hot paths ({@link #write} on the doors' event loops, acks from the backup, records applied
 * on the backup) touch only volatile fields, the commit tracker and the write gate, whose fences
 * are never held across I/O. Blocking transfers (snapshots, divergence search) run on
 * {@code pbkv-repl-transfer-<node>} threads.
 *
 * <p>Construct it with the node's open store, register {@link #service()} on the node's gRPC
 * server, then call {@link #start()}.
 */
public final class PairReplicator implements Replicator {
    private static final Logger log = LoggerFactory.getLogger(PairReplicator.class);

    private final Store store;
    private final PairSettings settings;
    private final Clock clock;
    private final CommitTracker commits = new CommitTracker();
    private final AtMostOnceTable atMostOnce;
    private final ReplicationService service = new ReplicationService(this);
    private final PairState node;
    private final Epochs epochs;
    /** The write gate: client writes enter it, digests and step-down fence it. */
    private final WriteFences fences;
    private final ControlThread control;
    /** Blocking transfers: serving snapshots (primary), installing them and searching divergence (backup). */
    private final ExecutorService transfers;
    private final PeerChannel peer;
    private final SnapshotSource snapshots;
    private final AttachedBackup attached;
    private final BackupCatchUp catchUp;
    // Control thread only.
    /** A probe is out; the tick sends no other. */
    private boolean probeInFlight;
    /** When the primary alone last probed its peer (to find a newer primary after a partition). */
    private long lastAloneProbeMillis;

    /**
     * @param store          the node's open store (recovered); this replicator becomes its only writer
     * @param nodeId         this node's name ("primary" or "backup" in settings.conf)
     * @param configuredRole the role given at start (-p or -b)
     * @param peerAddress    the peer's gRPC address, host:port (replication is served on the gRPC port)
     * @param clientAddress  this node's client-facing gRPC address, host:port, which clients are sent to
     * @param settings       replication settings
     * @param clock          time source for heartbeats and timeouts
     */
    public PairReplicator(Store store, String nodeId, Role configuredRole, String peerAddress, String clientAddress,
                          PairSettings settings, Clock clock) {
        this(store, nodeId, configuredRole, peerAddress, () -> clientAddress, settings, clock);
    }

    /** As above, with this node's client address read when first needed (after the doors bound their ports). */
    public PairReplicator(Store store, String nodeId, Role configuredRole, String peerAddress,
                          Supplier<String> clientAddress, PairSettings settings, Clock clock) {
        this.store = store;
        this.settings = settings;
        this.clock = clock;
        this.atMostOnce = new AtMostOnceTable(settings.dedupMaxClients(), settings.dedupPerClient());
        this.epochs = new Epochs(store, configuredRole, nodeId);
        this.node = new PairState(store, nodeId, configuredRole, peerAddress, clientAddress, epochs, clock);
        this.fences = new WriteFences(store.map().bucketCount());
        this.control = new ControlThread(nodeId);
        this.transfers = Executors.newCachedThreadPool(ControlThread.named("pbkv-repl-transfer-" + nodeId));
        this.peer = new PeerChannel(peerAddress);
        this.snapshots = new SnapshotSource(store, settings, clock, node, control, transfers);
        this.attached = new AttachedBackup(store, settings, clock, node, epochs, commits, fences, snapshots, control,
                this::stepDown, this::committedOffset);
        this.catchUp = new BackupCatchUp(store, settings, clock, node, epochs, atMostOnce, peer, control, transfers,
                this::onHandover);
        store.setAppendListener(rec -> {
            PrimarySession s = attached.session();
            if (s != null) {
                s.offer(rec);
            }
        });
    }

    /** The node-to-node gRPC service to register on the node's gRPC server. */
    public BindableService service() {
        return service;
    }

    @Override
    public void start() {
        startRoleControl();
    }

    // ---- the write path ---------------------------------------------------------------------

    /** Any thread, the doors' event loops included: never blocks on I/O (see WriteFences). */
    @Override
    public CompletableFuture<WriteResult> write(Mutation m) {
        CompletableFuture<String> sw = node.switchover;
        if (sw != null) {
            return sw.thenCompose(addr -> CompletableFuture.failedFuture(PairState.handedOver(addr)));
        }
        if (!node.acceptingWrites) {
            return CompletableFuture.failedFuture(node.notPrimary());
        }
        PrimarySession s = attached.session();
        if (settings.requireBackup() && s == null) {
            return CompletableFuture.failedFuture(new NotPrimaryException(
                    "the backup is not connected and replication.require-backup is set", null));
        }
        CompletableFuture<Void> admission = s == null ? null : s.admission();
        if (admission != null) {
            // A catching-up backup fell too far behind: this write goes ahead once it is closer.
            return admission.thenComposeAsync(v -> write(m));
        }
        if (m.clientId() == 0) {
            return applyAndCommit(m, null);
        }
        CompletableFuture<WriteResult> claim = new CompletableFuture<>();
        CompletableFuture<WriteResult> earlier = atMostOnce.claim(m.clientId(), m.sequence(), claim);
        if (earlier != null) {
            // A retry: answer with the first result, once it is committed; never apply again.
            return earlier.thenCompose(r -> commits.await(AnswerOffset.of(store, m, r)).thenApply(v -> r));
        }
        return applyAndCommit(m, claim);
    }

    private CompletableFuture<WriteResult> applyAndCommit(Mutation m, CompletableFuture<WriteResult> claim) {
        Lock gate = fences.enter(m.key() == null ? 0 : store.map().bucketOf(m.key()));
        WriteResult wr;
        CompletableFuture<Void> committed;
        try {
            if (!node.acceptingWrites) {
                release(m, claim);
                CompletableFuture<String> sw = node.switchover;
                return sw != null ? sw.thenCompose(addr -> CompletableFuture.failedFuture(PairState.handedOver(addr)))
                        : CompletableFuture.failedFuture(node.notPrimary());
            }
            try {
                wr = store.apply(m);
            } catch (RuntimeException e) {
                release(m, claim);
                return CompletableFuture.failedFuture(e);
            }
            if (claim != null) {
                claim.complete(AtMostOnceTable.slim(wr));
            }
            committed = commits.await(AnswerOffset.of(store, m, wr));
            if (!wr.changed()) {
                return committed.thenApply(v -> wr);
            }
        } finally {
            gate.unlock();
        }
        long offset = wr.offset();
        CompletableFuture<Void> durable = store.whenDurable(offset);
        durable.whenComplete((v, t) -> {
            if (t == null) {
                commits.localDurable(offset);
            } else {
                log.error("{}: the log could not be made durable up to {}", node.nodeId, offset, t);
            }
        });
        return durable.thenCompose(v -> committed).thenApply(v -> wr);
    }

    private void release(Mutation m, CompletableFuture<WriteResult> claim) {
        if (claim != null) {
            atMostOnce.release(m.clientId(), m.sequence(), claim);
        }
    }

    @Override
    public CompletableFuture<Void> awaitCommitted(long offset) {
        return commits.await(offset);
    }

    // ---- what the node is ---------------------------------------------------------------------

    @Override
    public boolean canServeReads(boolean allowStale) {
        if (node.isActingPrimary()) {
            return true;
        }
        return allowStale && !catchUp.installing() && node.state != NodeState.SHUTTING_DOWN;
    }

    @Override
    public Role role() {
        return node.role;
    }

    @Override
    public NodeState state() {
        return node.state;
    }

    @Override
    public long epoch() {
        return store.epoch();
    }

    @Override
    public long committedOffset() {
        if (node.role == Role.PRIMARY) {
            return commits.committed();
        }
        BackupLink l = catchUp.link();
        long primaryCommit = l == null ? 0 : l.primaryCommit();
        return Math.min(primaryCommit, store.durableOffset());
    }

    @Override
    public long peerAckedOffset() {
        PrimarySession s = attached.session();
        return s == null ? 0 : s.acked();
    }

    @Override
    public boolean peerConnected() {
        PrimarySession s = attached.session();
        if (s != null) {
            return !s.isClosed();
        }
        BackupLink l = catchUp.link();
        return l != null && l.welcomed() && !l.isClosed();
    }

    @Override
    public String primaryAddress() {
        return node.isActingPrimary() ? node.clientAddress() : node.knownPrimary();
    }

    // ---- planned role changes and lifecycle ------------------------------------------------------

    @Override
    public void close() {
        if (node.closed) {
            return;
        }
        try {
            shutdown(true).get(settings.peerTimeout().toMillis() * 3, TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            log.warn("{}: shutdown before close did not finish: {}", node.nodeId, e.toString());
        }
        node.closed = true;
        control.shutdown();
        transfers.shutdownNow();
        peer.close();
        snapshots.release();
        store.setAppendListener(rec -> { });
    }

    // ==== role control =============================================================================

    /** Starts in COLD_START and runs the tick every heartbeat. */
    private void startRoleControl() {
        control.run(() -> {
            atMostOnce.replayLogTail(store, node.nodeId);
            commits.localDurable(store.durableOffset());
            node.coldStartSinceMillis = clock.millis();
            log.info("{}: state {} (role {}, epoch {}, last offset {}): looking for the peer at {}", node.nodeId,
                    node.state, node.role, store.epoch(), store.lastOffset(), node.peerAddress());
        });
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
            boolean alone = node.isActingPrimary() && attached.session() == null
                    && now - lastAloneProbeMillis >= timeout / 2;
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
        long deadline = Math.max(settings.heartbeat().toMillis() * 2, settings.peerTimeout().toMillis() / 2);
        var call = ReplicationGrpc.newFutureStub(ch).withWaitForReady()
                .withDeadlineAfter(deadline, TimeUnit.MILLISECONDS)
                .probe(ProbeRequest.newBuilder().setCaller(node.selfInfo()).build());
        Futures.addCallback(call, new FutureCallback<ProbeResponse>() {
            @Override
            public void onSuccess(ProbeResponse r) {
                probeInFlight = false;
                node.peerInfo = r.getNode();
                callback.answered(r.getNode(), null);
            }

            @Override
            public void onFailure(Throwable t) {
                probeInFlight = false;
                callback.answered(null, io.grpc.Status.fromThrowable(t).getCode().toString());
            }
        }, control::run);
    }

    private void onProbeResult(PeerInfo peerInfo, String failure) {
        if (node.closed || node.state == NodeState.SHUTTING_DOWN) {
            return;
        }
        long now = clock.millis();
        if (node.state == NodeState.COLD_START) {
            if (peerInfo == null || peerInfo.getState() == dev.pbkv.proto.NodeState.SHUTTING_DOWN) {
                if (epochs.wasLastPrimary() && now - node.coldStartSinceMillis >= settings.peerTimeout().toMillis()) {
                    becomePrimary("the peer is " + (peerInfo == null ? "unreachable (" + failure + ")"
                            : "shutting down") + " and this node was the last primary (epoch " + store.epoch() + ")");
                }
                return;
            }
            if (PairState.isActing(peerInfo)) {
                if (peerInfo.getEpoch() >= store.epoch()) {
                    joinAsBackup(peerInfo, "primary " + peerInfo.getNodeId() + " found at epoch "
                            + peerInfo.getEpoch() + " with last offset " + peerInfo.getLastOffset()
                            + "; this node holds " + store.lastOffset());
                }
                return; // a lower epoch: our probe made it step down; the next probe sees it
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
            if (peerInfo.getEpoch() > store.epoch()
                    || (peerInfo.getEpoch() == store.epoch() && Epochs.compareHistories(peerInfo, node.selfInfo()) > 0)) {
                stepDown(peerInfo.getEpoch(), "the peer " + peerInfo.getNodeId() + " acts as primary with epoch "
                        + peerInfo.getEpoch() + " >= this node's " + store.epoch());
            }
        }
    }

    /** gRPC thread: answers the peer's probe (stepping down first if the caller has a higher epoch). */
    PeerInfo answerProbe(PeerInfo caller) {
        CompletableFuture<PeerInfo> answer = new CompletableFuture<>();
        control.runFor(answer, () -> {
            node.peerInfo = caller;
            if (node.isActingPrimary() && caller.getEpoch() > store.epoch()) {
                stepDown(caller.getEpoch(), "probed by " + caller.getNodeId() + " with epoch " + caller.getEpoch()
                        + " above this node's " + store.epoch());
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
        commits.requirePeer(false, 0);
        commits.localDurable(store.durableOffset());
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
        commits.failWaiters(new NotPrimaryException("this node stepped down: " + cause, null));
        try {
            // The higher epoch is the peer's: after a restart this node must not think it was the last primary.
            store.raiseEpoch(higherEpoch);
        } catch (IOException e) {
            log.error("{}: could not store epoch {}", node.nodeId, higherEpoch, e);
        }
        node.primaryClientAddress = null;
        node.transition(NodeState.COLD_START, "stepped down: " + cause);
    }

    /** Becomes the backup of primary and subscribes to it. */
    void joinAsBackup(PeerInfo primary, String cause) {
        node.role = Role.BACKUP;
        node.acceptingWrites = false;
        node.primaryClientAddress = primary.getClientAddress().isEmpty() ? null : primary.getClientAddress();
        node.transition(NodeState.WARM_START, cause);
        catchUp.subscribe();
    }

    // ==== switchover and promotion ==================================================================

    /** Makes this backup the primary with a new epoch, unless the primary answers the probe as acting. */
    @Override
    public CompletableFuture<Long> promote() {
        CompletableFuture<Long> result = new CompletableFuture<>();
        control.runFor(result, () -> {
            String refusal = promotionRefusal();
            if (refusal != null) {
                result.completeExceptionally(new PromotionRefusedException(refusal));
                return;
            }
            probePeer((peer, failure) -> {
                if (peer != null && PairState.isActing(peer)) {
                    result.completeExceptionally(new PromotionRefusedException("the primary " + peer.getNodeId()
                            + " is alive and reachable at " + node.peerAddress() + " (epoch " + peer.getEpoch()
                            + ", state " + peer.getState() + ")"));
                    return;
                }
                String again = promotionRefusal();
                if (again != null) {
                    result.completeExceptionally(new PromotionRefusedException(again));
                    return;
                }
                catchUp.dropLink("promoted");
                becomePrimary("promoted by request; the peer is " + (peer == null
                        ? "unreachable (" + failure + ")" : "not primary (state " + peer.getState() + ")"));
                if (node.isActingPrimary()) {
                    result.complete(store.epoch());
                } else {
                    result.completeExceptionally(new IllegalStateException("promotion failed; see the log"));
                }
            });
        });
        return result;
    }

    private String promotionRefusal() {
        if (node.closed || node.state == NodeState.SHUTTING_DOWN) {
            return "this node is shutting down";
        }
        if (node.isActingPrimary()) {
            return "this node is already primary (epoch " + store.epoch() + ")";
        }
        if (catchUp.installing()) {
            return "this node is installing a snapshot; its contents are incomplete";
        }
        return null;
    }

    /** Stops taking writes and, unless skipSwitchover, hands an in-sync primary's role over; completes with whether it did. */
    @Override
    public CompletableFuture<Boolean> shutdown(boolean skipSwitchover) {
        CompletableFuture<Boolean> result = new CompletableFuture<>();
        control.runFor(result, () -> beginShutdown(skipSwitchover, result));
        return result;
    }

    private void beginShutdown(boolean skipSwitchover, CompletableFuture<Boolean> result) {
        if (node.state == NodeState.SHUTTING_DOWN) {
            CompletableFuture<String> sw = node.switchover;
            if (sw == null) {
                result.complete(false);
            } else {
                sw.whenComplete((addr, t) -> result.complete(addr != null));
            }
            return;
        }
        PrimarySession s = attached.session();
        boolean handover = !skipSwitchover && node.isActingPrimary() && node.state == NodeState.SYNC && s != null;
        CompletableFuture<String> sw = new CompletableFuture<>();
        Runnable unfence = fences.fenceAll();
        long last;
        try {
            node.acceptingWrites = false;
            node.switchover = sw;
            last = store.lastOffset();
        } finally {
            unfence.run();
        }
        node.transition(NodeState.SHUTTING_DOWN, handover ? "switchover to " + s.backup().getNodeId() + " requested"
                : "shutdown requested");
        if (!handover) {
            finishShutdown(sw, null);
            result.complete(false);
            return;
        }
        long timeout = settings.peerTimeout().toMillis();
        long epochNow = store.epoch();
        commits.await(last)
                .orTimeout(timeout, TimeUnit.MILLISECONDS)
                .thenCompose(v -> s.requestHandover(last, epochNow).orTimeout(timeout, TimeUnit.MILLISECONDS))
                .whenCompleteAsync((newEpoch, t) -> {
                    if (t != null) {
                        log.warn("{}: switchover to {} failed ({}); stopping without it", node.nodeId,
                                s.backup().getNodeId(), t instanceof TimeoutException ? "timed out" : t.toString());
                        finishShutdown(sw, null);
                        result.complete(false);
                        return;
                    }
                    try {
                        store.raiseEpoch(newEpoch);
                    } catch (IOException e) {
                        log.error("{}: could not store the new primary's epoch {}", node.nodeId, newEpoch, e);
                    }
                    String addr = s.backup().getClientAddress();
                    node.role = Role.BACKUP;
                    node.primaryClientAddress = addr;
                    log.info("{}: handed the primary role to {} at offset {} (its epoch {})", node.nodeId,
                            s.backup().getNodeId(), last, newEpoch);
                    finishShutdown(sw, addr);
                    result.complete(true);
                }, control::run);
    }

    private void finishShutdown(CompletableFuture<String> sw, String newPrimary) {
        attached.detach();
        catchUp.finishLink();
        commits.failWaiters(new NotPrimaryException("this node is shutting down", newPrimary));
        sw.complete(newPrimary);
    }

    /** The backup's side: takes the primary role once everything up to the handover's offset is durable here. */
    void onHandover(BackupLink l, Handover h) {
        if (l.lastApplied() < h.getLastOffset()) {
            log.warn("{}: handover at offset {} but only {} applied; ignoring it", node.nodeId, h.getLastOffset(),
                    l.lastApplied());
            return;
        }
        store.whenDurable(h.getLastOffset()).whenCompleteAsync((v, t) -> {
            if (t != null || l != catchUp.link() || node.closed) {
                return;
            }
            long newEpoch = epochs.nextEpoch(Math.max(store.epoch(), h.getEpoch()));
            try {
                store.raiseEpoch(newEpoch);
            } catch (IOException e) {
                log.error("{}: could not store epoch {}; handover refused", node.nodeId, newEpoch, e);
                return;
            }
            catchUp.release(l);
            // Take writes before the old primary hears HandoverDone and sends its clients here.
            becomePrimaryAt("switchover: " + (node.peerInfo == null ? "the primary" : node.peerInfo.getNodeId())
                    + " handed over at offset " + h.getLastOffset());
            l.sendHandoverDone(newEpoch);
            l.finish();
        }, control::run);
    }

    // ---- the node-to-node service (ReplicationService) --------------------------------------------

    PeerInfo onProbe(PeerInfo caller) {
        return answerProbe(caller);
    }

    StreamObserver<BackupMessage> newSession(ServerCallStreamObserver<PrimaryMessage> out) {
        return attached.newSession(out);
    }

    void serveSnapshot(SnapshotRequest request, ServerCallStreamObserver<SnapshotChunk> out) {
        snapshots.serve(request, out);
    }

    EpochAtResponse epochsAt(List<Long> offsets) {
        return epochs.epochsAt(offsets);
    }

    // ---- status and test seams -------------------------------------------------------------------

    /** Records per batch sent to the attached backup so far (0 without one). */
    double recordsPerBatch() {
        return attached.recordsPerBatch();
    }

    int snapshotsInstalled() {
        return catchUp.snapshotsInstalled();
    }

    int snapshotsSent() {
        return snapshots.sent();
    }

    /** Test seam: the primary behaves as if its log held only the records above floor. */
    void setRetainedFloorForTests(LongSupplier floor) {
        epochs.setRetainedFloorForTests(floor);
    }

    /** Test seam: called on the sender thread after each digest cut (bucket, offset), before the sends. */
    void setDigestCutHookForTests(ObjLongConsumer<Integer> hook) {
        attached.setDigestCutHookForTests(hook);
    }

    @Override
    public String toString() {
        return "PairReplicator[" + node.nodeId + ", " + node.role + ", " + node.state + ", epoch " + store.epoch()
                + "]";
    }
}
