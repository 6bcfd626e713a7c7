package dev.pbkv.store;

import java.nio.file.Path;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Where a store's history stands (the last offset, its record's epoch, the node's epoch, the end of
 * a fuzzy snapshot loaded, whether the store is closed) and the two locks that order every change
 * to it. Shared by {@link Store} and the classes that change the history on its behalf
 * ({@link SnapshotManager}, {@link TailTruncation}, {@link UnloggedWriteRollback}).
 *
 * <p>Lock order: maintenanceLock, then writeLock, then {@link SnapshotManager}'s retention lock;
 * never the other way round.
 */
final class HistoryHead {
    final Path dir;
    /**
     * The write lock. Its holder changes the map, takes the next offset and queues the record on
     * the log, in that order and without letting go: so offsets are contiguous and the log's
     * order is the order the map changed. Guards lastOffset, lastEpoch and epoch writes.
     */
    final ReentrantLock writeLock = new ReentrantLock();
    /**
     * Held for the whole of a snapshot write, {@link TailTruncation#truncateAfter} and
     * {@link SnapshotManager#install}: each changes the snapshot files and the log's base and they
     * must not interleave (a snapshot of a map being rebuilt would be wrong). Always taken before
     * writeLock, never while holding it.
     */
    final ReentrantLock maintenanceLock = new ReentrantLock();

    /** Offset of the newest record applied (written under writeLock, read freely). */
    volatile long lastOffset;
    /** Epoch of the record at lastOffset (under writeLock). */
    volatile long lastEpoch;
    /** The node's epoch: stamped on new records, raised durably by raiseEpoch (under writeLock). */
    volatile long epoch;
    /**
     * The highest offset whose effect the map may hold beyond lastOffset: the end offset of a
     * fuzzy snapshot loaded at recovery or install (the map is exact once lastOffset reaches it).
     * A snapshot written later carries it on as its own end offset. Under writeLock/maintenanceLock,
     * and always before lastOffset: {@link Store#isConsistentPrefix} reads them the other way round.
     */
    volatile long fuzzyEnd;
    /** Set under writeLock by close; writes after it fail. */
    volatile boolean closed;

    HistoryHead(Path dir, long lastOffset, long lastEpoch, long epoch, long fuzzyEnd) {
        this.dir = dir;
        this.lastOffset = lastOffset;
        this.lastEpoch = lastEpoch;
        this.epoch = epoch;
        this.fuzzyEnd = fuzzyEnd;
    }

    /** Throws IllegalStateException once the store is closed. Call under writeLock to keep it so. */
    void requireOpen() {
        if (closed) {
            throw new IllegalStateException("store " + dir + " is closed");
        }
    }
}
