package dev.pbkv.server.replication;

import dev.pbkv.server.coordinator.CasResult;
import dev.pbkv.server.coordinator.Connection;
import dev.pbkv.server.coordinator.CoordinatorUnavailableException;
import dev.pbkv.server.coordinator.PairCoordinator;
import dev.pbkv.server.coordinator.PairRecord;
import dev.pbkv.server.coordinator.PairView;
import dev.pbkv.server.role.NodeState;
import dev.pbkv.server.role.Role;
import dev.pbkv.store.Store;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.LongConsumer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Role decisions by the coordinator (docs/coordinator.md): this node is primary only as the
 * primary named in the pair's {@code state} znode at its epoch, holding the {@code leader}
 * znode; it becomes primary only by a compare-and-set; it drops a backup from {@code in_sync}
 * only by one, and until then its waiting writes wait. Every decision is one log line naming
 * its cause and the state version it acted on.
 *
 * <p>Serving: the acting primary may serve while its lease holds (a read of the znodes that found
 * it named and holding {@code leader}, sent less than two thirds of a session timeout ago), or
 * while its in-sync backup answers on the stream (the witness: a backup promotes itself only after
 * a peer timeout without a word from the primary, and the primary stops after half of one). So a
 * SUSPENDED primary alone stops at once, and a healthy pair goes on while the coordinator is down.
 *
 * <p>Threads: {@link #tick} and the decisions run on the control thread; every request to the
 * coordinator runs on {@code pbkv-coordinator-<node>} and hands its result back to the control
 * thread; {@link #mayServe} is read by the write path and the doors (volatile fields only).
 */
final class CoordinatedRoles {
    private static final Logger log = LoggerFactory.getLogger(CoordinatedRoles.class);

    /** Carries out the role changes decided here (RoleControl's). */
    interface RoleChanges {
        void becomePrimaryAt(String cause);

        void stepDown(long higherEpoch, String cause);

        void joinAsBackup(String cause);

        /** Asks the peer who it is (a Probe); callback runs on the control thread. */
        void probePeer(RoleControl.ProbeCallback callback);
    }

    /** In a members znode: this node has no persistence and has not held the history since it restarted. */
    static final String RESTARTED_EMPTY = "\"restarted_empty\":true";

    private final PairCoordinator coordinator;
    private final Store store;
    private final PairSettings settings;
    private final Clock clock;
    private final PairState node;
    private final CommitTracker commits;
    private final AttachedBackup attached;
    private final BackupCatchUp catchUp;
    private final ControlThread control;
    private final Supplier<RoleChanges> changes;
    private final ExecutorService requests;

    /** System.nanoTime() until which the last confirming read lets this primary serve. */
    private volatile long leaseUntilNanos;
    /** System.nanoTime() of the last tick: the control thread runs every heartbeat unless the process was paused. */
    private volatile long lastTickNanos = System.nanoTime();
    /**
     * System.nanoTime() until which the witness does not count: set by the first tick after a gap
     * of more than half a peer timeout (SIGSTOP, a stall), because what the backup sent before the
     * gap, buffered meanwhile, is read as if it had just been heard.
     */
    private volatile long witnessVoidUntilNanos = System.nanoTime();
    /** The state record names the attached backup in in_sync: every write waits for its ack. */
    private volatile boolean backupInSync;
    /** The last read of the znodes (status), or null. */
    private volatile PairView lastView;
    /** Why the last decision waited, so a waiting node logs it once. */
    private String lastWait;
    // Control thread only.
    private boolean requestInFlight;
    private long lastPublishMillis;
    private boolean publishedRestartedEmpty;
    /**
     * The store held no record when this process opened it: persistence is off, or the data dir
     * was emptied (a new disk, an operator's rm -rf). Fixed at construction, before any catch-up.
     */
    private final boolean startedWithoutHistory;

    CoordinatedRoles(
            PairCoordinator coordinator,
            Store store,
            PairSettings settings,
            Clock clock,
            PairState node,
            CommitTracker commits,
            AttachedBackup attached,
            BackupCatchUp catchUp,
            ControlThread control,
            Supplier<RoleChanges> changes) {
        this.coordinator = coordinator;
        this.store = store;
        this.settings = settings;
        this.clock = clock;
        this.node = node;
        this.commits = commits;
        this.attached = attached;
        this.catchUp = catchUp;
        this.control = control;
        this.changes = changes;
        this.startedWithoutHistory = settings.memoryOnly() || store.lastOffset() == 0;
        this.requests = Executors.newSingleThreadExecutor(ControlThread.named("pbkv-coordinator-" + node.nodeId));
    }

    void start() {
        log.info("{}: roles come from the coordinator at {}", node.nodeId, coordinator.describe());
        coordinator.start(this::onConnection);
    }

    void close() {
        requests.shutdownNow();
        try {
            requests.awaitTermination(1, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        coordinator.close();
    }

    // ---- serving --------------------------------------------------------------------------------

    /** Any thread: this acting primary may serve reads and acknowledge writes now. */
    boolean mayServe() {
        return System.nanoTime() - leaseUntilNanos < 0 || witnessed();
    }

    /**
     * The in-sync backup heard from within half a peer timeout: it cannot have taken over. Not while
     * the control thread has missed its ticks, nor for a peer timeout after such a gap.
     */
    private boolean witnessed() {
        PrimarySession s = attached.session();
        long now = System.nanoTime();
        long halfPeerTimeout =
                TimeUnit.MILLISECONDS.toNanos(settings.peerTimeout().toMillis() / 2);
        return now - lastTickNanos < halfPeerTimeout
                && now - witnessVoidUntilNanos >= 0
                && backupInSync
                && s != null
                && !s.isClosed()
                && node.state == NodeState.SYNC
                && clock.millis() - s.lastHeardMillis() < settings.peerTimeout().toMillis() / 2;
    }

    /** Every write must wait for the attached backup's ack: the state names it in in_sync. */
    boolean backupInSync() {
        return backupInSync;
    }

    /**
     * The attached backup counts as in sync and the last read (or applied compare-and-set) of
     * {@code state} names it in in_sync: a switchover to it can be asked for.
     */
    boolean recordNamesInSync(String backupId) {
        PairView v = lastView;
        return backupInSync && v != null && v.record() != null && v.record().isInSync(backupId);
    }

    PairView lastView() {
        return lastView;
    }

    Connection connection() {
        return coordinator.connection();
    }

    String describe() {
        return coordinator.describe();
    }

    /** Curator's event thread: SUSPENDED or LOST ends the lease at once. */
    private void onConnection(Connection c) {
        if (c != Connection.CONNECTED) {
            leaseUntilNanos = System.nanoTime();
        }
        control.run(() -> {
            if (c == Connection.LOST && node.isActingPrimary() && !witnessed()) {
                changes.get()
                        .stepDown(
                                store.epoch(),
                                "the coordinator session expired and no in-sync backup vouches for this node (last"
                                        + " read: " + lastView + ")");
            }
        });
    }

    // ---- decisions ------------------------------------------------------------------------------

    /** Control thread, every heartbeat: reads the znodes (unless a request is out) and decides. */
    void tick() {
        long now = System.nanoTime();
        if (now - lastTickNanos
                > TimeUnit.MILLISECONDS.toNanos(settings.peerTimeout().toMillis() / 2)) {
            // Set before lastTickNanos, so a thread that sees this tick's time sees the void too.
            witnessVoidUntilNanos =
                    now + TimeUnit.MILLISECONDS.toNanos(settings.peerTimeout().toMillis());
        }
        lastTickNanos = now;
        if (requestInFlight || node.closed || node.state == NodeState.SHUTTING_DOWN) {
            return;
        }
        requestInFlight = true;
        requests.execute(() -> {
            long sent = System.nanoTime();
            PairView view = null;
            String failure = null;
            try {
                view = coordinator.read();
            } catch (CoordinatorUnavailableException e) {
                failure = e.getMessage();
            }
            PairView v = view;
            String f = failure;
            control.run(() -> {
                requestInFlight = false;
                if (v == null) {
                    waiting("the coordinator did not answer: " + f);
                } else {
                    lastView = v;
                    decide(v, sent);
                }
            });
        });
    }

    private void decide(PairView view, long sentNanos) {
        if (node.closed || node.state == NodeState.SHUTTING_DOWN || node.switchover != null) {
            return;
        }
        publishMemberIfDue();
        if (node.isActingPrimary()) {
            asPrimary(view, sentNanos);
            return;
        }
        PairRecord r = view.record();
        if (r == null) {
            if (node.configuredRole == Role.PRIMARY && node.state == NodeState.COLD_START) {
                long epoch = Math.max(1, store.epoch() + 1);
                PairRecord first = PairRecord.primaryAlone(epoch, node.nodeId);
                cas(
                        () -> coordinator.create(first),
                        new PairView(first, 0, node.nodeId, true),
                        epoch,
                        "the pair has no state yet and this is the configured primary (created state v0 at epoch "
                                + epoch + ")");
            } else {
                waiting("the pair has no state yet: waiting for the configured primary to create it");
            }
            return;
        }
        if (r.primary().equals(node.nodeId)) {
            if (node.state != NodeState.COLD_START) {
                return;
            }
            if (view.leaderPresent()) {
                waiting("state v" + view.version() + " names this node primary but a leader znode of an earlier"
                        + " session remains: waiting for that session to expire");
                return;
            }
            if (lostItsData()) {
                recreateIfTheDataIsGone(view);
                return;
            }
            takeLeadership(
                    view,
                    "state v" + view.version() + " " + r + " names this node primary and no session holds leader");
            return;
        }
        // The state names the peer.
        if (view.leaderPresent()) {
            if (node.state == NodeState.COLD_START) {
                raiseEpochTo(r.epoch());
                changes.get()
                        .joinAsBackup("state v" + view.version() + " names " + r.primary() + " primary at epoch "
                                + r.epoch() + " and its session holds leader");
            }
            return;
        }
        BackupLink pending = catchUp.link();
        if (node.state == NodeState.WARM_START && pending != null && !pending.welcomed()) {
            // A subscription the primary never answered, and its session is gone: stop waiting on it.
            catchUp.dropLink("the primary's session ended");
            node.transition(
                    NodeState.COLD_START,
                    "the primary " + r.primary() + "'s session ended before it answered (state v" + view.version()
                            + ")");
        }
        if (lostItsData()) {
            recreateIfTheDataIsGone(view);
            return;
        }
        if (!r.isInSync(node.nodeId)) {
            waiting("the primary " + r.primary() + "'s session ended (state v" + view.version() + " " + r
                    + "), but this node is not in in_sync and may lack acknowledged writes: waiting for it");
            return;
        }
        long quietMillis = clock.millis() - node.lastPrimaryContactMillis;
        if (node.state != NodeState.COLD_START
                || catchUp.link() != null
                || quietMillis < settings.peerTimeout().toMillis()
                || catchUp.installing()
                || !store.isConsistentPrefix()) {
            return;
        }
        takeLeadership(
                view,
                "promoted: the primary " + r.primary() + "'s session expired (no leader znode, state v"
                        + view.version() + " " + r + "), this node is in in_sync and heard nothing from it for "
                        + quietMillis + " ms");
    }

    /** The acting primary: still named? then lease, in_sync upkeep and member info. */
    private void asPrimary(PairView view, long sentNanos) {
        PairRecord r = view.record();
        if (r == null || !r.primary().equals(node.nodeId) || r.epoch() > store.epoch()) {
            changes.get()
                    .stepDown(
                            r == null ? store.epoch() : r.epoch(),
                            "the coordinator's state v" + view.version() + " " + r
                                    + " does not name this node at epoch " + store.epoch());
            return;
        }
        if (!view.leaderIsOurs()) {
            leaseUntilNanos = System.nanoTime();
            if (!view.leaderPresent()) {
                casThen(
                        () -> coordinator.takeLeadership(view.version(), r),
                        new PairView(r, view.version() + 1, node.nodeId, true),
                        "re-created the leader znode in this node's new session (state v" + view.version() + ")",
                        () -> {});
            } else {
                waiting("the leader znode belongs to this node's expired session: waiting for it to go");
            }
            return;
        }
        lastWait = null;
        long lease = TimeUnit.MILLISECONDS.toNanos(coordinator.sessionTimeoutMs() * 2 / 3);
        leaseUntilNanos = sentNanos + lease;
        PrimarySession s = attached.session();
        boolean synced = node.state == NodeState.SYNC && s != null && !s.isClosed();
        String attachedId = s == null ? null : s.backup().getNodeId();
        for (String member : r.inSync()) {
            if (!member.equals(node.nodeId) && !(synced && member.equals(attachedId))) {
                // Until this applies, writes wait for the member's ack: never acknowledged without it.
                casThen(
                        () -> coordinator.update(view.version(), r.withoutInSync(member)),
                        new PairView(r.withoutInSync(member), view.version() + 1, node.nodeId, true),
                        "dropped " + member + " from in_sync: it is not attached in SYNC (state v" + view.version()
                                + " " + r + ")",
                        this::backupDropped);
                return;
            }
        }
        if (synced && !r.isInSync(attachedId)) {
            commits.requirePeer(true, s.acked());
            // Counted in sync from before the request: if the session ends while it is out, writes keep
            // waiting for the backup (and the next read drops it) instead of being committed without it.
            backupInSync = true;
            casThen(
                    () -> coordinator.update(view.version(), r.withInSync(attachedId)),
                    new PairView(r.withInSync(attachedId), view.version() + 1, node.nodeId, true),
                    "added " + attachedId + " to in_sync: it acknowledges every write (state v" + view.version() + ")",
                    () -> {});
            return;
        }
        backupInSync = synced && r.isInSync(attachedId);
    }

    /**
     * Every node, about once a second: its members/&lt;node&gt; znode, ephemeral in its session, so
     * the peer can tell it is alive (the rule without persistence) and status shows its position.
     */
    private void publishMemberIfDue() {
        long now = clock.millis();
        boolean empty = lostItsData();
        // At once when that changed: a peer must not take this node for one that restarted empty.
        if (now - lastPublishMillis >= 1000 || empty != publishedRestartedEmpty) {
            lastPublishMillis = now;
            publishedRestartedEmpty = empty;
            byte[] info = ("{\"node\":\"" + node.nodeId + "\",\"role\":\"" + node.role + "\",\"address\":\""
                            + node.clientAddress() + "\",\"epoch\":" + store.epoch() + ",\"last_offset\":"
                            + store.lastOffset() + (empty ? "," + RESTARTED_EMPTY : "") + "}")
                    .getBytes(StandardCharsets.UTF_8);
            requests.execute(() -> coordinator.publishMember(info));
        }
    }

    /**
     * This process started without history (store.persistence = none, or an emptied data dir) and has
     * not yet held the pair's history (reached SYNC or served as primary): the coordinator's in_sync
     * record of an earlier run of this node does not count for it. A catch-up cut short leaves records
     * here, but not all of them, so this stays true until SYNC.
     */
    private boolean lostItsData() {
        return startedWithoutHistory && !node.heldTheHistoryThisRun;
    }

    /** Why this node holds nothing, for log lines: the setting, or the emptied data dir. */
    private String heldNothing() {
        return settings.memoryOnly()
                ? "this node restarted without persistence and holds nothing"
                : "this node started with an empty data dir and holds nothing";
    }

    /**
     * How long a configured backup that holds nothing waits for the configured primary before it
     * re-creates the pair alone: when both nodes start empty at about the same time, the configured
     * primary takes the role, whichever process reached the coordinator first.
     */
    static final long EMPTY_BACKUP_GRACE_MILLIS = 30_000;

    /** True (and logged) while this is a configured backup within its grace from its start. */
    private boolean backupInGrace() {
        long coldFor = clock.millis() - node.coldStartSinceMillis;
        if (node.configuredRole != Role.BACKUP || coldFor >= EMPTY_BACKUP_GRACE_MILLIS) {
            return false;
        }
        waiting(heldNothing() + ": waiting up to " + EMPTY_BACKUP_GRACE_MILLIS
                + " ms from its start for the configured primary, which re-creates the pair when both hold nothing");
        return true;
    }

    /**
     * The rule without persistence (docs/coordinator.md): no session holds leader and this node
     * restarted empty. The pair's data lives on only in another in_sync member that holds the
     * history: its members znode exists in a live session and does not say it restarted empty, or
     * (no members znode) the peer answers a probe at an epoch above 0. If there is none, the data is
     * gone by the setting's definition, and this node re-creates the pair as primary at a higher
     * epoch by a compare-and-set on the version read; when both nodes restarted empty, the
     * configured primary does. Otherwise it waits for that member to take over and then joins it.
     */
    private void recreateIfTheDataIsGone(PairView view) {
        if (node.state != NodeState.COLD_START
                || catchUp.link() != null
                || catchUp.installing()
                || !store.isConsistentPrefix()) {
            // What a catch-up cut short left is served only if it is a state that existed.
            return;
        }
        PairRecord r = view.record();
        List<String> others =
                r.inSync().stream().filter(m -> !m.equals(node.nodeId)).toList();
        if (others.isEmpty()) {
            if (backupInGrace()) {
                return;
            }
            takeLeadership(view, recreated(view, "no other member is in in_sync"));
            return;
        }
        requestInFlight = true;
        requests.execute(() -> {
            Map<String, String> live = null;
            String failure = null;
            try {
                live = coordinator.liveMembers();
            } catch (CoordinatorUnavailableException e) {
                failure = e.getMessage();
            }
            Map<String, String> members = live;
            String f = failure;
            control.run(() -> {
                if (members == null) {
                    requestInFlight = false;
                    waiting("the coordinator did not answer: " + f);
                    return;
                }
                List<String> holders = others.stream()
                        .filter(m -> members.containsKey(m) && !members.get(m).contains(RESTARTED_EMPTY))
                        .toList();
                if (!holders.isEmpty()) {
                    requestInFlight = false;
                    waiting(heldNothing() + "; in_sync member(s) " + holders + " of state v" + view.version() + " " + r
                            + " are alive: waiting for one to take over");
                    return;
                }
                boolean othersRestartedEmpty = others.stream().allMatch(members::containsKey);
                if (othersRestartedEmpty) {
                    requestInFlight = false;
                    decideBetweenEmptyNodes(view, "the other in_sync member(s) " + others + " restarted empty too");
                    return;
                }
                if (!settings.memoryOnly()) {
                    // A persistent member that is not running keeps the pair's data on its disk.
                    requestInFlight = false;
                    waiting(heldNothing() + "; in_sync member(s) " + others + " of state v" + view.version() + " " + r
                            + " are not running and may hold the pair's data on disk: waiting for them");
                    return;
                }
                changes.get().probePeer((peer, probeFailure) -> {
                    requestInFlight = false;
                    if (node.closed || node.state != NodeState.COLD_START || node.switchover != null) {
                        return;
                    }
                    if (peer == null) {
                        if (backupInGrace()) {
                            return;
                        }
                        takeLeadership(
                                view,
                                recreated(
                                        view,
                                        "no other in_sync member is alive (no members znode, the peer does not"
                                                + " answer: " + probeFailure + ")"));
                    } else if (peer.getEpoch() > 0) {
                        waiting(heldNothing() + "; the peer "
                                + peer.getNodeId() + " answers at epoch " + peer.getEpoch()
                                + " and may hold the pair's data: waiting for it");
                    } else {
                        decideBetweenEmptyNodes(view, "the peer " + peer.getNodeId() + " holds nothing (epoch 0)");
                    }
                });
            });
        });
    }

    /** Both nodes restarted empty: the configured primary re-creates the pair, the configured backup waits for it. */
    private void decideBetweenEmptyNodes(PairView view, String why) {
        if (node.configuredRole == Role.PRIMARY) {
            takeLeadership(view, recreated(view, why));
        } else {
            waiting("both nodes hold nothing (" + why + "): waiting for the configured primary to re-create the pair");
        }
    }

    private String recreated(PairView view, String why) {
        return heldNothing() + "; " + why + " (state v" + view.version() + " " + view.record()
                + "): the pair's data is gone, re-created the pair with this node primary";
    }

    /** Control thread: the backup left in_sync; writes stop waiting for it. */
    private void backupDropped() {
        backupInSync = false;
        PrimarySession s = attached.session();
        if (s != null && settings.requireBackup()) {
            commits.requirePeer(true, s.acked());
        } else if (node.state != NodeState.SYNC) {
            commits.requirePeer(false, 0);
        }
    }

    /** The epoch a takeover of view writes: above both the record's and this node's. */
    private long nextEpoch(PairRecord r) {
        return Math.max(r.epoch(), store.epoch()) + 1;
    }

    /** Takes leader over view's state at a new epoch, alone in in_sync; on success becomes primary. */
    private void takeLeadership(PairView view, String cause) {
        long epoch = nextEpoch(view.record());
        PairRecord next = PairRecord.primaryAlone(epoch, node.nodeId);
        cas(
                () -> coordinator.takeLeadership(view.version(), next),
                new PairView(next, view.version() + 1, node.nodeId, true),
                epoch,
                cause);
    }

    /** A takeover by compare-and-set: on success raise the epoch and become primary. */
    private void cas(Supplier<CasResult> request, PairView after, long epoch, String cause) {
        casThen(request, after, cause, () -> {
            if (tookOffice(epoch)) {
                changes.get().becomePrimaryAt(cause);
            }
        });
    }

    /**
     * Control thread, after a takeover applied: stores the epoch; the new primary is alone in
     * in_sync and holds a first lease from its compare-and-set. False if the epoch could not be stored.
     */
    private boolean tookOffice(long epoch) {
        raiseEpochTo(epoch);
        if (store.epoch() != epoch) {
            return false;
        }
        backupInSync = false;
        leaseUntilNanos = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(coordinator.sessionTimeoutMs() / 3);
        return true;
    }

    /**
     * Runs request on the coordinator thread; on APPLIED records after as the znodes' content, logs
     * cause and runs then, on the control thread.
     */
    private void casThen(Supplier<CasResult> request, PairView after, String cause, Runnable then) {
        requestInFlight = true;
        requests.execute(() -> {
            CasResult result = request.get();
            control.run(() -> {
                requestInFlight = false;
                if (result == CasResult.APPLIED) {
                    lastView = after;
                    lastWait = null;
                    log.info("{}: coordinator: {}", node.nodeId, cause);
                    then.run();
                } else {
                    log.info("{}: coordinator: not applied ({}): {}", node.nodeId, result, cause);
                }
            });
        });
    }

    /**
     * Switchover, old primary: names the backup primary and gives up leader in one transaction,
     * once every write is on the backup. Completes when applied; fails if not.
     */
    CompletableFuture<Void> handOverTo(String backupId) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        requests.execute(() -> {
            try {
                PairView v = coordinator.read();
                PairRecord r = v.record();
                if (r == null || !r.primary().equals(node.nodeId) || !r.isInSync(backupId)) {
                    done.completeExceptionally(
                            new IllegalStateException("state v" + v.version() + " " + r + " does not allow it"));
                    return;
                }
                CasResult result = coordinator.handOver(v.version(), PairRecord.primaryAlone(r.epoch(), backupId));
                if (result == CasResult.APPLIED) {
                    log.info(
                            "{}: coordinator: switchover: named {} primary and gave up leader (state v{})",
                            node.nodeId,
                            backupId,
                            v.version());
                    done.complete(null);
                } else {
                    done.completeExceptionally(new IllegalStateException("hand-over " + result));
                }
            } catch (CoordinatorUnavailableException | RuntimeException e) {
                done.completeExceptionally(e);
            }
        });
        return done;
    }

    /** Switchover, new primary: takes leader at a new epoch; then runs tookOver(epoch) on the control thread. */
    void takeOverAfterHandover(String cause, LongConsumer tookOver) {
        requests.execute(() -> {
            try {
                PairView v = coordinator.read();
                PairRecord r = v.record();
                if (r == null || !r.primary().equals(node.nodeId)) {
                    log.warn(
                            "{}: switchover: state v{} {} does not name this node; not taking over",
                            node.nodeId,
                            v.version(),
                            r);
                    return;
                }
                long epoch = nextEpoch(r);
                CasResult result = coordinator.takeLeadership(v.version(), PairRecord.primaryAlone(epoch, node.nodeId));
                control.run(() -> {
                    if (result != CasResult.APPLIED) {
                        log.warn("{}: switchover: taking leader {}; the next tick decides", node.nodeId, result);
                        return;
                    }
                    log.info("{}: coordinator: {} (state v{}, epoch {})", node.nodeId, cause, v.version(), epoch);
                    if (tookOffice(epoch)) {
                        tookOver.accept(epoch);
                    }
                });
            } catch (CoordinatorUnavailableException | RuntimeException e) {
                log.warn("{}: switchover: could not take leader: {}", node.nodeId, e.toString());
            }
        });
    }

    /**
     * Promotion by request: allowed only when the rules allow it now (the primary's session ended,
     * this node is in in_sync); the tick would then do it anyway, this does it at once.
     */
    String promotionRefusal() {
        PairView v = lastView;
        if (v == null || v.record() == null) {
            return "the coordinator has not been read yet (" + coordinator.connection() + ")";
        }
        if (v.leaderPresent()) {
            return "the coordinator names " + v.record().primary() + " primary and its session is alive (leader "
                    + "znode present): roles change by themselves when it expires; stop the primary for a switchover";
        }
        if (lostItsData()) {
            return heldNothing() + " yet";
        }
        if (!v.record().isInSync(node.nodeId)) {
            return "this node is not in in_sync " + v.record().inSync() + " and may lack acknowledged writes";
        }
        return null;
    }

    private void raiseEpochTo(long epoch) {
        if (epoch <= store.epoch()) {
            return;
        }
        try {
            store.raiseEpoch(epoch);
        } catch (IOException e) {
            log.error("{}: could not store epoch {}", node.nodeId, epoch, e);
        }
    }

    private void waiting(String why) {
        if (!why.equals(lastWait)) {
            lastWait = why;
            log.info("{}: coordinator: waiting: {}", node.nodeId, why);
        }
    }
}
