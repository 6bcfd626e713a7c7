package dev.pbkv.server.replication;

import dev.pbkv.proto.replication.DigestReply;
import dev.pbkv.proto.replication.PeerInfo;
import dev.pbkv.proto.replication.PrimaryMessage;
import dev.pbkv.proto.replication.Refusal;
import dev.pbkv.proto.replication.Welcome;
import dev.pbkv.server.role.NodeState;
import dev.pbkv.store.Store;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.time.Clock;
import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;
import java.util.function.ObjLongConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The primary's side of the pair: accepts or refuses a backup's subscription (history check,
 * epochs), keeps the one attached {@link PrimarySession}, moves BOOTSTRAP to SYNC when the
 * backup's digests match and back when it is lost, and switches the commit rule accordingly.
 *
 * <p>Threads: the {@link PrimarySide} callbacks arrive on gRPC and sender threads; every decision
 * runs on the control thread. {@link #session()} is volatile and read by the write path.
 */
final class AttachedBackup implements PrimarySide {
    private static final Logger log = LoggerFactory.getLogger(AttachedBackup.class);

    /** What to do on learning of a higher epoch (RoleControl's step-down); control thread. */
    @FunctionalInterface
    interface HigherEpoch {
        void stepDown(long epoch, String cause);
    }

    private final Store store;
    private final PairSettings settings;
    private final Clock clock;
    private final PairState node;
    private final Epochs epochs;
    private final CommitTracker commits;
    private final WriteFences fences;
    private final SnapshotSource snapshots;
    private final ControlThread control;
    private final HigherEpoch higherEpoch;
    private final LongSupplier committedOffset;
    /** True while the coordinator's in_sync names the attached backup (always false without a coordinator). */
    private final BooleanSupplier backupInSync;
    /** The attached backup's stream, or null; written on the control thread only. */
    private volatile PrimarySession session;
    /** Test seam: runs on the sender thread after each digest cut. */
    private volatile ObjLongConsumer<Integer> digestCutHook = (bucket, at) -> {};

    AttachedBackup(
            Store store,
            PairSettings settings,
            Clock clock,
            PairState node,
            Epochs epochs,
            CommitTracker commits,
            WriteFences fences,
            SnapshotSource snapshots,
            ControlThread control,
            HigherEpoch higherEpoch,
            LongSupplier committedOffset,
            BooleanSupplier backupInSync) {
        this.store = store;
        this.settings = settings;
        this.clock = clock;
        this.node = node;
        this.epochs = epochs;
        this.commits = commits;
        this.fences = fences;
        this.snapshots = snapshots;
        this.control = control;
        this.higherEpoch = higherEpoch;
        this.committedOffset = committedOffset;
        this.backupInSync = backupInSync;
    }

    /** A new Replicate call from a backup (gRPC thread). */
    StreamObserver<dev.pbkv.proto.replication.BackupMessage> newSession(ServerCallStreamObserver<PrimaryMessage> out) {
        return new PrimarySession(this, store, fences, settings, clock, out);
    }

    /** The attached backup's session, or null. */
    PrimarySession session() {
        return session;
    }

    @Override
    public void onSubscribe(PrimarySession s, PeerInfo backup) {
        control.run(() -> {
            node.peerInfo = backup;
            if (node.closed || !node.isActingPrimary() || node.switchover != null) {
                Refusal.Builder r = Refusal.newBuilder()
                        .setReason(Refusal.Reason.NOT_PRIMARY)
                        .setDetail(node.nodeId + " is not primary (state " + node.state + ", role " + node.role + ")");
                s.refuse(r.build());
                return;
            }
            if (backup.getEpoch() > store.epoch()) {
                s.refuse(Refusal.newBuilder()
                        .setReason(Refusal.Reason.STALE_PRIMARY)
                        .setDetail("the subscriber's epoch " + backup.getEpoch() + " is above this primary's "
                                + store.epoch())
                        .build());
                higherEpoch.stepDown(
                        backup.getEpoch(), "subscriber " + backup.getNodeId() + " has epoch " + backup.getEpoch());
                return;
            }
            long from = backup.getLastOffset();
            Refusal.Reason mismatch = epochs.historyMismatch(from, backup.getLastRecordEpoch(), snapshots.pinned());
            if (mismatch != null) {
                String detail = mismatch == Refusal.Reason.DIVERGED
                        ? "the record at offset " + from + " (epoch " + backup.getLastRecordEpoch()
                                + ") is not in this primary's history (last offset " + store.lastOffset() + ")"
                        : "this primary's log no longer holds the records after offset " + from;
                log.info("{}: refusing subscription of {}: {}", node.nodeId, backup.getNodeId(), detail);
                s.refuse(Refusal.newBuilder()
                        .setReason(mismatch)
                        .setDetail(detail)
                        .setPrimary(node.selfInfo())
                        .build());
                return;
            }
            PrimarySession old = session;
            if (old != null) {
                session = null;
                old.close();
            }
            session = s;
            // A backup the coordinator counts as in sync is waited for even while it catches up again.
            commits.requirePeer(settings.requireBackup() || backupInSync.getAsBoolean(), from);
            s.accept(
                    backup,
                    from,
                    Welcome.newBuilder()
                            .setPrimary(node.selfInfo())
                            .setStartAfter(from)
                            .build());
            String cause = "backup " + backup.getNodeId() + " subscribed at offset " + from + " (primary at "
                    + store.lastOffset() + "); catching up";
            if (node.state == NodeState.SYNC) {
                node.transition(NodeState.BOOTSTRAP, cause);
            } else {
                log.info("{}: {}", node.nodeId, cause);
            }
        });
    }

    /** Hot path: an ack from the attached backup. */
    @Override
    public void onAck(PrimarySession s, long offset) {
        if (s == session) {
            commits.peerAcked(offset);
        }
    }

    @Override
    public void onDigestReply(PrimarySession s, DigestReply reply) {
        control.run(() -> {
            if (s != session || !node.isActingPrimary()) {
                return;
            }
            if (reply.getMatch()) {
                snapshots.release();
                commits.requirePeer(true, s.acked());
                node.transition(
                        NodeState.SYNC,
                        "backup " + s.backup().getNodeId() + " holds the same contents at " + "offset "
                                + reply.getOffset() + " (" + reply.getEntries() + " entries)");
            } else {
                log.warn(
                        "{}: backup {} differs in {} buckets up to offset {} ({} entries there); it starts over "
                                + "from a snapshot",
                        node.nodeId,
                        s.backup().getNodeId(),
                        reply.getDifferingBuckets(),
                        reply.getOffset(),
                        reply.getEntries());
            }
        });
    }

    @Override
    public void onEnded(PrimarySession s, String cause) {
        control.run(() -> {
            if (s != session) {
                return;
            }
            session = null;
            s.close();
            if (!node.isActingPrimary()) {
                return;
            }
            if (backupInSync.getAsBoolean()) {
                // In in_sync: writes wait, neither acknowledged nor failed, until the coordinator drops it.
                log.info(
                        "{}: backup lost ({}); writes wait until the coordinator drops it from in_sync",
                        node.nodeId,
                        cause);
            } else if (settings.requireBackup() && !node.coordinated) {
                // Without a coordinator nothing tells whether the backup will be promoted with these writes:
                // their outcome is unknown, and the committed offset stays at what it acknowledged, so no
                // reader sees them until a backup acknowledges them.
                commits.failWaiters(new OutcomeUnknownException(
                        "outcome unknown: the backup was lost before acknowledging this write, which is applied"
                                + " here (replication.require-backup is set): " + cause,
                        null));
            } else {
                commits.requirePeer(false, 0);
            }
            if (node.state == NodeState.SYNC) {
                node.transition(NodeState.BOOTSTRAP, "backup lost: " + cause);
            } else {
                log.info("{}: backup detached: {}", node.nodeId, cause);
            }
        });
    }

    @Override
    public void onDigestCut(int bucket, long at) {
        digestCutHook.accept(bucket, at);
    }

    @Override
    public long committedOffset() {
        return committedOffset.getAsLong();
    }

    @Override
    public long retainedFloor() {
        return epochs.retainedFloor();
    }

    @Override
    public PeerInfo selfInfo() {
        return node.selfInfo();
    }

    /** Control thread: ends a session that went silent or stalled, else lets it heartbeat. */
    void tick(long nowMillis) {
        PrimarySession s = session;
        long timeout = settings.peerTimeout().toMillis();
        if (s != null && nowMillis - s.lastHeardMillis() > timeout) {
            onEnded(s, "no message from the backup for " + (nowMillis - s.lastHeardMillis()) + " ms");
        } else if (s != null && node.state == NodeState.SYNC && s.stalledMillis(nowMillis) > timeout) {
            onEnded(s, "the backup acknowledged nothing for " + s.stalledMillis(nowMillis) + " ms");
        } else if (s != null) {
            s.maybeHeartbeat();
        }
    }

    /** Control thread: closes the attached session, if any (step-down, shutdown); returns it. */
    PrimarySession detach() {
        PrimarySession s = session;
        session = null;
        if (s != null) {
            s.close();
        }
        return s;
    }

    /** Records per batch sent to the attached backup so far (0 without one). */
    double recordsPerBatch() {
        PrimarySession s = session;
        return s == null || s.batchesSent() == 0 ? 0 : (double) s.recordsSent() / s.batchesSent();
    }

    void setDigestCutHookForTests(ObjLongConsumer<Integer> hook) {
        this.digestCutHook = hook;
    }
}
