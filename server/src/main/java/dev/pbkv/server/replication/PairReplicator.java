package dev.pbkv.server.replication;

import com.google.common.util.concurrent.FutureCallback;
import com.google.common.util.concurrent.Futures;
import com.google.common.util.concurrent.RateLimiter;
import com.google.protobuf.ByteString;
import dev.pbkv.proto.replication.BackupMessage;
import dev.pbkv.proto.replication.DigestReply;
import dev.pbkv.proto.replication.EpochAtRequest;
import dev.pbkv.proto.replication.EpochAtResponse;
import dev.pbkv.proto.replication.Handover;
import dev.pbkv.proto.replication.PeerInfo;
import dev.pbkv.proto.replication.PrimaryMessage;
import dev.pbkv.proto.replication.ProbeRequest;
import dev.pbkv.proto.replication.ProbeResponse;
import dev.pbkv.proto.replication.Refusal;
import dev.pbkv.proto.replication.ReplicationGrpc;
import dev.pbkv.proto.replication.SnapshotChunk;
import dev.pbkv.proto.replication.SnapshotRequest;
import dev.pbkv.proto.replication.Welcome;
import dev.pbkv.store.Mutation;
import dev.pbkv.store.SnapshotHandle;
import dev.pbkv.store.Store;
import dev.pbkv.store.TailNotRetainedException;
import dev.pbkv.store.WriteResult;
import io.grpc.BindableService;
import io.grpc.ManagedChannel;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.Lock;
import java.util.function.LongSupplier;

/**
 * The replicator of a node in a pair: the five-state machine (see docs/state-machine.md), the
 * primary's write path with its commit rule, the backup's catch-up, epochs and fencing,
 * switchover and promotion (see docs/replication.md).
 *
 * <p>Threads: every state change runs on one control thread ({@code pbkv-repl-control-<node>}),
 * so transitions never race; gRPC callbacks hand their decisions to it. The hot paths (client
 * writes, acks from the backup, records applied on the backup) touch only volatile fields, the
 * commit tracker and the write gate. Blocking transfers (snapshots, divergence search) run on
 * {@code pbkv-repl-transfer-<node>} threads.
 *
 * <p>Construct it with the node's open store, register {@link #service()} on the node's gRPC
 * server, then call {@link #start()}.
 */
public final class PairReplicator implements Replicator {
    private static final Logger log = LoggerFactory.getLogger(PairReplicator.class);
    /** A snapshot kept open for a backup that has not come back for this long is released. */
    private static final long PINNED_SNAPSHOT_MAX_IDLE_MILLIS = 60_000;

    private final Store store;
    private final String nodeId;
    private final Role configuredRole;
    private final String peerAddress;
    /** This node's client-facing address; a supplier because the node knows its bound port only once its doors started. */
    private final java.util.function.Supplier<String> clientAddress;
    private final PairSettings settings;
    private final Clock clock;
    private final CommitTracker commits = new CommitTracker();
    private final AtMostOnceTable atMostOnce;
    private final ReplicationService service = new ReplicationService(this);
    /** The write gate: client writes enter it, digests and step-down fence it. */
    private final WriteFences fences;
    /** The control thread: runs every state change and the periodic tick. */
    private final ControlThread control;
    /** Epochs and history ranking. */
    private final Epochs epochs;
    private final PeerChannel peer;
    /** Blocking transfers: serving snapshots (primary), installing them and searching divergence (backup). */
    private final ExecutorService transfers;

    // State: written on the control thread only, volatile so any thread reads it.
    private volatile Role role;
    private volatile NodeState state = NodeState.COLD_START;
    /** Acting primary that takes writes: role PRIMARY, state BOOTSTRAP or SYNC, no switchover. */
    private volatile boolean acceptingWrites;
    /** Set when a switchover began; completes with the new primary's client address (null if none). */
    private volatile CompletableFuture<String> switchover;
    /** Primary: the attached backup's stream, or null. */
    private volatile PrimarySession session;
    /** Backup: the stream to the primary, or null. */
    private volatile BackupLink link;
    /** What the peer last told about itself (probe, subscription, welcome), or null. */
    private volatile PeerInfo peerInfo;
    /** The primary's client address as known here. */
    private volatile String primaryClientAddress;
    /** Backup: a snapshot is being installed; the map is incomplete and serves no reads. */
    private volatile boolean installing;

    // Control thread only (close() reads them after the control thread stopped).
    /** Primary: the last snapshot sent, kept open so the log after it stays until the backup resubscribes. */
    private SnapshotHandle pinnedSnapshot;
    private long pinnedSinceMillis;
    /** clock.millis() when this node last entered COLD_START. */
    private long coldStartSinceMillis;
    /** A probe is out; the tick sends no other. */
    private boolean probeInFlight;
    /** When the primary alone last probed its peer (to find a newer primary after a partition). */
    private long lastAloneProbeMillis;
    /** Consecutive DIVERGED refusals or digest mismatches; beyond a few the backup fetches a snapshot. */
    private int failedAttempts;
    /** Set by close(); nothing new starts after it. */
    private volatile boolean closed;
    /** Snapshots installed here and sent from here (Status and tests: one snapshot per catch-up, never a loop). */
    private final AtomicInteger snapshotsInstalled = new AtomicInteger();
    private final AtomicInteger snapshotsSent = new AtomicInteger();
    /** Test seam: runs on the sender thread after each digest cut, before its records and check are sent. */
    private volatile java.util.function.ObjLongConsumer<Integer> digestCutHook = (bucket, at) -> { };

