package dev.pbkv.server.replication;

import dev.pbkv.proto.replication.Handover;
import dev.pbkv.server.role.NodeState;
import dev.pbkv.server.role.Role;
import dev.pbkv.store.Store;
import java.io.IOException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Planned role changes: the switchover (an in-sync primary that shuts down hands its role to the
 * backup, which takes it at the handover's offset) and promotion by request (a backup becomes
 * primary once the probe shows the primary is gone). See docs/replication.md "Switchover".
 *
 * <p>Threads: {@link #promote} and {@link #shutdown} are called on any thread and run on the
 * control thread; {@link #onHandover} is called on the stream's gRPC thread and continues on the
 * control thread once the handover's offset is durable here.
 */
final class Switchover {
    private static final Logger log = LoggerFactory.getLogger(Switchover.class);

    private final Store store;
    private final PairSettings settings;
    private final PairState node;
    private final Epochs epochs;
    private final CommitTracker commits;
    private final WriteFences fences;
    private final RoleControl roles;
    private final AttachedBackup attached;
    private final BackupCatchUp catchUp;
    private final ControlThread control;
    /** The coordinator's decisions, or null without one. */
    private final CoordinatedRoles coordinated;

    Switchover(
            Store store,
            PairSettings settings,
            PairState node,
            Epochs epochs,
            CommitTracker commits,
            WriteFences fences,
            RoleControl roles,
            AttachedBackup attached,
            BackupCatchUp catchUp,
            ControlThread control,
            CoordinatedRoles coordinated) {
        this.store = store;
        this.settings = settings;
        this.node = node;
        this.epochs = epochs;
        this.commits = commits;
        this.fences = fences;
        this.roles = roles;
        this.attached = attached;
        this.catchUp = catchUp;
        this.control = control;
        this.coordinated = coordinated;
    }

    /**
     * Makes this backup the primary with a new epoch. Without a coordinator: refused while the
     * primary answers as acting; a primary that does not answer may be alive behind a partition, and
     * a starting peer may hold a longer history, so either needs force. With a coordinator: only as
     * its rules allow (the primary's session ended, this node in in_sync); force changes nothing.
     */
    CompletableFuture<Long> promote(boolean force) {
        CompletableFuture<Long> result = new CompletableFuture<>();
        control.runFor(result, () -> {
            String refusal = promotionRefusal();
            if (refusal == null && coordinated != null) {
                refusal = coordinated.promotionRefusal();
            }
            if (refusal != null) {
                result.completeExceptionally(new PromotionRefusedException(refusal));
                return;
            }
            if (coordinated != null) {
                awaitCoordinatedPromotion(
                        result,
                        System.nanoTime()
                                + TimeUnit.MILLISECONDS.toNanos(
                                        settings.peerTimeout().toMillis() * 3));
                return;
            }
            roles.probePeer((peer, failure) -> {
                if (peer != null && PairState.isActing(peer)) {
                    result.completeExceptionally(new PromotionRefusedException("the primary " + peer.getNodeId()
                            + " is alive and reachable at " + node.peerAddress() + " (epoch " + peer.getEpoch()
                            + ", state " + peer.getState() + ")"));
                    return;
                }
                if (!force && peer == null) {
                    result.completeExceptionally(new PromotionRefusedException("the primary at "
                            + node.peerAddress() + " did not answer (" + failure + "); it may be alive behind a"
                            + " partition, and promoting this node would make two primaries: the writes either"
                            + " acknowledges from then on may be lost. Promote with --force only if the primary is"
                            + " known to be down"));
                    return;
                }
                if (!force && Epochs.compareHistories(peer, node.selfInfo()) > 0) {
                    result.completeExceptionally(new PromotionRefusedException("the peer " + peer.getNodeId()
                            + " holds a newer history (last record epoch " + peer.getLastRecordEpoch()
                            + ", offset " + peer.getLastOffset() + " against " + epochs.lastRecordEpoch() + ", "
                            + store.lastOffset() + "); promoting this node would discard its records above "
                            + store.lastOffset() + ". Promote with --force to accept that loss"));
                    return;
                }
                String again = promotionRefusal();
                if (again != null) {
                    result.completeExceptionally(new PromotionRefusedException(again));
                    return;
                }
                catchUp.dropLink("promoted");
                roles.becomePrimary((force ? "promoted by request with --force" : "promoted by request")
                        + "; the peer is "
                        + (peer == null
                                ? "unreachable (" + failure + ")"
                                : "not primary (state " + peer.getState() + ")"));
                if (node.isActingPrimary()) {
                    result.complete(store.epoch());
                } else {
                    result.completeExceptionally(new IllegalStateException("promotion failed; see the log"));
                }
            });
        });
        return result;
    }

    /** With a coordinator the tick promotes this node (a compare-and-set); this waits to see it happen. */
    private void awaitCoordinatedPromotion(CompletableFuture<Long> result, long deadlineNanos) {
        if (node.isActingPrimary()) {
            result.complete(store.epoch());
        } else if (System.nanoTime() - deadlineNanos > 0) {
            result.completeExceptionally(new PromotionRefusedException(
                    "the coordinator did not make this node primary in time; see the log"));
        } else {
            control.after(settings.heartbeat().toMillis(), () -> awaitCoordinatedPromotion(result, deadlineNanos));
        }
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
        if (!store.isConsistentPrefix()) {
            // A fuzzy snapshot's map is a state that never existed until the log reaches its end.
            return "this node's copy is not yet a consistent prefix of the history (at offset " + store.lastOffset()
                    + ", consistent from " + store.consistentFromOffset() + "): it is still catching up";
        }
        return null;
    }

    /** Stops taking writes and, unless skipSwitchover, hands an in-sync primary's role over; completes with whether it did. */
    CompletableFuture<Boolean> shutdown(boolean skipSwitchover) {
        CompletableFuture<Boolean> result = new CompletableFuture<>();
        control.runFor(result, () -> beginShutdown(skipSwitchover, result));
        return result;
    }

    private void beginShutdown(boolean skipSwitchover, CompletableFuture<Boolean> result) {
        CompletableFuture<String> handingBack = node.switchover;
        if (handingBack != null && node.state != NodeState.SHUTTING_DOWN) {
            // A hand-back to the configured primary is under way: shut down once it ended.
            handingBack.whenCompleteAsync((addr, t) -> beginShutdown(skipSwitchover, result), control::run);
            return;
        }
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
        long last = stopWrites(sw);
        node.transition(
                NodeState.SHUTTING_DOWN,
                handover ? "switchover to " + s.backup().getNodeId() + " requested" : "shutdown requested");
        if (!handover) {
            finishShutdown(sw, null);
            result.complete(false);
            return;
        }
        long timeout = settings.peerTimeout().toMillis();
        long epochNow = store.epoch();
        commits.await(last)
                .orTimeout(timeout, TimeUnit.MILLISECONDS)
                .thenCompose(v -> coordinated == null
                        ? CompletableFuture.completedFuture(null)
                        : coordinated.handOverTo(s.backup().getNodeId()).orTimeout(timeout, TimeUnit.MILLISECONDS))
                .thenCompose(v -> s.requestHandover(last, epochNow).orTimeout(timeout, TimeUnit.MILLISECONDS))
                .whenCompleteAsync(
                        (newEpoch, t) -> {
                            if (t != null) {
                                log.warn(
                                        "{}: switchover to {} failed ({}); stopping without it",
                                        node.nodeId,
                                        s.backup().getNodeId(),
                                        t instanceof TimeoutException ? "timed out" : t.toString());
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
                            log.info(
                                    "{}: handed the primary role to {} at offset {} (its epoch {})",
                                    node.nodeId,
                                    s.backup().getNodeId(),
                                    last,
                                    newEpoch);
                            finishShutdown(sw, addr);
                            result.complete(true);
                        },
                        control::run);
    }

    /** System.nanoTime() before which no new hand-back is tried (after a failed one); control thread. */
    private long nextHandBackNanos = System.nanoTime();

    /**
     * Control thread, every heartbeat: with replication.prefer-configured-primary, the configured
     * backup acting as primary hands the role back to the configured primary once that one is its
     * backup in SYNC (and, with a coordinator, named in in_sync): the switchover of a graceful stop,
     * without the stop. Afterwards this node goes to COLD_START as backup and rejoins the new primary.
     */
    void handBackIfPreferred() {
        if (!settings.preferConfiguredPrimary()
                || node.closed
                || node.configuredRole != Role.BACKUP
                || node.state != NodeState.SYNC
                || !node.isActingPrimary()
                || node.switchover != null
                || System.nanoTime() - nextHandBackNanos < 0) {
            return;
        }
        PrimarySession s = attached.session();
        if (s == null
                || s.isClosed()
                || s.backup().getConfiguredRole() != dev.pbkv.proto.Role.PRIMARY
                || (coordinated != null
                        && !coordinated.recordNamesInSync(s.backup().getNodeId()))) {
            return;
        }
        String to = s.backup().getNodeId();
        CompletableFuture<String> sw = new CompletableFuture<>();
        long last = stopWrites(sw);
        log.info(
                "{}: handing the primary role back to the configured primary {} at offset {}"
                        + " (replication.prefer-configured-primary): it is the backup in SYNC",
                node.nodeId,
                to,
                last);
        long timeout = settings.peerTimeout().toMillis();
        long epochNow = store.epoch();
        boolean[] handoverSent = {false};
        commits.await(last)
                .orTimeout(timeout, TimeUnit.MILLISECONDS)
                .thenCompose(v -> coordinated == null
                        ? CompletableFuture.completedFuture(null)
                        : coordinated.handOverTo(to).orTimeout(timeout, TimeUnit.MILLISECONDS))
                .thenComposeAsync(
                        v -> {
                            handoverSent[0] = true;
                            return s.requestHandover(last, epochNow).orTimeout(timeout, TimeUnit.MILLISECONDS);
                        },
                        control::run)
                .whenCompleteAsync(
                        (newEpoch, t) -> {
                            if (t == null) {
                                handedBack(s, sw, last, newEpoch);
                            } else {
                                handBackFailed(to, sw, handoverSent[0], t, timeout);
                            }
                        },
                        control::run);
    }

    private void handedBack(PrimarySession s, CompletableFuture<String> sw, long last, long newEpoch) {
        try {
            store.raiseEpoch(newEpoch);
        } catch (IOException e) {
            log.error("{}: could not store the new primary's epoch {}", node.nodeId, newEpoch, e);
        }
        String addr = s.backup().getClientAddress();
        attached.detach();
        commits.failWaiters(PairState.handedOver(addr));
        node.role = Role.BACKUP;
        node.primaryClientAddress = addr;
        node.switchover = null;
        node.transition(
                NodeState.COLD_START,
                "handed the primary role back to the configured primary "
                        + s.backup().getNodeId() + " at offset " + last + " (its epoch " + newEpoch
                        + "); rejoining it as backup");
        sw.complete(addr);
    }

    private void handBackFailed(
            String to, CompletableFuture<String> sw, boolean handoverSent, Throwable t, long timeout) {
        nextHandBackNanos = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(3 * timeout);
        String why =
                t instanceof TimeoutException || t.getCause() instanceof TimeoutException ? "timed out" : t.toString();
        if (!handoverSent) {
            // The coordinator still names this node and the backup was never asked: go on as primary.
            log.warn("{}: the hand-back to {} did not start ({}); going on as primary", node.nodeId, to, why);
            node.switchover = null;
            node.acceptingWrites = node.isActingPrimary();
            sw.complete(null);
            return;
        }
        // The backup may have taken the role: never go on beside it; the roles are decided again from COLD_START.
        roles.stepDown(store.epoch(), "the hand-back to " + to + " was not confirmed (" + why + ")");
        node.switchover = null;
        sw.complete(null);
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
            log.warn(
                    "{}: handover at offset {} but only {} applied; ignoring it",
                    node.nodeId,
                    h.getLastOffset(),
                    l.lastApplied());
            return;
        }
        store.whenDurable(h.getLastOffset())
                .whenCompleteAsync(
                        (v, t) -> {
                            if (t != null || l != catchUp.link() || node.closed) {
                                return;
                            }
                            if (coordinated != null) {
                                coordinated.takeOverAfterHandover(
                                        "switchover: took leader after the primary handed over at offset "
                                                + h.getLastOffset(),
                                        newEpoch -> {
                                            if (l != catchUp.link() || node.closed) {
                                                return;
                                            }
                                            catchUp.release(l);
                                            roles.becomePrimaryAt("switchover: the primary handed over at offset "
                                                    + h.getLastOffset() + "; the coordinator names this node");
                                            l.sendHandoverDone(newEpoch);
                                            l.finish();
                                        });
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
                            roles.becomePrimaryAt(
                                    "switchover: " + (node.peerInfo == null ? "the primary" : node.peerInfo.getNodeId())
                                            + " handed over at offset " + h.getLastOffset());
                            l.sendHandoverDone(newEpoch);
                            l.finish();
                        },
                        control::run);
    }

    /**
     * Stops taking writes and marks the switchover sw under every write fence, so no
     * write slips in after the offset it returns (the last one the new primary must hold).
     */
    private long stopWrites(CompletableFuture<String> sw) {
        Runnable unfence = fences.fenceAll();
        try {
            node.acceptingWrites = false;
            node.switchover = sw;
            return store.lastOffset();
        } finally {
            unfence.run();
        }
    }
}
