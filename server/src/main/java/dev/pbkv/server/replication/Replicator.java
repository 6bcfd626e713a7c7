package dev.pbkv.server.replication;

import dev.pbkv.server.coordinator.CoordinatorStatus;
import dev.pbkv.server.role.NodeState;
import dev.pbkv.server.role.Role;
import dev.pbkv.store.Mutation;
import dev.pbkv.store.WriteResult;
import java.util.concurrent.CompletableFuture;

/**
 * The only writer of the store on a node, and the owner of the node's role and state. The
 * command layer validates a request, then hands writes here and asks here when a read may
 * answer. A single node without a peer uses a replicator that only waits for the local log.
 */
public interface Replicator extends AutoCloseable {

    /**
     * Applies a client's write as primary and completes once its answer is committed: on disk per
     * the fsync policy and, in SYNC, acknowledged by the backup. A write that changed nothing
     * waits until the entry it saw is committed ({@link WriteResult#answerOffset}, which the store sets
     * under its write lock), so callers never
     * wait again. Completes exceptionally with
     * {@link NotPrimaryException} when this node may not take writes now (refused, not applied),
     * or with {@link OutcomeUnknownException} when it was applied but can no longer be acknowledged.
     */
    CompletableFuture<WriteResult> write(Mutation mutation);

    /** Completes once everything up to offset is committed (linearizable reads wait on this). */
    CompletableFuture<Void> awaitCommitted(long offset);

    /** Whether this node may serve a read now (primary, or allowStale on a caught-up backup). */
    boolean canServeReads(boolean allowStale);

    Role role();

    NodeState state();

    long epoch();

    long committedOffset();

    long peerAckedOffset();

    boolean peerConnected();

    /** The primary's client-facing gRPC address as this node knows it, or null. */
    String primaryAddress();

    /** Starts the state machine (recovery done by the store): look for the peer, replicate. */
    void start();

    /**
     * Makes this backup the primary with a new epoch; completes with that epoch, or fails with
     * {@link PromotionRefusedException} saying why not. Without a coordinator a backup whose
     * primary may be alive (unreachable, or holding a longer history) is promoted only with force,
     * which may lose what that primary acknowledged; with one, the coordinator's rules decide and
     * force changes nothing.
     */
    CompletableFuture<Long> promote(boolean force);

    /**
     * Runs listener after every change of role or state (on the thread that made it; it must be
     * quick). The node republishes node.json with it, which is how bin/start_server sees a
     * primary settle without a helper process.
     */
    void onStateChange(Runnable listener);

    /** What this node knows of its coordinator ({@link CoordinatorStatus#OFF} without one). */
    default CoordinatorStatus coordinatorStatus() {
        return CoordinatorStatus.OFF;
    }

    /**
     * Drains and stops replication; an in-sync primary first hands its role to the backup unless
     * skipSwitchover. Completes with whether it handed over.
     */
    CompletableFuture<Boolean> shutdown(boolean skipSwitchover);

    @Override
    void close();
}