    /**
     * @param store         the node's open store (recovered); this replicator becomes its only writer
     * @param nodeId        this node's name ("primary" or "backup" in settings.conf)
     * @param configuredRole the role given at start (-p or -b)
     * @param peerAddress   the peer's gRPC address, host:port (replication is served on the gRPC port)
     * @param clientAddress this node's client-facing gRPC address, host:port, which clients are sent to
     * @param settings      replication settings
     * @param clock         time source for heartbeats and timeouts
     */
    public PairReplicator(Store store, String nodeId, Role configuredRole, String peerAddress, String clientAddress,
                          PairSettings settings, Clock clock) {
        this(store, nodeId, configuredRole, peerAddress, () -> clientAddress, settings, clock);
    }

    /** As above, with this node's client address read when first needed (after the doors bound their ports). */
    public PairReplicator(Store store, String nodeId, Role configuredRole, String peerAddress,
                          java.util.function.Supplier<String> clientAddress, PairSettings settings, Clock clock) {
        this.store = store;
        this.nodeId = nodeId;
        this.configuredRole = configuredRole;
        this.peerAddress = peerAddress;
        this.clientAddress = clientAddress;
        this.settings = settings;
        this.clock = clock;
        this.role = configuredRole;
        this.atMostOnce = new AtMostOnceTable(settings.dedupMaxClients(), settings.dedupPerClient());
        this.fences = new WriteFences(store.map().bucketCount());
        this.control = new ControlThread(nodeId);
        this.epochs = new Epochs(store, configuredRole, nodeId);
        this.peer = new PeerChannel(peerAddress);
        this.transfers = Executors.newCachedThreadPool(ControlThread.named("pbkv-repl-transfer-" + nodeId));
        store.setAppendListener(rec -> {
            PrimarySession s = session;
            if (s != null) {
                s.offer(rec);
            }
        });
    }

    /** The node-to-node gRPC service to register on the node's gRPC server. */
    public BindableService service() {
        return service;
    }

    // ==== Replicator ==============================================================================

    @Override
    public void start() {
        control.run(() -> {
            atMostOnce.replayLogTail(store, nodeId);
            commits.localDurable(store.durableOffset());
            coldStartSinceMillis = clock.millis();
            log.info("{}: state {} (role {}, epoch {}, last offset {}): looking for the peer at {}", nodeId, state,
                    role, store.epoch(), store.lastOffset(), peerAddress);
        });
        control.every(settings.heartbeat().toMillis(), this::tick);
    }

