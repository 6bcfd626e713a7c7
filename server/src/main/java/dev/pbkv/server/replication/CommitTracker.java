package dev.pbkv.server.replication;

import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentSkipListMap;

/**
 * The primary's commit rule: the committed offset is what a failover can no longer lose. With a
 * peer required (SYNC, or an attached backup under require-backup) it is min(local durable,
 * backup acked); alone it is the local durable offset. It never goes down, so a value a reader
 * saw stays visible. Futures of writes and linearizable reads wait here for their offset.
 */
final class CommitTracker {
    private static final CompletableFuture<Void> DONE = CompletableFuture.completedFuture(null);

    /** Guards localDurable, peerAcked, needPeer and the computation of committed from them. */
    private final Object lock = new Object();

    private long localDurable;
    private long peerAcked;
    private boolean needPeer;
    /** Written under lock only, read without it: the committed offset, monotone. */
    private volatile long committed;
    /** Offset -> the future completed once committed reaches it; entries at or below committed are being released. */
    private final ConcurrentSkipListMap<Long, CompletableFuture<Void>> waiters = new ConcurrentSkipListMap<>();

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

    /** Everything up to offset is on the local disk per the fsync policy. */
    void localDurable(long offset) {
        long c;
        synchronized (lock) {
            if (offset <= localDurable) {
                return;
            }
            localDurable = offset;
            c = advanceLocked();
        }
        release(c);
    }

    /** The backup holds everything up to offset, applied and durable. */
    void peerAcked(long offset) {
        long c;
        synchronized (lock) {
            if (offset <= peerAcked) {
                return;
            }
            peerAcked = offset;
            c = advanceLocked();
        }
        release(c);
    }

    /**
     * Switches the rule. With need, peerAckedNow is the backup's offset at the switch (a new
     * session may start lower than an old one's acks).
     */
    void requirePeer(boolean need, long peerAckedNow) {
        long c;
        synchronized (lock) {
            needPeer = need;
            peerAcked = peerAckedNow;
            c = advanceLocked();
        }
        release(c);
    }

    /** Completes once committed reaches offset. */
    CompletableFuture<Void> await(long offset) {
        if (offset <= committed) {
            return DONE;
        }
        CompletableFuture<Void> f = waiters.computeIfAbsent(offset, o -> new CompletableFuture<>());
        // committed may have passed offset between the check and the insertion: release again.
        release(committed);
        return f;
    }

    /** Fails every waiter (backup lost under require-backup, fenced, shut down). */
    void failWaiters(Throwable cause) {
        Map.Entry<Long, CompletableFuture<Void>> e;
        while ((e = waiters.pollFirstEntry()) != null) {
            e.getValue().completeExceptionally(cause);
        }
    }

    private long advanceLocked() {
        long candidate = needPeer ? Math.min(localDurable, peerAcked) : localDurable;
        if (candidate > committed) {
            committed = candidate;
        }
        return committed;
    }

    private void release(long upTo) {
        Map.Entry<Long, CompletableFuture<Void>> e;
        while ((e = waiters.firstEntry()) != null && e.getKey() <= upTo) {
            if (waiters.remove(e.getKey(), e.getValue())) {
                e.getValue().complete(null);
            }
        }
    }
}
