package dev.pbkv.server.replication;

import java.util.ArrayList;
import java.util.List;
import java.util.PriorityQueue;
import java.util.concurrent.CompletableFuture;

/**
 * The primary's commit rule: the committed offset is what a failover can no longer lose. With a
 * peer required (SYNC, or an attached backup under require-backup) it is min(local durable,
 * backup acked); alone it is the local durable offset. Within a term it never goes down, so a
 * value a reader saw stays visible. Writes and linearizable reads wait here for their offset.
 *
 * <p>Local durability comes from the store's log once per batch (a {@code DurableListener}), so
 * committed at or above an offset also means that offset is on this node's disk.
 */
final class CommitTracker {
    private static final CompletableFuture<Void> DONE = CompletableFuture.completedFuture(null);

    /**
     * A wait for the committed offset to reach {@link #commitOffset()}. Told exactly once, on the
     * thread that moved the offset there (the log thread, an ack, a role change), outside the lock:
     * it must be short.
     */
    interface Waiter {
        long commitOffset();

        void committed();

        void failed(Throwable cause);
    }

    /**
     * Guards every field below but committed's reads, and the waiters. Held only for a few field
     * updates and heap operations, never while a waiter runs.
     */
    private final Object lock = new Object();

    private long localDurable;
    private long peerAcked;
    private boolean needPeer;
    /** Written under lock only, read without it: the committed offset, monotone within a term. */
    private volatile long committed;
    /** Waiters above committed, smallest offset first (offsets arrive almost in order: cheap adds). */
    private final PriorityQueue<Waiter> waiters =
            new PriorityQueue<>((a, b) -> Long.compare(a.commitOffset(), b.commitOffset()));

    long committed() {
        return committed;
    }

    long localDurable() {
        synchronized (lock) {
            return localDurable;
        }
    }

    long peerAcked() {
        synchronized (lock) {
            return peerAcked;
        }
    }

    boolean needsPeer() {
        synchronized (lock) {
            return needPeer;
        }
    }

    /**
     * A new term as primary (or the start): alone, locally durable through exactly durableNow.
     * Exact, not a maximum: a tail this node held in an earlier term may have been cut since.
     */
    void startTerm(long durableNow) {
        List<Waiter> ready;
        synchronized (lock) {
            needPeer = false;
            peerAcked = 0;
            localDurable = durableNow;
            committed = durableNow;
            ready = readyLocked();
        }
        tell(ready, null);
    }

    /** Everything up to offset is on the local disk per the fsync policy. */
    void localDurable(long offset) {
        List<Waiter> ready;
        synchronized (lock) {
            if (offset <= localDurable) {
                return;
            }
            localDurable = offset;
            ready = advanceLocked();
        }
        tell(ready, null);
    }

    /** The backup holds everything up to offset, applied and durable. */
    void peerAcked(long offset) {
        List<Waiter> ready;
        synchronized (lock) {
            if (offset <= peerAcked) {
                return;
            }
            peerAcked = offset;
            ready = advanceLocked();
        }
        tell(ready, null);
    }

    /**
     * Switches the rule. With need, peerAckedNow is the backup's offset at the switch (a new
     * session may start lower than an old one's acks).
     */
    void requirePeer(boolean need, long peerAckedNow) {
        List<Waiter> ready;
        synchronized (lock) {
            needPeer = need;
            peerAcked = peerAckedNow;
            ready = advanceLocked();
        }
        tell(ready, null);
    }

    /** Tells w once committed reaches its offset: at once, on this thread, if it already has. */
    void await(Waiter w) {
        if (w.commitOffset() > committed) {
            synchronized (lock) {
                if (w.commitOffset() > committed) {
                    waiters.add(w);
                    return;
                }
            }
        }
        w.committed();
    }

    /** Completes once committed reaches offset. */
    CompletableFuture<Void> await(long offset) {
        if (offset <= committed) {
            return DONE;
        }
        OffsetFuture f = new OffsetFuture(offset);
        await(f);
        return f;
    }

    /** Fails every waiter (backup lost under require-backup, fenced, shut down). */
    void failWaiters(Throwable cause) {
        failAbove(-1, cause);
    }

    /** Fails the waiters above offset (the local log failed there); the others go on waiting. */
    void failAbove(long offset, Throwable cause) {
        List<Waiter> failed = new ArrayList<>();
        synchronized (lock) {
            Waiter w;
            List<Waiter> kept = new ArrayList<>();
            while ((w = waiters.poll()) != null) {
                (w.commitOffset() > offset ? failed : kept).add(w);
            }
            waiters.addAll(kept);
        }
        tell(failed, cause);
    }

    private List<Waiter> advanceLocked() {
        long candidate = needPeer ? Math.min(localDurable, peerAcked) : localDurable;
        if (candidate <= committed) {
            return null;
        }
        committed = candidate;
        return readyLocked();
    }

    private List<Waiter> readyLocked() {
        Waiter head = waiters.peek();
        if (head == null || head.commitOffset() > committed) {
            return null;
        }
        List<Waiter> ready = new ArrayList<>();
        while ((head = waiters.peek()) != null && head.commitOffset() <= committed) {
            ready.add(waiters.poll());
        }
        return ready;
    }

    private static void tell(List<Waiter> ready, Throwable cause) {
        if (ready == null) {
            return;
        }
        for (Waiter w : ready) {
            if (cause == null) {
                w.committed();
            } else {
                w.failed(cause);
            }
        }
    }

    /** A linearizable read's or a handover's wait: the future is the waiter. */
    private static final class OffsetFuture extends CompletableFuture<Void> implements Waiter {
        private final long offset;

        OffsetFuture(long offset) {
            this.offset = offset;
        }

        @Override
        public long commitOffset() {
            return offset;
        }

        @Override
        public void committed() {
            complete(null);
        }

        @Override
        public void failed(Throwable cause) {
            completeExceptionally(cause);
        }
    }
}
