package dev.pbkv.server.replication;

import dev.pbkv.proto.replication.EpochAtRequest;
import dev.pbkv.proto.replication.EpochAtResponse;
import dev.pbkv.proto.replication.Handover;
import dev.pbkv.proto.replication.PeerInfo;
import dev.pbkv.proto.replication.Refusal;
import dev.pbkv.proto.replication.ReplicationGrpc;
import dev.pbkv.proto.replication.SnapshotChunk;
import dev.pbkv.proto.replication.SnapshotRequest;
import dev.pbkv.proto.replication.Welcome;
import dev.pbkv.server.role.NodeState;
import dev.pbkv.server.role.Role;
import dev.pbkv.store.Store;
import dev.pbkv.store.TailNotRetainedException;
import io.grpc.ManagedChannel;
import java.io.IOException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The backup's catch-up (WARM_START to SYNC): subscribes to the primary through one
 * {@link BackupLink}; on a refusal finds the divergence point and drops the divergent tail, or
 * installs a streamed snapshot; resubscribes; enters SYNC when the digest round matched.
 *
 * <p>Threads: the {@link BackupSide} callbacks arrive on the stream's gRPC thread and hand their
 * decisions to the control thread; the divergence search and the snapshot install run on a
 * transfer thread (they block on the network and the disk) and come back to the control thread
 * to resubscribe. {@link #link()} and {@link #installing()} are volatile; the link is written on
 * the control thread only.
 */
final class BackupCatchUp implements BackupSide {
    private static final Logger log = LoggerFactory.getLogger(BackupCatchUp.class);

    /** Who takes a handover from the primary (the switchover); control thread. */
    @FunctionalInterface
    interface HandoverTaker {
        void onHandover(BackupLink link, Handover handover);
    }

    private final Store store;
    private final PairSettings settings;
    private final Clock clock;
    private final PairState node;
    private final Epochs epochs;
    private final AtMostOnceTable atMostOnce;
    private final PeerChannel peer;
    private final ControlThread control;
    private final ExecutorService transfers;
    private final HandoverTaker handoverTaker;
    /** The stream to the primary, or null; written on the control thread only. */
    private volatile BackupLink link;
    /** A snapshot is being installed; the map is incomplete and serves no reads. */
    private volatile boolean installing;
    /** Consecutive DIVERGED refusals or digest mismatches; beyond a few the backup fetches a snapshot. Control thread. */
    private int failedAttempts;
    /** Snapshots installed here (Status and tests: one snapshot per catch-up, never a loop). */
    private final AtomicInteger snapshotsInstalled = new AtomicInteger();

    BackupCatchUp(
            Store store,
            PairSettings settings,
            Clock clock,
            PairState node,
            Epochs epochs,
            AtMostOnceTable atMostOnce,
            PeerChannel peer,
            ControlThread control,
            ExecutorService transfers,
            HandoverTaker handoverTaker) {
        this.store = store;
        this.settings = settings;
        this.clock = clock;
        this.node = node;
        this.epochs = epochs;
        this.atMostOnce = atMostOnce;
        this.peer = peer;
        this.control = control;
        this.transfers = transfers;
        this.handoverTaker = handoverTaker;
    }

    BackupLink link() {
        return link;
    }

    boolean installing() {
        return installing;
    }

    int snapshotsInstalled() {
        return snapshotsInstalled.get();
    }

    /** Control thread: opens the stream to the primary, if this backup in WARM_START has none. */
    void subscribe() {
        if (node.closed || node.role != Role.BACKUP || node.state != NodeState.WARM_START || link != null) {
            return;
        }
        BackupLink l = new BackupLink(this, store, atMostOnce, clock);
        link = l;
        ManagedChannel ch = peer.get();
        ch.resetConnectBackoff();
        l.start(ReplicationGrpc.newStub(ch).withWaitForReady(), node.selfInfo());
    }

    /**
     * Keeps when the primary was last heard on this stream; a stream the primary never answered
     * says nothing (its creation time is not a contact), so retries do not restart the backup's
     * quiet time before a promotion.
     */
    private void notePrimaryContact(BackupLink l) {
        if (l.welcomed()) {
            node.lastPrimaryContactMillis = Math.max(node.lastPrimaryContactMillis, l.lastHeardMillis());
        }
    }

    /** Control thread: ends the stream to the primary at once, if any. */
    void dropLink(String why) {
        BackupLink l = link;
        link = null;
        if (l != null) {
            notePrimaryContact(l);
            l.cancel(why);
        }
    }

    /** Control thread: half-closes the stream after its last message (shutdown, handover taken). */
    void finishLink() {
        BackupLink l = link;
        link = null;
        if (l != null) {
            l.finish();
        }
    }

    /** Control thread: the link taking a handover is still the current one; it is let go. */
    boolean release(BackupLink l) {
        if (l != link) {
            return false;
        }
        link = null;
        return true;
    }

    /** Control thread: ends a stream whose primary went silent, else heartbeats on it. */
    void tick(long nowMillis) {
        BackupLink l = link;
        if (l != null) {
            if (nowMillis - l.lastHeardMillis() > settings.peerTimeout().toMillis()) {
                notePrimaryContact(l);
                l.cancel("primary silent");
                onEnded(l, "no message from the primary for " + (nowMillis - l.lastHeardMillis()) + " ms");
            } else {
                l.heartbeat();
            }
        }
    }

    @Override
    public void onWelcome(BackupLink l, Welcome w) {
        control.run(() -> {
            if (l != link) {
                return;
            }
            failedAttempts = Math.max(0, failedAttempts - 1);
            PeerInfo p = w.getPrimary();
            node.peerInfo = p;
            node.primaryClientAddress = p.getClientAddress().isEmpty() ? null : p.getClientAddress();
            if (p.getEpoch() > store.epoch()) {
                try {
                    store.raiseEpoch(p.getEpoch());
                } catch (IOException e) {
                    log.error("{}: could not store the primary's epoch {}", node.nodeId, p.getEpoch(), e);
                }
            }
            log.info(
                    "{}: subscribed to {} (epoch {}); streaming from offset {}, primary at {}",
                    node.nodeId,
                    p.getNodeId(),
                    p.getEpoch(),
                    w.getStartAfter() + 1,
                    p.getLastOffset());
        });
    }

    @Override
    public void onRefusal(BackupLink l, Refusal r) {
        control.run(() -> {
            if (l != link) {
                return;
            }
            link = null;
            node.lastPrimaryContactMillis = clock.millis();
            l.cancel("refused");
            log.info("{}: the primary refused the subscription ({}): {}", node.nodeId, r.getReason(), r.getDetail());
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
                default ->
                    node.transition(NodeState.COLD_START, "the peer refused: " + r.getReason() + ": " + r.getDetail());
            }
        });
    }

    @Override
    public void onEnded(BackupLink l, String cause) {
        control.run(() -> {
            if (l != link) {
                return;
            }
            link = null;
            notePrimaryContact(l);
            if (node.role == Role.BACKUP && (node.state == NodeState.WARM_START || node.state == NodeState.SYNC)) {
                node.transition(NodeState.COLD_START, "stream to the primary ended: " + cause);
            }
        });
    }

    @Override
    public void onDigestCompared(BackupLink l, long offset, boolean match, int differing, long entries) {
        control.run(() -> {
            if (l != link) {
                return;
            }
            if (match) {
                failedAttempts = 0;
                node.transition(
                        NodeState.SYNC,
                        "contents equal the primary's, bucket by bucket, up to offset " + offset + " (" + entries
                                + " entries)");
            } else {
                failedAttempts++;
                log.error(
                        "{}: contents differ from the primary's up to offset {}: {} buckets differ ({} entries "
                                + "here); starting over from a snapshot",
                        node.nodeId,
                        offset,
                        differing,
                        entries);
                link = null;
                l.cancel("digest mismatch");
                transfers.execute(this::fetchSnapshot);
            }
        });
    }

    @Override
    public void onHandover(BackupLink l, Handover h) {
        handoverTaker.onHandover(l, h);
    }

    /** Transfer thread: finds the last offset where this node's history and the primary's agree, drops the rest, subscribes again. */
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
            log.info(
                    "{}: discarded {} records of a divergent history after offset {} (the primary {} has epoch {})",
                    node.nodeId,
                    dropped,
                    lo,
                    primary.getNodeId(),
                    primary.getEpoch());
            atMostOnce.clear();
            atMostOnce.replayLogTail(store, node.nodeId);
            control.run(this::subscribe);
        } catch (TailNotRetainedException e) {
            log.info(
                    "{}: the divergence point is before the retained logs ({}); fetching a snapshot",
                    node.nodeId,
                    e.getMessage());
            fetchSnapshot();
        } catch (IOException | RuntimeException e) {
            log.warn("{}: could not resolve the divergence: {}", node.nodeId, e.toString());
            backToColdStart("divergence search failed: " + e);
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

    /** Transfer thread: replaces this node's contents with the primary's snapshot, then subscribes for the tail. */
    private void fetchSnapshot() {
        installing = true;
        long started = System.nanoTime();
        try {
            Iterator<SnapshotChunk> chunks = ReplicationGrpc.newBlockingStub(peer.get())
                    .fetchSnapshot(SnapshotRequest.newBuilder()
                            .setCaller(node.selfInfo())
                            .build());
            if (!chunks.hasNext()) {
                throw new IOException("the primary sent an empty snapshot");
            }
            SnapshotChunk first = chunks.next();
            log.info(
                    "{}: installing a snapshot at offset {} (epoch {}, {} bytes) from the primary",
                    node.nodeId,
                    first.getOffset(),
                    first.getEpoch(),
                    first.getSizeBytes());
            SnapshotChunkStream in = new SnapshotChunkStream(first, chunks);
            store.installSnapshot(in);
            epochs.installed(first.getOffset(), first.getEpoch());
            snapshotsInstalled.incrementAndGet();
            atMostOnce.clear();
            log.info(
                    "{}: installed the snapshot at offset {} ({} bytes) in {} ms",
                    node.nodeId,
                    first.getOffset(),
                    in.received(),
                    TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
            installing = false;
            control.run(this::subscribe);
        } catch (IOException | RuntimeException e) {
            log.warn("{}: snapshot catch-up failed: {}", node.nodeId, e.toString());
            backToColdStart("snapshot catch-up failed: " + e);
        } finally {
            installing = false;
        }
    }

    private void backToColdStart(String cause) {
        control.run(() -> {
            if (link == null && node.state == NodeState.WARM_START) {
                node.transition(NodeState.COLD_START, cause);
            }
        });
    }
}
