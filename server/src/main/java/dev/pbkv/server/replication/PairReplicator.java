package dev.pbkv.server.replication;

import dev.pbkv.proto.replication.BackupMessage;
import dev.pbkv.proto.replication.EpochAtResponse;
import dev.pbkv.proto.replication.PeerInfo;
import dev.pbkv.proto.replication.PrimaryMessage;
import dev.pbkv.proto.replication.SnapshotChunk;
import dev.pbkv.proto.replication.SnapshotRequest;
import dev.pbkv.server.auth.ClusterSecret;
import dev.pbkv.server.coordinator.CoordinatorStatus;
import dev.pbkv.server.coordinator.PairCoordinator;
import dev.pbkv.server.role.NodeState;
import dev.pbkv.server.role.Role;
import dev.pbkv.store.DurableListener;
import dev.pbkv.store.Mutation;
import dev.pbkv.store.Op;
import dev.pbkv.store.Store;
import dev.pbkv.store.WriteResult;
import io.grpc.BindableService;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.netty.handler.ssl.SslContext;
import java.io.IOException;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Lock;
import java.util.function.LongSupplier;
import java.util.function.ObjLongConsumer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The replicator of a node in a pair: the façade over the five-state machine (see
 * docs/state-machine.md) and the primary's write path with its commit rule (docs/replication.md).
 * The responsibilities live in their own classes, wired here:
 *
 * <ul>
 *   <li>{@link PairState}: role, state, whether this node takes writes; {@link RoleControl}
 *       decides and carries out role changes; {@link Epochs}: epochs and history ranking;</li>
 *   <li>{@link WriteFences}: the write gate that digests and step-down fence;</li>
 *   <li>{@link AttachedBackup} (primary: the backup's subscription and {@link PrimarySession});
 *       {@link SnapshotSource} (primary: snapshots for the backup);
 *       {@link BackupCatchUp} (backup: {@link BackupLink}, divergence, snapshot install);</li>
 *   <li>{@link Switchover}: switchover on shutdown, promotion by request.</li>
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
    private final CommitTracker commits = new CommitTracker();
    private final AtMostOnceTable atMostOnce;
    private final BindableService service;
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
    private final RoleControl roles;
    private final Switchover switchover;
    /** The coordinator's role decisions, or null when coordinator.connect is off. */
    private final CoordinatedRoles coordinated;
    /** RoleControl's role changes as the coordinator's decisions call them. */
    private final CoordinatedRoles.RoleChanges roleChanges;

    /**
     * @param store          the node's open store (recovered); this replicator becomes its only writer
     * @param nodeId         this node's name ("primary" or "backup" in settings.conf)
     * @param configuredRole the role given at start (-p or -b)
     * @param peerAddress    the peer's gRPC address, host:port (replication is served on the gRPC port)
     * @param clientAddress  this node's client-facing gRPC address, host:port, which clients are sent to
     * @param settings       replication settings
     * @param clock          time source for heartbeats and timeouts
     */
    public PairReplicator(
            Store store,
            String nodeId,
            Role configuredRole,
            String peerAddress,
            String clientAddress,
            PairSettings settings,
            Clock clock) {
        this(store, nodeId, configuredRole, peerAddress, () -> clientAddress, settings, clock, PairCoordinator.OFF);
    }

    /**
     * As above, with this node's client address read when first needed (after the doors bound their
     * ports), and roles decided by coordinator unless it is {@link PairCoordinator#OFF}.
     */
    public PairReplicator(
            Store store,
            String nodeId,
            Role configuredRole,
            String peerAddress,
            Supplier<String> clientAddress,
            PairSettings settings,
            Clock clock,
            PairCoordinator coordinator) {
        this(
                store,
                nodeId,
                configuredRole,
                peerAddress,
                clientAddress,
                settings,
                clock,
                coordinator,
                null,
                null,
                false);
    }

    /**
     * As above; with clusterSecret (null: none), every call to the peer proves it and the
     * replication service refuses calls that do not (docs/security.md, "Between the nodes"). peerTls
     * (null: plaintext) is the TLS of the channel to the peer; with requirePeerCertificate the
     * replication service refuses calls without a client certificate (tls.mutual-peers).
     */
    public PairReplicator(
            Store store,
            String nodeId,
            Role configuredRole,
            String peerAddress,
            Supplier<String> clientAddress,
            PairSettings settings,
            Clock clock,
            PairCoordinator coordinator,
            ClusterSecret clusterSecret,
            SslContext peerTls,
            boolean requirePeerCertificate) {
        this.store = store;
        this.settings = settings;
        this.atMostOnce = new AtMostOnceTable(settings.dedupMaxClients(), settings.dedupPerClient());
        this.epochs = new Epochs(store, configuredRole, nodeId);
        this.node = new PairState(
                store, nodeId, configuredRole, peerAddress, clientAddress, epochs, clock, coordinator.enabled());
        this.fences = new WriteFences(store.bucketCount());
        this.control = new ControlThread(nodeId);
        this.transfers = Executors.newCachedThreadPool(ControlThread.named("pbkv-repl-transfer-" + nodeId));
        PeerProof proof = new PeerProof(clusterSecret, requirePeerCertificate, nodeId);
        this.service = proof.guard(new ReplicationService(this));
        this.peer = new PeerChannel(peerAddress, proof.client(), peerTls);
        this.snapshots = new SnapshotSource(store, settings, clock, node, control, transfers);
        // stepDown and onHandover reach roles and switchover, made below; they run only after construction.
        this.attached = new AttachedBackup(
                store,
                settings,
                clock,
                node,
                epochs,
                commits,
                fences,
                snapshots,
                control,
                this::stepDown,
                this::committedOffset,
                this::backupInSync);
        this.catchUp = new BackupCatchUp(
                store, settings, clock, node, epochs, atMostOnce, peer, control, transfers, this::onHandover);
        this.coordinated = !coordinator.enabled()
                ? null
                : new CoordinatedRoles(
                        coordinator,
                        store,
                        settings,
                        clock,
                        node,
                        commits,
                        attached,
                        catchUp,
                        control,
                        this::roleChanges);
        this.roles = new RoleControl(
                store,
                settings,
                clock,
                node,
                epochs,
                commits,
                fences,
                attached,
                catchUp,
                snapshots,
                atMostOnce,
                peer,
                control,
                coordinated);
        this.roleChanges = new CoordinatedRoles.RoleChanges() {
            @Override
            public void becomePrimaryAt(String cause) {
                roles.becomePrimaryAt(cause);
            }

            @Override
            public void stepDown(long higherEpoch, String cause) {
                roles.stepDown(higherEpoch, cause);
            }

            @Override
            public void joinAsBackup(String cause) {
                roles.joinAsBackup(cause);
            }

            @Override
            public void probePeer(RoleControl.ProbeCallback callback) {
                roles.probePeer(callback);
            }
        };
        this.switchover = new Switchover(
                store, settings, node, epochs, commits, fences, roles, attached, catchUp, control, coordinated);
        store.setAppendListener(rec -> {
            PrimarySession s = attached.session();
            if (s != null) {
                s.offer(rec);
            }
        });
        store.setDurableListener(new DurableListener() {
            @Override
            public void durableThrough(long offset) {
                // A backup's durable log is not a primary's commit: its tail may still be cut. The
                // next term starts from the store's own offset (RoleControl: commits.startTerm).
                if (node.role == Role.PRIMARY) {
                    commits.localDurable(offset);
                }
            }

            @Override
            public void failed(long durableOffset, IOException error) {
                log.error(
                        "{}: the log failed; it is durable up to offset {} and no further",
                        node.nodeId,
                        durableOffset,
                        error);
                commits.failAbove(durableOffset, error);
            }
        });
    }

    /** The coordinator names the attached backup in in_sync (never without a coordinator). */
    private boolean backupInSync() {
        return coordinated != null && coordinated.backupInSync();
    }

    private CoordinatedRoles.RoleChanges roleChanges() {
        return roleChanges;
    }

    private void stepDown(long higherEpoch, String cause) {
        roles.stepDown(higherEpoch, cause);
    }

    private void onHandover(BackupLink link, dev.pbkv.proto.replication.Handover handover) {
        switchover.onHandover(link, handover);
    }

    /** The node-to-node gRPC service to register on the node's gRPC server. */
    public BindableService service() {
        return service;
    }

    @Override
    public void start() {
        roles.start();
        if (settings.preferConfiguredPrimary()) {
            control.every(settings.heartbeat().toMillis(), () -> {
                try {
                    switchover.handBackIfPreferred();
                } catch (RuntimeException e) {
                    log.error("{}: hand-back check failed", node.nodeId, e);
                }
            });
        }
    }

    // ---- the write path ---------------------------------------------------------------------

    /** Any thread, the doors' event loops included: never blocks on I/O (see WriteFences). */
    @Override
    public CompletableFuture<WriteResult> write(Mutation m) {
        CompletableFuture<String> sw = node.switchover;
        if (sw != null) {
            return sw.thenCompose(addr -> afterSwitchover(sw, addr, m));
        }
        if (!node.acceptingWrites) {
            return CompletableFuture.failedFuture(node.notPrimary());
        }
        if (coordinated != null && !coordinated.mayServe()) {
            return CompletableFuture.failedFuture(new NotPrimaryException(
                    "this primary cannot confirm its role with the coordinator (" + coordinated.connection()
                            + "): refused, not applied",
                    null));
        }
        PrimarySession s = attached.session();
        if (settings.requireBackup() && s == null) {
            return CompletableFuture.failedFuture(
                    new NotPrimaryException("the backup is not connected and replication.require-backup is set", null));
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
            return earlier.thenCompose(r -> commits.await(r.answerOffset()).thenApply(v -> r));
        }
        return applyAndCommit(m, claim);
    }

    private CompletableFuture<WriteResult> applyAndCommit(Mutation m, CompletableFuture<WriteResult> claim) {
        Lock gate = m.op() == Op.BATCH
                ? fences.enterBuckets(m.batch().stream().mapToInt(op -> store.bucketOf(op.key())))
                : fences.enter(m.key() == null ? 0 : store.bucketOf(m.key()));
        try {
            if (!node.acceptingWrites) {
                release(m, claim);
                CompletableFuture<String> sw = node.switchover;
                return sw != null
                        ? sw.thenCompose(addr -> afterSwitchover(sw, addr, m))
                        : CompletableFuture.failedFuture(node.notPrimary());
            }
            WriteResult wr;
            try {
                wr = store.apply(m);
            } catch (RuntimeException e) {
                release(m, claim);
                return CompletableFuture.failedFuture(e);
            }
            if (claim != null) {
                claim.complete(AtMostOnceTable.slim(wr));
            }
            // Committed through the write's offset means durable here too (the tracker follows the
            // log), so this one wait covers both; a write that changed nothing waits for the entry it saw.
            PendingWrite pending = new PendingWrite(wr, store.epoch());
            commits.await(pending);
            return pending;
        } finally {
            gate.unlock();
        }
    }

    /**
     * A write applied and waiting for commit: the future the caller gets is also the tracker's
     * waiter, so the write path holds one object, not a chain of stages.
     */
    private final class PendingWrite extends CompletableFuture<WriteResult> implements CommitTracker.Waiter {
        private final WriteResult result;
        private final long epochAtApply;

        PendingWrite(WriteResult result, long epochAtApply) {
            this.result = result;
            this.epochAtApply = epochAtApply;
        }

        @Override
        public long commitOffset() {
            return result.answerOffset();
        }

        @Override
        public void committed() {
            if (!result.changed()) {
                complete(result);
                return;
            }
            try {
                complete(confirmed(result, epochAtApply));
            } catch (OutcomeUnknownException e) {
                completeExceptionally(e);
            }
        }

        @Override
        public void failed(Throwable cause) {
            completeExceptionally(cause);
        }
    }

    /**
     * The last check before a write is acknowledged: this node is still the primary of the epoch it
     * applied the write in and, with a coordinator, still confirmed by it (or by its in-sync backup).
     */
    /**
     * A write that waited for a switchover: refused with the new primary's address, or, when a
     * hand-back to the configured primary was given up (no new primary, the switchover cleared), tried again.
     */
    private CompletableFuture<WriteResult> afterSwitchover(CompletableFuture<String> sw, String addr, Mutation m) {
        if (addr == null && node.switchover != sw && node.state != NodeState.SHUTTING_DOWN) {
            return write(m);
        }
        return CompletableFuture.failedFuture(PairState.handedOver(addr));
    }

    private WriteResult confirmed(WriteResult wr, long epochAtApply) {
        if (node.role != Role.PRIMARY
                || store.epoch() != epochAtApply
                || (coordinated != null && !coordinated.mayServe())) {
            throw new OutcomeUnknownException(
                    "outcome unknown: the write was applied and committed here, but this node could not confirm"
                            + " it is still the primary of epoch " + epochAtApply + " when answering",
                    node.knownPrimary());
        }
        return wr;
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
            // Not during a hand-back: the configured primary may already take writes.
            return node.switchover == null && (coordinated == null || coordinated.mayServe());
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
    public void onStateChange(Runnable listener) {
        node.stateListener = listener;
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
    public CompletableFuture<Long> promote(boolean force) {
        return switchover.promote(force);
    }

    @Override
    public CoordinatorStatus coordinatorStatus() {
        return coordinated == null
                ? CoordinatorStatus.OFF
                : CoordinatorStatus.of(coordinated.connection(), coordinated.describe(), coordinated.lastView());
    }

    @Override
    public CompletableFuture<Boolean> shutdown(boolean skipSwitchover) {
        return switchover.shutdown(skipSwitchover);
    }

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
        if (coordinated != null) {
            coordinated.close();
        }
        control.shutdown();
        transfers.shutdownNow();
        peer.close();
        snapshots.release();
        store.setAppendListener(rec -> {});
    }

    // ---- the node-to-node service (ReplicationService) --------------------------------------------

    PeerInfo onProbe(PeerInfo caller) {
        return roles.answerProbe(caller);
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
