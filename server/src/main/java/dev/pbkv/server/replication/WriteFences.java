package dev.pbkv.server.replication;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Supplier;
import java.util.stream.IntStream;

/**
 * The write gate, one stripe per map bucket. A client write holds the read side of its key's
 * stripe while it checks that this node takes writes, applies, and registers its commit wait
 * (all in memory: the store's apply hands the record to the log writer and does not wait for the
 * disk). A fence takes the write side: while it is held no write to the fenced buckets is
 * half-way, so the store's last offset is a cut for them.
 *
 * <p>Rule: a fence is held only across in-memory work (reading the cut, flipping a flag,
 * computing a digest), never across a log read, a network send or a wait. Client writes run on
 * the doors' event loops and take the read side; holding the write side across I/O would stall
 * every connection on those loops. {@link #cut} is the only way to fence a bucket, and it takes
 * what to compute, so the work under the fence is visible at the call.
 *
 * <p>Threads: {@link #enter} on any thread (event loops included); {@link #cut} on the primary's
 * sender thread; {@link #fenceAll} on the control thread.
 */
final class WriteFences {
    private final ReentrantReadWriteLock[] stripes;

    WriteFences(int buckets) {
        stripes = new ReentrantReadWriteLock[buckets];
        for (int i = 0; i < buckets; i++) {
            stripes[i] = new ReentrantReadWriteLock();
        }
    }

    /** A client write enters its bucket's stripe; it unlocks the returned lock when applied and registered. */
    Lock enter(int bucket) {
        Lock l = stripes[bucket].readLock();
        l.lock();
        return l;
    }

    /**
     * A batch enters the stripes of every bucket it writes, in ascending order (as {@link #fenceAll}
     * takes them, so the two never deadlock); it unlocks the returned lock when applied and registered.
     */
    Lock enterBuckets(IntStream buckets) {
        int[] ordered = buckets.distinct().sorted().toArray();
        for (int b : ordered) {
            stripes[b].readLock().lock();
        }
        return new EnteredStripes(ordered);
    }

    /** The read sides a batch holds; only {@link #unlock} is meant to be called. */
    private final class EnteredStripes implements Lock {
        private final int[] buckets;

        EnteredStripes(int[] buckets) {
            this.buckets = buckets;
        }

        @Override
        public void unlock() {
            for (int i = buckets.length - 1; i >= 0; i--) {
                stripes[buckets[i]].readLock().unlock();
            }
        }

        @Override
        public void lock() {
            throw new UnsupportedOperationException("entered by enterBuckets");
        }

        @Override
        public void lockInterruptibly() {
            throw new UnsupportedOperationException("entered by enterBuckets");
        }

        @Override
        public boolean tryLock() {
            throw new UnsupportedOperationException("entered by enterBuckets");
        }

        @Override
        public boolean tryLock(long time, TimeUnit unit) {
            throw new UnsupportedOperationException("entered by enterBuckets");
        }

        @Override
        public Condition newCondition() {
            throw new UnsupportedOperationException("entered by enterBuckets");
        }
    }

    /**
     * Computes work with writes to one bucket fenced (or, with bucket -1, to every bucket): no
     * write to them is half-way and none starts until work returns. work must be in-memory only.
     */
    <T> T cut(int bucket, Supplier<T> work) {
        Runnable unfence = bucket < 0 ? fenceAll() : fenceBucket(bucket);
        try {
            return work.get();
        } finally {
            unfence.run();
        }
    }

    private Runnable fenceBucket(int bucket) {
        Lock l = stripes[bucket].writeLock();
        l.lock();
        return l::unlock;
    }

    /**
     * Holds off every write (stripes taken in order, so two fences never deadlock); returns the
     * release. For step-down and shutdown: no write slips in after this node stopped taking writes
     * (its future would otherwise wait on a commit rule the node left). Hold it only to flip state.
     */
    Runnable fenceAll() {
        for (ReentrantReadWriteLock stripe : stripes) {
            stripe.writeLock().lock();
        }
        return () -> {
            for (int i = stripes.length - 1; i >= 0; i--) {
                stripes[i].writeLock().unlock();
            }
        };
    }
}