    @Override
    public CompletableFuture<WriteResult> write(Mutation m) {
        CompletableFuture<String> sw = switchover;
        if (sw != null) {
            return sw.thenCompose(addr -> CompletableFuture.failedFuture(handedOver(addr)));
        }
        if (!acceptingWrites) {
            return CompletableFuture.failedFuture(notPrimary());
        }
        if (settings.requireBackup() && session == null) {
            return CompletableFuture.failedFuture(new NotPrimaryException(
                    "the backup is not connected and replication.require-backup is set", null));
        }
        PrimarySession s = session;
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
            if (!acceptingWrites) {
                release(m, claim);
                CompletableFuture<String> sw = switchover;
                return sw != null ? sw.thenCompose(addr -> CompletableFuture.failedFuture(handedOver(addr)))
                        : CompletableFuture.failedFuture(notPrimary());
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
                log.error("{}: the log could not be made durable up to {}", nodeId, offset, t);
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

    @Override
    public boolean canServeReads(boolean allowStale) {
        if (isActingPrimary()) {
            return true;
        }
        return allowStale && !installing && state != NodeState.SHUTTING_DOWN;
    }

    @Override
    public Role role() {
        return role;
    }

    @Override
    public NodeState state() {
        return state;
    }

    @Override
    public long epoch() {
        return store.epoch();
    }

    @Override
    public long committedOffset() {
        if (role == Role.PRIMARY) {
            return commits.committed();
        }
        BackupLink l = link;
        long primaryCommit = l == null ? 0 : l.primaryCommit();
        return Math.min(primaryCommit, store.durableOffset());
    }

    @Override
    public long peerAckedOffset() {
        PrimarySession s = session;
        return s == null ? 0 : s.acked();
    }

    @Override
    public boolean peerConnected() {
        PrimarySession s = session;
        if (s != null) {
            return !s.isClosed();
        }
        BackupLink l = link;
        return l != null && l.welcomed() && !l.isClosed();
    }

    @Override
    public String primaryAddress() {
        return isActingPrimary() ? clientAddress.get() : knownPrimary();
    }

    /**
     * Where a client refused here should go: the primary this node last heard of; else, on a
     * backup, its configured peer (the only other node, whose gRPC port also serves clients), so
     * that a backup that has not reached its primary yet still points clients at it.
     */
    private String knownPrimary() {
        String known = primaryClientAddress;
        return known != null ? known : role == Role.BACKUP ? peerAddress : null;
    }

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
                if (peer != null && isActing(peer)) {
                    result.completeExceptionally(new PromotionRefusedException("the primary " + peer.getNodeId()
                            + " is alive and reachable at " + peerAddress + " (epoch " + peer.getEpoch() + ", state "
                            + peer.getState() + ")"));
                    return;
                }
                String again = promotionRefusal();
                if (again != null) {
                    result.completeExceptionally(new PromotionRefusedException(again));
                    return;
                }
                dropLink("promoted");
                becomePrimary("promoted by request; the peer is " + (peer == null
                        ? "unreachable (" + failure + ")" : "not primary (state " + peer.getState() + ")"));
                if (isActingPrimary()) {
                    result.complete(store.epoch());
                } else {
                    result.completeExceptionally(new IllegalStateException("promotion failed; see the log"));
                }
            });
        });
        return result;
    }

    private String promotionRefusal() {
        if (closed || state == NodeState.SHUTTING_DOWN) {
            return "this node is shutting down";
        }
        if (isActingPrimary()) {
            return "this node is already primary (epoch " + store.epoch() + ")";
        }
        if (installing) {
            return "this node is installing a snapshot; its contents are incomplete";
        }
        return null;
    }

    @Override
    public CompletableFuture<Boolean> shutdown(boolean skipSwitchover) {
        CompletableFuture<Boolean> result = new CompletableFuture<>();
        control.runFor(result, () -> beginShutdown(skipSwitchover, result));
        return result;
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        try {
            shutdown(true).get(settings.peerTimeout().toMillis() * 3, TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            log.warn("{}: shutdown before close did not finish: {}", nodeId, e.toString());
        }
        closed = true;
        control.shutdown();
        transfers.shutdownNow();
        peer.close();
        closePinnedSnapshot();
        store.setAppendListener(rec -> { });
    }

    // ==== the control loop =======================================================================

    private void tick() {
        if (closed) {
            return;
        }
        try {
            long now = clock.millis();
            long timeout = settings.peerTimeout().toMillis();
            PrimarySession s = session;
            if (s != null && now - s.lastHeardMillis() > timeout) {
                onSessionEnded(s, "no message from the backup for " + (now - s.lastHeardMillis()) + " ms");
            } else if (s != null && state == NodeState.SYNC && s.stalledMillis(now) > timeout) {
                onSessionEnded(s, "the backup acknowledged nothing for " + s.stalledMillis(now) + " ms");
            } else if (s != null) {
                s.maybeHeartbeat();
            }
            BackupLink l = link;
            if (l != null) {
                if (now - l.lastHeardMillis() > timeout) {
                    l.cancel("primary silent");
                    onLinkEnded(l, "no message from the primary for " + (now - l.lastHeardMillis()) + " ms");
                } else {
                    l.heartbeat();
                }
            }
            if (pinnedSnapshot != null && session == null && now - pinnedSinceMillis > PINNED_SNAPSHOT_MAX_IDLE_MILLIS) {
                log.info("{}: releasing the snapshot kept for a backup that did not come back", nodeId);
                closePinnedSnapshot();
            }
            boolean alone = isActingPrimary() && session == null && now - lastAloneProbeMillis >= timeout / 2;
            if ((state == NodeState.COLD_START || alone) && !probeInFlight) {
                if (alone) {
                    lastAloneProbeMillis = now;
                }
                probePeer(this::onProbeResult);
            }
        } catch (RuntimeException e) {
            log.error("{}: replication tick failed", nodeId, e);
        }
    }

    /** Asks the peer who it is; then runs on the control thread with its answer or the failure. */
    private void probePeer(ProbeCallback callback) {
        probeInFlight = true;
        ManagedChannel ch = peer.get();
        ch.resetConnectBackoff();
        long deadline = Math.max(settings.heartbeat().toMillis() * 2, settings.peerTimeout().toMillis() / 2);
        var call = ReplicationGrpc.newFutureStub(ch).withWaitForReady()
                .withDeadlineAfter(deadline, TimeUnit.MILLISECONDS)
                .probe(ProbeRequest.newBuilder().setCaller(selfInfo()).build());
        Futures.addCallback(call, new FutureCallback<ProbeResponse>() {
            @Override
            public void onSuccess(ProbeResponse r) {
                probeInFlight = false;
                peerInfo = r.getNode();
                callback.answered(r.getNode(), null);
            }

            @Override
            public void onFailure(Throwable t) {
                probeInFlight = false;
                callback.answered(null, io.grpc.Status.fromThrowable(t).getCode().toString());
            }
        }, control::run);
    }

    @FunctionalInterface
    private interface ProbeCallback {
        void answered(PeerInfo peer, String failure);
    }

    private void onProbeResult(PeerInfo peer, String failure) {
        if (closed || state == NodeState.SHUTTING_DOWN) {
            return;
        }
        long now = clock.millis();
        if (state == NodeState.COLD_START) {
            if (peer == null || peer.getState() == dev.pbkv.proto.NodeState.SHUTTING_DOWN) {
                if (epochs.wasLastPrimary() && now - coldStartSinceMillis >= settings.peerTimeout().toMillis()) {
                    becomePrimary("the peer is " + (peer == null ? "unreachable (" + failure + ")" : "shutting down")
                            + " and this node was the last primary (epoch " + store.epoch() + ")");
                }
                return;
            }
            if (isActing(peer)) {
                if (peer.getEpoch() >= store.epoch()) {
                    joinAsBackup(peer, "primary " + peer.getNodeId() + " found at epoch " + peer.getEpoch()
                            + " with last offset " + peer.getLastOffset() + "; this node holds " + store.lastOffset());
                }
                return; // a lower epoch: our probe made it step down; the next probe sees it
            }
            if (peer.getState() == dev.pbkv.proto.NodeState.COLD_START) {
                PeerInfo self = selfInfo();
                int rank = Epochs.compareHistories(self, peer);
                if (rank > 0) {
                    becomePrimary("both nodes are starting and this node's history ranks higher (epoch "
                            + self.getEpoch() + ", last record epoch " + self.getLastRecordEpoch() + ", offset "
                            + self.getLastOffset() + " against " + peer.getEpoch() + ", "
                            + peer.getLastRecordEpoch() + ", " + peer.getLastOffset() + ")");
                } else if (rank == 0) {
                    log.warn("{}: the peer has the same node id and history; check conf/settings.conf", nodeId);
                }
            }
            return;
        }
        if (isActingPrimary() && session == null && peer != null && isActing(peer)) {
            if (peer.getEpoch() > store.epoch()
                    || (peer.getEpoch() == store.epoch() && Epochs.compareHistories(peer, selfInfo()) > 0)) {
                stepDown(peer.getEpoch(), "the peer " + peer.getNodeId() + " acts as primary with epoch "
                        + peer.getEpoch() + " >= this node's " + store.epoch());
            }
        }
    }

    // ==== becoming primary, stepping down ==========================================================

    private void becomePrimary(String cause) {
        long known = store.epoch();
        PeerInfo p = peerInfo;
        if (p != null) {
            known = Math.max(known, p.getEpoch());
        }
        long newEpoch = epochs.nextEpoch(known);
        try {
            store.raiseEpoch(newEpoch);
        } catch (IOException e) {
            log.error("{}: could not store the new epoch {}; staying {}", nodeId, newEpoch, state, e);
            return;
        }
        becomePrimaryAt(cause);
    }

    private void becomePrimaryAt(String cause) {
        role = Role.PRIMARY;
        primaryClientAddress = clientAddress.get();
        commits.requirePeer(false, 0);
        commits.localDurable(store.durableOffset());
        acceptingWrites = true;
        transition(NodeState.BOOTSTRAP, cause + "; epoch " + store.epoch());
    }

    /** Stops taking writes at once: a node with a higher epoch exists. */
    private void stepDown(long higherEpoch, String cause) {
        Runnable unfence = fences.fenceAll();
        try {
            acceptingWrites = false;
            role = Role.BACKUP;
        } finally {
            unfence.run();
        }
        PrimarySession s = session;
        session = null;
        if (s != null) {
            s.close();
        }
        commits.failWaiters(new NotPrimaryException("this node stepped down: " + cause, null));
        try {
            // The higher epoch is the peer's: after a restart this node must not think it was the last primary.
            store.raiseEpoch(higherEpoch);
        } catch (IOException e) {
            log.error("{}: could not store epoch {}", nodeId, higherEpoch, e);
        }
        primaryClientAddress = null;
        transition(NodeState.COLD_START, "stepped down: " + cause);
    }

    private void transition(NodeState to, String cause) {
        NodeState from = state;
        if (to == NodeState.COLD_START) {
            coldStartSinceMillis = clock.millis();
        }
        state = to;
        log.info("{}: {} -> {} (role {}, epoch {}): {}", nodeId, from, to, role, store.epoch(), cause);
    }

    // ==== primary side: the backup's stream ========================================================

    StreamObserver<BackupMessage> newSession(ServerCallStreamObserver<PrimaryMessage> out) {
        return new PrimarySession(this, store, fences, settings, clock, out);
    }

    void onSubscribe(PrimarySession s, PeerInfo backup) {
        control.run(() -> {
            peerInfo = backup;
            if (closed || !isActingPrimary() || switchover != null) {
                Refusal.Builder r = Refusal.newBuilder().setReason(Refusal.Reason.NOT_PRIMARY)
                        .setDetail(nodeId + " is not primary (state " + state + ", role " + role + ")");
                s.refuse(r.build());
                return;
            }
            if (backup.getEpoch() > store.epoch()) {
                s.refuse(Refusal.newBuilder().setReason(Refusal.Reason.STALE_PRIMARY)
                        .setDetail("the subscriber's epoch " + backup.getEpoch() + " is above this primary's "
                                + store.epoch()).build());
                stepDown(backup.getEpoch(), "subscriber " + backup.getNodeId() + " has epoch " + backup.getEpoch());
                return;
            }
            long from = backup.getLastOffset();
            Refusal.Reason mismatch = epochs.historyMismatch(from, backup.getLastRecordEpoch(), pinnedSnapshot);
            if (mismatch != null) {
                String detail = mismatch == Refusal.Reason.DIVERGED
                        ? "the record at offset " + from + " (epoch " + backup.getLastRecordEpoch()
                        + ") is not in this primary's history (last offset " + store.lastOffset() + ")"
                        : "this primary's log no longer holds the records after offset " + from;
                log.info("{}: refusing subscription of {}: {}", nodeId, backup.getNodeId(), detail);
                s.refuse(Refusal.newBuilder().setReason(mismatch).setDetail(detail).setPrimary(selfInfo()).build());
                return;
            }
            PrimarySession old = session;
            if (old != null) {
                session = null;
                old.close();
            }
            session = s;
            commits.requirePeer(settings.requireBackup(), from);
            s.accept(backup, from, Welcome.newBuilder().setPrimary(selfInfo()).setStartAfter(from).build());
            String cause = "backup " + backup.getNodeId() + " subscribed at offset " + from + " (primary at "
                    + store.lastOffset() + "); catching up";
            if (state == NodeState.SYNC) {
                transition(NodeState.BOOTSTRAP, cause);
            } else {
                log.info("{}: {}", nodeId, cause);
            }
        });
    }

    /** Hot path: an ack from the attached backup. */
    void onSessionAck(PrimarySession s, long offset) {
        if (s == session) {
            commits.peerAcked(offset);
        }
    }

    void onDigestReply(PrimarySession s, DigestReply reply) {
        control.run(() -> {
            if (s != session || !isActingPrimary()) {
                return;
            }
            if (reply.getMatch()) {
                closePinnedSnapshot();
                commits.requirePeer(true, s.acked());
                transition(NodeState.SYNC, "backup " + s.backup().getNodeId() + " holds the same contents at offset "
                        + reply.getOffset() + " (" + reply.getEntries() + " entries)");
            } else {
                log.warn("{}: backup {} differs in {} buckets up to offset {} ({} entries there); it starts over "
                        + "from a snapshot", nodeId, s.backup().getNodeId(), reply.getDifferingBuckets(),
                        reply.getOffset(), reply.getEntries());
            }
        });
    }

    void onSessionEnded(PrimarySession s, String cause) {
        control.run(() -> {
            if (s != session) {
                return;
            }
            session = null;
            s.close();
            if (!isActingPrimary()) {
                return;
            }
            if (settings.requireBackup()) {
                commits.failWaiters(new NotPrimaryException(
                        "the backup is gone and replication.require-backup is set: " + cause, null));
            }
            commits.requirePeer(false, 0);
            if (state == NodeState.SYNC) {
                transition(NodeState.BOOTSTRAP, "backup lost: " + cause);
            } else {
                log.info("{}: backup detached: {}", nodeId, cause);
            }
        });
    }

    /** The sender fenced bucket (-1: the whole map) and read its digest at offset at; records and the check go out next. */
    void onDigestCut(int bucket, long at) {
        digestCutHook.accept(bucket, at);
    }

    long retainedFloor() {
        return epochs.retainedFloor();
    }

    /** Records per batch sent to the attached backup so far (0 without one). */
    double recordsPerBatch() {
        PrimarySession s = session;
        return s == null || s.batchesSent() == 0 ? 0 : (double) s.recordsSent() / s.batchesSent();
    }

    int snapshotsInstalled() {
        return snapshotsInstalled.get();
    }

    int snapshotsSent() {
        return snapshotsSent.get();
    }

    /** Test seam: called on the sender thread after each digest cut (bucket, offset), before the sends. */
    void setDigestCutHookForTests(java.util.function.ObjLongConsumer<Integer> hook) {
        this.digestCutHook = hook;
    }

    /** Test seam: the primary behaves as if its log held only the records above floor. */
    void setRetainedFloorForTests(LongSupplier floor) {
        epochs.setRetainedFloorForTests(floor);
    }

    // ==== primary side: probes, snapshots ===========================================================

    PeerInfo onProbe(PeerInfo caller) {
        CompletableFuture<PeerInfo> answer = new CompletableFuture<>();
        control.runFor(answer, () -> {
            peerInfo = caller;
            if (isActingPrimary() && caller.getEpoch() > store.epoch()) {
                stepDown(caller.getEpoch(), "probed by " + caller.getNodeId() + " with epoch " + caller.getEpoch()
                        + " above this node's " + store.epoch());
            }
            answer.complete(selfInfo());
        });
        try {
            return answer.get(settings.peerTimeout().toMillis(), TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            return selfInfo();
        }
    }

    void serveSnapshot(SnapshotRequest request, ServerCallStreamObserver<SnapshotChunk> out) {
        Object ready = new Object();
        out.setOnReadyHandler(() -> {
            synchronized (ready) {
                ready.notifyAll();
            }
        });
        out.setOnCancelHandler(() -> {
            synchronized (ready) {
                ready.notifyAll();
            }
        });
        String to = request.getCaller().getNodeId();
        transfers.execute(() -> {
            long started = System.nanoTime();
            try {
                SnapshotHandle h = store.snapshotForTransfer();
                control.run(() -> pin(h));
                RateLimiter rate = settings.snapshotRateBytesPerSec() > 0
                        ? RateLimiter.create(settings.snapshotRateBytesPerSec()) : null;
                int chunk = settings.snapshotChunkBytes();
                long sent = 0;
                try (InputStream in = h.openStream()) {
                    byte[] buf = new byte[chunk];
                    boolean first = true;
                    while (true) {
                        int n = in.readNBytes(buf, 0, chunk);
                        if (n == 0 && !first) {
                            break;
                        }
                        synchronized (ready) {
                            while (!out.isReady() && !out.isCancelled() && !closed) {
                                ready.wait(100);
                            }
                        }
                        if (out.isCancelled() || closed) {
                            log.info("{}: snapshot transfer to {} cancelled after {} bytes", nodeId, to, sent);
                            return;
                        }
                        if (rate != null && n > 0) {
                            rate.acquire(n);
                        }
                        SnapshotChunk.Builder c = SnapshotChunk.newBuilder().setData(ByteString.copyFrom(buf, 0, n));
                        if (first) {
                            c.setOffset(h.offset()).setEpoch(h.epoch()).setSizeBytes(h.sizeBytes());
                        }
                        out.onNext(c.build());
                        first = false;
                        sent += n;
                        if (n < chunk) {
                            break;
                        }
                    }
                }
                out.onCompleted();
                snapshotsSent.incrementAndGet();
                log.info("{}: sent a snapshot at offset {} ({} bytes) to {} in {} ms", nodeId, h.offset(), sent, to,
                        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                out.onError(io.grpc.Status.CANCELLED.withDescription("node closing").asRuntimeException());
            } catch (IOException | RuntimeException e) {
                log.warn("{}: snapshot transfer to {} failed", nodeId, to, e);
                try {
                    out.onError(io.grpc.Status.INTERNAL.withDescription("snapshot failed: " + e).asRuntimeException());
                } catch (RuntimeException ignored) {
                    // the call is already over
                }
            }
        });
    }

    private void pin(SnapshotHandle h) {
        closePinnedSnapshot();
        if (closed) {
            closeQuietly(h);
            return;
        }
        pinnedSnapshot = h;
        pinnedSinceMillis = clock.millis();
    }

    private void closePinnedSnapshot() {
        SnapshotHandle h = pinnedSnapshot;
        pinnedSnapshot = null;
        if (h != null) {
            closeQuietly(h);
        }
    }

    private static void closeQuietly(SnapshotHandle h) {
        try {
            h.close();
        } catch (IOException | RuntimeException e) {
            log.warn("closing a snapshot handle failed", e);
        }
    }

    EpochAtResponse epochsAt(List<Long> offsets) {
        return epochs.epochsAt(offsets);
    }

    // ==== backup side ===============================================================================

    private void joinAsBackup(PeerInfo primary, String cause) {
        role = Role.BACKUP;
        acceptingWrites = false;
        primaryClientAddress = primary.getClientAddress().isEmpty() ? null : primary.getClientAddress();
        transition(NodeState.WARM_START, cause);
        subscribe();
    }

    private void subscribe() {
        if (closed || role != Role.BACKUP || state != NodeState.WARM_START || link != null) {
            return;
        }
        BackupLink l = new BackupLink(this, store, atMostOnce, clock);
        link = l;
        ManagedChannel ch = peer.get();
        ch.resetConnectBackoff();
        l.start(ReplicationGrpc.newStub(ch).withWaitForReady(), selfInfo());
    }

    void onWelcome(BackupLink l, Welcome w) {
        control.run(() -> {
            if (l != link) {
                return;
            }
            failedAttempts = Math.max(0, failedAttempts - 1);
            PeerInfo p = w.getPrimary();
            peerInfo = p;
            primaryClientAddress = p.getClientAddress().isEmpty() ? null : p.getClientAddress();
            if (p.getEpoch() > store.epoch()) {
                try {
                    store.raiseEpoch(p.getEpoch());
                } catch (IOException e) {
                    log.error("{}: could not store the primary's epoch {}", nodeId, p.getEpoch(), e);
                }
            }
            log.info("{}: subscribed to {} (epoch {}); streaming from offset {}, primary at {}", nodeId,
                    p.getNodeId(), p.getEpoch(), w.getStartAfter() + 1, p.getLastOffset());
        });
    }

    void onRefusal(BackupLink l, Refusal r) {
        control.run(() -> {
            if (l != link) {
                return;
            }
            link = null;
            l.cancel("refused");
            log.info("{}: the primary refused the subscription ({}): {}", nodeId, r.getReason(), r.getDetail());
            switch (r.getReason()) {
                case DIVERGED -> {
                    if (++failedAttempts > 3) {
                        transfers.execute(this::fetchSnapshot);
                    } else {
                        PeerInfo p = r.getPrimary();
                        transfers.execute(() -> resolveDivergence(p));
                    }
                }
                case SNAPSHOT_NEEDED -> transfers.execute(this::fetchSnapshot);
                default -> transition(NodeState.COLD_START, "the peer refused: " + r.getReason() + ": " + r.getDetail());
            }
        });
    }

    void onLinkEnded(BackupLink l, String cause) {
        control.run(() -> {
            if (l != link) {
                return;
            }
            link = null;
            if (role == Role.BACKUP && (state == NodeState.WARM_START || state == NodeState.SYNC)) {
                transition(NodeState.COLD_START, "stream to the primary ended: " + cause);
            }
        });
    }

    void onDigestCompared(BackupLink l, long offset, boolean match, int differing, long entries) {
        control.run(() -> {
            if (l != link) {
                return;
            }
            if (match) {
                failedAttempts = 0;
                transition(NodeState.SYNC, "contents equal the primary's, bucket by bucket, up to offset "
                        + offset + " (" + entries + " entries)");
            } else {
                failedAttempts++;
                log.error("{}: contents differ from the primary's up to offset {}: {} buckets differ ({} entries "
                        + "here); starting over from a snapshot", nodeId, offset, differing, entries);
                link = null;
                l.cancel("digest mismatch");
                transfers.execute(this::fetchSnapshot);
            }
        });
    }

    void onHandover(BackupLink l, Handover h) {
        if (l.lastApplied() < h.getLastOffset()) {
            log.warn("{}: handover at offset {} but only {} applied; ignoring it", nodeId, h.getLastOffset(),
                    l.lastApplied());
            return;
        }
        store.whenDurable(h.getLastOffset()).whenCompleteAsync((v, t) -> {
            if (t != null || l != link || closed) {
                return;
            }
            long newEpoch = epochs.nextEpoch(Math.max(store.epoch(), h.getEpoch()));
            try {
                store.raiseEpoch(newEpoch);
            } catch (IOException e) {
                log.error("{}: could not store epoch {}; handover refused", nodeId, newEpoch, e);
                return;
            }
            link = null;
            // Take writes before the old primary hears HandoverDone and sends its clients here.
            becomePrimaryAt("switchover: " + (peerInfo == null ? "the primary" : peerInfo.getNodeId())
                    + " handed over at offset " + h.getLastOffset());
            l.sendHandoverDone(newEpoch);
            l.finish();
        }, control::run);
    }

    /** Finds the last offset where this node's history and the primary's agree, drops the rest, subscribes again. */
    private void resolveDivergence(PeerInfo primary) {
        try {
            var stub = ReplicationGrpc.newBlockingStub(peer.get());
            long lo = 0;
            long hi = Math.min(store.lastOffset(), primary.getLastOffset());
            if (agrees(stub, List.of(hi)) == 1) {
                lo = hi;
            }
            while (hi - lo > 1) {
                List<Long> probes = new ArrayList<>();
                for (int i = 1; i <= 16; i++) {
                    long o = lo + (hi - lo) * i / 17;
                    if (o > lo && o < hi && (probes.isEmpty() || probes.get(probes.size() - 1) < o)) {
                        probes.add(o);
                    }
                }
                if (probes.isEmpty()) {
                    break;
                }
                int agreeing = agrees(stub, probes);
                if (agreeing > 0) {
                    lo = probes.get(agreeing - 1);
                }
                if (agreeing < probes.size()) {
                    hi = probes.get(agreeing);
                }
            }
            long dropped = store.truncateAfter(lo);
            log.info("{}: discarded {} records of a divergent history after offset {} (the primary {} has epoch {})",
                    nodeId, dropped, lo, primary.getNodeId(), primary.getEpoch());
            atMostOnce.clear();
            atMostOnce.replayLogTail(store, nodeId);
            control.run(this::subscribe);
        } catch (TailNotRetainedException e) {
            log.info("{}: the divergence point is before the retained logs ({}); fetching a snapshot", nodeId,
                    e.getMessage());
            fetchSnapshot();
        } catch (IOException | RuntimeException e) {
            log.warn("{}: could not resolve the divergence: {}", nodeId, e.toString());
            control.run(() -> {
                if (link == null && state == NodeState.WARM_START) {
                    transition(NodeState.COLD_START, "divergence search failed: " + e);
                }
            });
        }
    }

    /** How many of the offsets (ascending), from the first, have the same record epoch here and on the primary. */
    private int agrees(ReplicationGrpc.ReplicationBlockingStub stub, List<Long> offsets)
            throws TailNotRetainedException, IOException {
        EpochAtResponse r = stub.withDeadlineAfter(settings.peerTimeout().toMillis(), TimeUnit.MILLISECONDS)
                .epochAt(EpochAtRequest.newBuilder().addAllOffsets(offsets).build());
        int n = 0;
        for (int i = 0; i < offsets.size(); i++) {
            long o = offsets.get(i);
            if (!r.getKnown(i)) {
                if (o == 0) {
                    n++;
                    continue;
                }
                throw new TailNotRetainedException(o, o);
            }
            long mine;
            try {
                mine = epochs.epochAt(o);
            } catch (RuntimeException e) {
                // The store cannot tell (for instance before its retained log): catch up by snapshot.
                throw new TailNotRetainedException(o, o);
            }
            if (mine != r.getEpochs(i)) {
                break;
            }
            n++;
        }
        return n;
    }

    /** Replaces this node's contents with the primary's snapshot, then subscribes for the tail. */
    private void fetchSnapshot() {
        installing = true;
        long started = System.nanoTime();
        try {
            Iterator<SnapshotChunk> chunks = ReplicationGrpc.newBlockingStub(peer.get())
                    .fetchSnapshot(SnapshotRequest.newBuilder().setCaller(selfInfo()).build());
            if (!chunks.hasNext()) {
                throw new IOException("the primary sent an empty snapshot");
            }
            SnapshotChunk first = chunks.next();
            log.info("{}: installing a snapshot at offset {} (epoch {}, {} bytes) from the primary", nodeId,
                    first.getOffset(), first.getEpoch(), first.getSizeBytes());
            SnapshotChunkStream in = new SnapshotChunkStream(first, chunks);
            store.installSnapshot(in);
            epochs.installed(first.getOffset(), first.getEpoch());
            snapshotsInstalled.incrementAndGet();
            atMostOnce.clear();
            log.info("{}: installed the snapshot at offset {} ({} bytes) in {} ms", nodeId, first.getOffset(),
                    in.received(), TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
            installing = false;
            control.run(this::subscribe);
        } catch (IOException | RuntimeException e) {
            log.warn("{}: snapshot catch-up failed: {}", nodeId, e.toString());
            control.run(() -> {
                if (link == null && state == NodeState.WARM_START) {
                    transition(NodeState.COLD_START, "snapshot catch-up failed: " + e);
                }
            });
        } finally {
            installing = false;
        }
    }

    private void dropLink(String why) {
        BackupLink l = link;
        link = null;
        if (l != null) {
            l.cancel(why);
        }
    }

    // ==== shutdown and switchover ===================================================================

    private void beginShutdown(boolean skipSwitchover, CompletableFuture<Boolean> result) {
        if (state == NodeState.SHUTTING_DOWN) {
            CompletableFuture<String> sw = switchover;
            if (sw == null) {
                result.complete(false);
            } else {
                sw.whenComplete((addr, t) -> result.complete(addr != null));
            }
            return;
        }
        PrimarySession s = session;
        boolean handover = !skipSwitchover && isActingPrimary() && state == NodeState.SYNC && s != null;
        CompletableFuture<String> sw = new CompletableFuture<>();
        Runnable unfence = fences.fenceAll();
        long last;
        try {
            acceptingWrites = false;
            switchover = sw;
            last = store.lastOffset();
        } finally {
            unfence.run();
        }
        transition(NodeState.SHUTTING_DOWN, handover ? "switchover to " + s.backup().getNodeId() + " requested"
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
                        log.warn("{}: switchover to {} failed ({}); stopping without it", nodeId,
                                s.backup().getNodeId(), t instanceof TimeoutException ? "timed out" : t.toString());
                        finishShutdown(sw, null);
                        result.complete(false);
                        return;
                    }
                    try {
                        store.raiseEpoch(newEpoch);
                    } catch (IOException e) {
                        log.error("{}: could not store the new primary's epoch {}", nodeId, newEpoch, e);
                    }
                    String addr = s.backup().getClientAddress();
                    role = Role.BACKUP;
                    primaryClientAddress = addr;
                    log.info("{}: handed the primary role to {} at offset {} (its epoch {})", nodeId,
                            s.backup().getNodeId(), last, newEpoch);
                    finishShutdown(sw, addr);
                    result.complete(true);
                }, control::run);
    }

    private void finishShutdown(CompletableFuture<String> sw, String newPrimary) {
        PrimarySession s = session;
        session = null;
        if (s != null) {
            s.close();
        }
        BackupLink l = link;
        link = null;
        if (l != null) {
            l.finish();
        }
        commits.failWaiters(new NotPrimaryException("this node is shutting down", newPrimary));
        sw.complete(newPrimary);
    }

    private static NotPrimaryException handedOver(String addr) {
        return addr == null ? new NotPrimaryException("this node is shutting down", null)
                : new NotPrimaryException("this node handed the primary role to " + addr, addr);
    }

    // ==== shared ==================================================================================

    private NotPrimaryException notPrimary() {
        String why = role == Role.BACKUP ? "this node is the backup" : "this node is in state " + state;
        return new NotPrimaryException(why + "; writes go to the primary", knownPrimary());
    }

    private boolean isActingPrimary() {
        NodeState s = state;
        return role == Role.PRIMARY && (s == NodeState.BOOTSTRAP || s == NodeState.SYNC);
    }

    private static boolean isActing(PeerInfo p) {
        return p.getRole() == dev.pbkv.proto.Role.PRIMARY
                && (p.getState() == dev.pbkv.proto.NodeState.BOOTSTRAP || p.getState() == dev.pbkv.proto.NodeState.SYNC);
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
                .setBuckets(store.map().bucketCount())
                .build();
    }

    private static dev.pbkv.proto.Role toProto(Role r) {
        return r == Role.PRIMARY ? dev.pbkv.proto.Role.PRIMARY : dev.pbkv.proto.Role.BACKUP;
    }

    @Override
    public String toString() {
        return "PairReplicator[" + nodeId + ", " + role + ", " + state + ", epoch " + store.epoch() + "]";
    }
}
