package dev.pbkv.server.replication;

import dev.pbkv.server.role.NodeState;
import dev.pbkv.server.role.Role;
import dev.pbkv.store.Mutation;
import dev.pbkv.store.Store;
import dev.pbkv.store.WriteResult;
import java.io.UncheckedIOException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A node without replication. A configured primary serves alone: after recovery it moves from
 * COLD_START to BOOTSTRAP, applies writes to its store and acknowledges them once they are on
 * disk per the fsync policy (committed = durable). A configured backup has no primary stream to
 * follow: it stays in COLD_START, refuses writes with the primary's address, and answers reads
 * only when the client allows stale data.
 */
public final class SoloReplicator implements Replicator {
    private static final Logger log = LoggerFactory.getLogger(SoloReplicator.class);

    private final Store store;
    private final Role role;
    private final Supplier<String> primaryAddress;
    /** The state machine's state; transitions go through {@link #moveTo} so each is logged once. */
    private final AtomicReference<NodeState> state = new AtomicReference<>(NodeState.COLD_START);
    /** Told after each transition; set before start. */
    private volatile Runnable stateListener = () -> {};

    /**
     * @param store          the recovered store
     * @param role           the configured role
     * @param primaryAddress the primary's client-facing gRPC address (for a primary: its own, once bound)
     */
    public SoloReplicator(Store store, Role role, Supplier<String> primaryAddress) {
        this.store = store;
        this.role = role;
        this.primaryAddress = primaryAddress;
    }

    @Override
    public void start() {
        if (role == Role.PRIMARY) {
            moveTo(
                    NodeState.COLD_START,
                    NodeState.BOOTSTRAP,
                    "store recovered at offset " + store.lastOffset() + "; no replication configured, serving alone");
        } else {
            log.info("backup without replication: staying in COLD_START (writes refused, stale reads only)");
        }
    }

    @Override
    public CompletableFuture<WriteResult> write(Mutation mutation) {
        NodeState now = state.get();
        if (role != Role.PRIMARY || now != NodeState.BOOTSTRAP) {
            return CompletableFuture.failedFuture(new NotPrimaryException(
                    role != Role.PRIMARY
                            ? "this node is a backup; writes go to the primary"
                            : "this node is in state " + now + " and takes no writes",
                    role != Role.PRIMARY ? primaryAddress.get() : null));
        }
        WriteResult result;
        try {
            result = store.apply(mutation);
        } catch (UncheckedIOException e) {
            return CompletableFuture.failedFuture(e);
        }
        return store.whenDurable(result.answerOffset()).thenApply(v -> result);
    }

    @Override
    public CompletableFuture<Void> awaitCommitted(long offset) {
        return store.whenDurable(offset);
    }

    @Override
    public boolean canServeReads(boolean allowStale) {
        NodeState now = state.get();
        if (now == NodeState.SHUTTING_DOWN) {
            return false;
        }
        return role == Role.PRIMARY ? now == NodeState.BOOTSTRAP : allowStale;
    }

    @Override
    public Role role() {
        return role;
    }

    @Override
    public NodeState state() {
        return state.get();
    }

    @Override
    public long epoch() {
        return store.epoch();
    }

    @Override
    public long committedOffset() {
        return store.durableOffset();
    }

    @Override
    public long peerAckedOffset() {
        return 0;
    }

    @Override
    public boolean peerConnected() {
        return false;
    }

    @Override
    public String primaryAddress() {
        return primaryAddress.get();
    }

    @Override
    public CompletableFuture<Long> promote(boolean force) {
        return CompletableFuture.failedFuture(
                new IllegalStateException(
                        role == Role.PRIMARY
                                ? "this node is already the primary"
                                : "replication is not configured on this node; a backup without a primary stream has no data to serve"));
    }

    @Override
    public CompletableFuture<Boolean> shutdown(boolean skipSwitchover) {
        NodeState before = state.getAndSet(NodeState.SHUTTING_DOWN);
        if (before != NodeState.SHUTTING_DOWN) {
            log.info("state {} -> SHUTTING_DOWN: shutdown requested (no peer to hand over to)", before);
        }
        return CompletableFuture.completedFuture(false);
    }

    @Override
    public void onStateChange(Runnable listener) {
        stateListener = listener;
    }

    @Override
    public void close() {
        // Nothing of its own to release: the store belongs to the node.
    }

    private void moveTo(NodeState from, NodeState to, String cause) {
        if (state.compareAndSet(from, to)) {
            log.info("state {} -> {}: {}", from, to, cause);
            stateListener.run();
        }
    }
}
