package dev.pbkv.store.log;

import dev.pbkv.store.DurableListener;
import dev.pbkv.store.FsyncPolicy;
import dev.pbkv.store.LogRecord;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.PriorityQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import java.util.function.LongConsumer;

/**
 * Group commit over a {@link SegmentedLog}. Writers {@link #enqueue} encoded records into an
 * in-memory batch (no system call on their thread); one named log thread swaps the batch out,
 * writes it with one system call, forces it per the policy and completes every
 * {@link #whenDurable} future the force covers. Records queued while a force runs form the next
 * batch, so one force covers every record queued behind it. Under EVERYSEC the once-a-second
 * force runs on a thread of its own ({@code <log thread>-force}) while the log thread goes on
 * writing, as Redis's background fsync does. Under NO an event loop may write its own turn's
 * records instead ({@link #expectWrite}, {@link #writeExpected}): no wake of the log thread and no
 * hop back to the loop for the answer, and still written to the OS before anyone is answered.
 *
 * <p>A write or force failure (a full disk) is sticky: every waiting and later future fails with
 * that IOException, queued records are dropped, and {@link #failure()} lets the store refuse new
 * writes before it changes anything.
 */
public final class GroupCommitLog implements AutoCloseable {
    /** A writer waits (backpressure) while this many bytes are queued and not yet written. */
    static final int MAX_QUEUED_BYTES = 16 << 20;

    private static final long EVERYSEC_NANOS = TimeUnit.SECONDS.toNanos(1);
    /** How long the log thread leaves queued records to a writer that said it would write them. */
    private static final long EXPECTED_WRITE_GRACE_NANOS = TimeUnit.MILLISECONDS.toNanos(10);

    private record Waiter(long offset, CompletableFuture<Void> future) {}

    private final SegmentedLog log;
    private final FsyncPolicy policy;
    private final LongConsumer onBytesWritten;
    private final LongConsumer onFailure;
    private final Thread thread;

    /** Guards every field marked "lock" below; the two conditions hang off it. */
    private final ReentrantLock lock = new ReentrantLock();
    /** Signalled when records are queued or close begins; the log thread waits on it. */
    private final Condition work = lock.newCondition();
    /** Signalled after each batch is written or the log fails; writers wait for room, flushers for progress. */
    private final Condition progress = lock.newCondition();
    /** lock: the batch the log thread failed to write (kept so its records can be undone). */
    private Batch failedBatch;
    /** lock: the batch writers fill. */
    private Batch filling = new Batch();
    /** lock: the other batch, null while the log thread writes it. */
    private Batch spare = new Batch();
    /** lock: futures of whenDurable not yet covered, smallest offset first. */
    private final PriorityQueue<Waiter> waiters = new PriorityQueue<>((a, b) -> Long.compare(a.offset, b.offset));
    /** lock: the offset of the last record queued. */
    private long queuedOffset;
    /** lock: set by close; the log thread writes what is queued, forces and exits. */
    private boolean closing;
    /** lock: bumped by resetTo so a batch written before it cannot move the offsets after it. */
    private long generation;

    /** Last offset written to the OS. Written under lock by the log thread and resetTo; read freely. */
    private volatile long writtenOffset;
    /** Last offset whenDurable has promised (forced for ALWAYS, written otherwise). Same rules. */
    private volatile long durableOffset;
    /** The first write or force failure; sticky. Written under lock. */
    private volatile IOException failure;
    /** Told once per batch how far the log is durable (see {@link #setDurableListener}). */
    private volatile DurableListener durableListener = DurableListener.NONE;
    /**
     * Held by whoever writes a batch to the files, from taking it until its offsets are published
     * and the listener told: the log thread, or under fsync no a thread writing its own records
     * ({@link #writeExpected}), which only ever tries it. Taken before {@link #lock}, never after.
     */
    private final ReentrantLock writer = new ReentrantLock();
    /** lock: {@link #expectWrite} calls whose {@link #writeExpected} has not run; records need not wake the log thread meanwhile. */
    private int expectedWrites;
    /** Forces done (a test checks group commit: fewer forces than records). */
    private final AtomicLong forces = new AtomicLong();
    /**
     * EVERYSEC only (else null): forces the log about once a second on a thread of its own, so the
     * log thread goes on writing meanwhile (a force never holds up appends: SegmentedLog.force).
     */
    private final ExecutorService forcer;
    /** lock: a background force is running; the log thread starts no other. */
    private boolean forcing;
    /** lock: the background force's failure, for the log thread to fail the log with. */
    private IOException forceFailure;

    /**
     * Starts the log thread. lastOffset is the offset of the last record already in the log;
     * onBytesWritten is called on the log thread with the size of each batch written; onFailure
     * is called on the log thread after a write failure, with the last offset the files hold,
     * before the failed futures complete (the store undoes the unlogged writes there, see
     * {@link #unloggedAfter}).
     */
    public GroupCommitLog(
            SegmentedLog log,
            FsyncPolicy policy,
            long lastOffset,
            String threadName,
            LongConsumer onBytesWritten,
            LongConsumer onFailure) {
        this.log = log;
        this.policy = policy;
        this.onBytesWritten = onBytesWritten;
        this.onFailure = onFailure;
        this.queuedOffset = lastOffset;
        this.writtenOffset = lastOffset;
        this.durableOffset = lastOffset;
        this.thread = new Thread(this::run, threadName);
        thread.setDaemon(true);
        this.forcer = policy == FsyncPolicy.EVERYSEC
                ? Executors.newSingleThreadExecutor(r -> {
                    Thread t = new Thread(r, threadName + "-force");
                    t.setDaemon(true);
                    return t;
                })
                : null;
        thread.start();
    }

    /**
     * Sets who is told, on the thread that wrote the batch (the log thread, or a thread in
     * {@link #writeExpected}) and once per batch rather than once per record, the offset the log
     * is now durable through, and the failure once it fails. Cheaper than a
     * {@link #whenDurable} future per record on the write path. The listener must be short and
     * never block on this log.
     */
    public void setDurableListener(DurableListener listener) {
        this.durableListener = listener == null ? DurableListener.NONE : listener;
    }

    public SegmentedLog segments() {
        return log;
    }

    /**
     * Queues a record for the log thread. Cheap: encodes into the batch under a short lock and
     * signals the thread. Blocks only while {@link #MAX_QUEUED_BYTES} wait to be written. After
     * a failure the record is kept in memory only, for {@link #unloggedAfter} (its whenDurable
     * future fails).
     */
    public void enqueue(LogRecord rec) {
        lock.lock();
        try {
            while (filling.bytes() >= MAX_QUEUED_BYTES && failure == null && !closing) {
                progress.awaitUninterruptibly();
            }
            // Only the record that makes the batch non-empty wakes the log thread: it waits only on
            // an empty batch, and later records join the batch it was already woken for (one futex
            // wake per batch, not one per record).
            boolean wasEmpty = filling.isEmpty();
            filling.add(rec);
            if (wasEmpty && expectedWrites == 0) {
                work.signal();
            }
            queuedOffset = rec.offset();
        } finally {
            lock.unlock();
        }
    }

    /** Completes once offset is durable per the policy; fails with the log's IOException if it cannot be. */
    public CompletableFuture<Void> whenDurable(long offset) {
        if (offset <= durableOffset) {
            return CompletableFuture.completedFuture(null);
        }
        lock.lock();
        try {
            if (offset <= durableOffset) {
                return CompletableFuture.completedFuture(null);
            }
            if (failure != null) {
                return CompletableFuture.failedFuture(failure);
            }
            CompletableFuture<Void> f = new CompletableFuture<>();
            waiters.add(new Waiter(offset, f));
            return f;
        } finally {
            lock.unlock();
        }
    }

    public long durableOffset() {
        return durableOffset;
    }

    public long writtenOffset() {
        return writtenOffset;
    }

    public IOException failure() {
        return failure;
    }

    public long forceCount() {
        return forces.get();
    }

    /**
     * After a failure: the queued records above offset that never reached the files, in order
     * (from the batch that failed and the one filling). The caller holds the store's write lock,
     * so no record is being queued meanwhile.
     */
    public List<LogRecord> unloggedAfter(long offset) throws IOException {
        lock.lock();
        try {
            List<LogRecord> out = new ArrayList<>();
            for (Batch b : new Batch[] {failedBatch, filling}) {
                if (b == null) {
                    continue;
                }
                for (LogRecord rec : b.decode()) {
                    if (rec.offset() > offset) {
                        out.add(rec);
                    }
                }
            }
            return out;
        } finally {
            lock.unlock();
        }
    }

    /** Waits until every record up to offset is written to the OS. */
    public void awaitWritten(long offset) throws IOException {
        lock.lock();
        try {
            while (writtenOffset < offset && failure == null) {
                if (!thread.isAlive()) {
                    throw new IOException("log is closed");
                }
                progress.awaitUninterruptibly();
            }
            if (writtenOffset < offset) {
                throw new IOException("log failed: " + failure.getMessage(), failure);
            }
        } finally {
            lock.unlock();
        }
    }

    /** Waits until everything queued is written and durable per the policy (the log thread is then idle). */
    public void drain() throws IOException {
        lock.lock();
        try {
            while (durableOffset < queuedOffset && failure == null) {
                if (!thread.isAlive()) {
                    throw new IOException("log is closed");
                }
                progress.awaitUninterruptibly();
            }
            if (failure != null) {
                throw new IOException("log failed: " + failure.getMessage(), failure);
            }
        } finally {
            lock.unlock();
        }
        // The listener is told under writer: once it is free, no notice from before this drain
        // is still on its way (a cut of the log follows, and must not be overtaken by one).
        writer.lock();
        writer.unlock();
    }

    /** Waits until offset is written, then forces the log whatever the policy (the snapshot barrier). */
    public void forceThrough(long offset) throws IOException {
        awaitWritten(offset);
        if (log.force()) {
            forces.incrementAndGet();
        }
    }

    /**
     * After the caller has drained the log and replaced its tail (truncation, snapshot install),
     * restarts the offsets at offset. Waiters above it fail: their records are gone.
     */
    public void resetTo(long offset) {
        List<Waiter> dropped = new ArrayList<>();
        lock.lock();
        try {
            generation++;
            queuedOffset = offset;
            writtenOffset = offset;
            durableOffset = offset;
            while (!waiters.isEmpty()) {
                dropped.add(waiters.poll());
            }
        } finally {
            lock.unlock();
        }
        IOException gone = new IOException("record discarded: the log was cut back to offset " + offset);
        for (Waiter w : dropped) {
            if (w.offset <= offset) {
                w.future.complete(null);
            } else {
                w.future.completeExceptionally(gone);
            }
        }
    }

    private void run() {
        long lastForce = System.nanoTime();
        boolean unforced = false;
        List<Waiter> ready = new ArrayList<>();
        while (true) {
            lock.lock();
            try {
                while (filling.isEmpty() && !closing && forceFailure == null && failure == null) {
                    if (policy == FsyncPolicy.EVERYSEC && unforced && !forcing) {
                        long wait = lastForce + EVERYSEC_NANOS - System.nanoTime();
                        if (wait <= 0) {
                            break;
                        }
                        work.awaitNanos(wait);
                    } else if (expectedWrites > 0) {
                        // A writer thread said it will write what is queued, so nothing signals; should
                        // it never come (its event loop shut down), what is queued goes out here at the
                        // next look, a moment later.
                        work.awaitNanos(EXPECTED_WRITE_GRACE_NANOS);
                    } else {
                        work.awaitUninterruptibly();
                    }
                }
                if (failure != null) {
                    break; // a writer thread failed the log (fail() has run)
                }
            } catch (InterruptedException e) {
                // Only close stops this thread; an interrupt just wakes it.
                continue;
            } finally {
                lock.unlock();
            }
            boolean exiting;
            writer.lock();
            try {
                Batch batch;
                long gen;
                IOException backgroundFailure;
                lock.lock();
                try {
                    if (failure != null) {
                        break;
                    }
                    exiting = closing && filling.isEmpty();
                    backgroundFailure = forceFailure;
                    gen = generation;
                    batch = takeBatch();
                } finally {
                    lock.unlock();
                }
                if (backgroundFailure != null) {
                    fail(batch, backgroundFailure, true, ready); // batch is not written: its records are undone
                    break;
                }
                long written = -1;
                boolean forced = false;
                boolean inForce = false;
                IOException error = null;
                try {
                    written = append(batch);
                    if (written >= 0) {
                        unforced = true;
                    }
                    long now = System.nanoTime();
                    boolean force = unforced && (policy == FsyncPolicy.ALWAYS || exiting);
                    if (unforced
                            && !exiting
                            && policy == FsyncPolicy.EVERYSEC
                            && now - lastForce >= EVERYSEC_NANOS
                            && startBackgroundForce()) {
                        // Covers everything written so far; what is written during it waits for the next.
                        lastForce = now;
                        unforced = false;
                    }
                    if (force) {
                        inForce = true;
                        if (log.force()) {
                            forces.incrementAndGet();
                        }
                        inForce = false;
                        lastForce = now;
                        unforced = false;
                        forced = true;
                    }
                } catch (IOException | RuntimeException e) {
                    error = e instanceof IOException io ? io : new IOException(e);
                }
                if (error != null) {
                    fail(batch, error, inForce, ready);
                    break;
                }
                publish(batch, gen, written, forced, ready);
            } finally {
                writer.unlock();
            }
            complete(ready);
            if (exiting) {
                break;
            }
        }
        stopForcer();
    }

    /**
     * Fsync no only: the caller (an event loop, before its first write of a turn) will call
     * {@link #writeExpected} once at the end of that turn, so records queued meanwhile need not
     * wake the log thread: the caller writes them itself and answers them in the same turn, as
     * Redis writes its AOF before it replies. Whether the caller must call writeExpected.
     */
    public boolean expectWrite() {
        if (policy != FsyncPolicy.NO) {
            return false;
        }
        lock.lock();
        try {
            if (failure != null || closing) {
                return false;
            }
            expectedWrites++;
            return true;
        } finally {
            lock.unlock();
        }
    }

    /**
     * After {@link #expectWrite}: writes what is queued on this thread, unless another thread is
     * writing (then the log thread takes it; this thread never waits for a writer).
     */
    public void writeExpected() {
        lock.lock();
        try {
            expectedWrites--;
            if (filling.isEmpty()) {
                return;
            }
            if (failure != null || closing || !writer.tryLock()) {
                work.signal();
                return;
            }
        } finally {
            lock.unlock();
        }
        List<Waiter> ready = new ArrayList<>();
        try {
            Batch batch;
            long gen;
            lock.lock();
            try {
                gen = generation;
                batch = takeBatch();
            } finally {
                lock.unlock();
            }
            long written;
            try {
                written = append(batch);
            } catch (IOException | RuntimeException e) {
                fail(batch, e instanceof IOException io ? io : new IOException(e), false, ready);
                return;
            }
            publish(batch, gen, written, false, ready);
        } finally {
            writer.unlock();
        }
        complete(ready);
    }

    /** lock, writer: the batch to write; writers fill the spare from now on. */
    private Batch takeBatch() {
        Batch batch = filling;
        filling = spare;
        spare = null;
        progress.signalAll();
        return batch;
    }

    /** writer: writes the batch to the files; its last offset, or -1 when it was empty. */
    private long append(Batch batch) throws IOException {
        if (batch.isEmpty()) {
            return -1;
        }
        int bytes = batch.bytes();
        log.append(batch);
        onBytesWritten.accept(bytes);
        return batch.lastOffset;
    }

    /**
     * writer: after a batch was written (forced, if forced): publishes the offsets unless the
     * log was reset meanwhile, moves the covered waiters to ready and tells the listener, still
     * holding writer so notices stay in order and drain() can wait for them.
     */
    private void publish(Batch batch, long gen, long written, boolean forced, List<Waiter> ready) {
        batch.clear();
        long advancedTo = -1;
        lock.lock();
        try {
            spare = batch;
            if (gen == generation) {
                if (written >= 0) {
                    writtenOffset = written;
                }
                long durable = policy == FsyncPolicy.ALWAYS ? (forced ? writtenOffset : durableOffset) : writtenOffset;
                if (durable > durableOffset) {
                    advancedTo = durable;
                }
                durableOffset = durable;
                while (!waiters.isEmpty() && waiters.peek().offset <= durable) {
                    ready.add(waiters.poll());
                }
            }
            progress.signalAll();
        } finally {
            lock.unlock();
        }
        if (advancedTo >= 0) {
            long through = advancedTo;
            tell(l -> l.durableThrough(through));
        }
    }

    /** No lock held: completes the whenDurable futures publish() found covered. */
    private static void complete(List<Waiter> ready) {
        for (Waiter w : ready) {
            w.future.complete(null);
        }
        ready.clear();
    }

    /** Log thread: a listener that throws must not stop the log. */
    private void tell(Consumer<DurableListener> notice) {
        try {
            notice.accept(durableListener);
        } catch (RuntimeException e) {
            Thread t = Thread.currentThread();
            t.getUncaughtExceptionHandler().uncaughtException(t, e);
        }
    }

    /** Log thread, EVERYSEC: hands a force to the forcer unless one is running; whether it did. */
    private boolean startBackgroundForce() {
        lock.lock();
        try {
            if (forcing) {
                return false;
            }
            forcing = true;
        } finally {
            lock.unlock();
        }
        forcer.execute(() -> {
            IOException failed = null;
            try {
                if (log.force()) {
                    forces.incrementAndGet();
                }
            } catch (IOException | RuntimeException e) {
                failed = e instanceof IOException io ? io : new IOException(e);
            }
            lock.lock();
            try {
                forcing = false;
                if (failed != null && forceFailure == null) {
                    forceFailure = failed;
                }
                work.signal(); // the log thread may wait for this force to end, or must fail the log
            } finally {
                lock.unlock();
            }
        });
        return true;
    }

    /** Log thread, on its way out: lets a background force finish, so none runs after the log closes. */
    private void stopForcer() {
        if (forcer == null) {
            return;
        }
        forcer.shutdown();
        boolean interrupted = false;
        while (true) {
            try {
                if (forcer.awaitTermination(1, TimeUnit.MINUTES)) {
                    break;
                }
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * The log thread after a write or force failure. What the files hold (up to the last whole
     * chunk written; partial bytes are cut) is forced if possible, so those records stay
     * durable; then the failure is published (writers now fail fast), the store undoes the
     * records that never reached the files, and only then do the waiting futures complete:
     * normally up to what is durable, with the error above it.
     */
    private void fail(Batch batch, IOException error, boolean forceFailed, List<Waiter> ready) {
        long held;
        boolean forced;
        if (forceFailed) {
            // A failed fsync may have dropped the dirty pages and cleared the error (Linux does):
            // a second force proves nothing, so nothing written since the last good one is forced.
            held = log.lastOffset();
            forced = false;
        } else {
            try {
                held = log.discardPartialWrite();
                forced = true;
                if (log.force()) {
                    forces.incrementAndGet();
                }
            } catch (IOException | RuntimeException e) {
                error.addSuppressed(e);
                held = log.lastOffset();
                forced = false;
            }
        }
        lock.lock();
        try {
            failure = error;
            failedBatch = batch;
            writtenOffset = Math.max(writtenOffset, held);
            if (forced || policy != FsyncPolicy.ALWAYS) {
                durableOffset = Math.max(durableOffset, held);
            }
            while (!waiters.isEmpty()) {
                ready.add(waiters.poll());
            }
            progress.signalAll();
            work.signalAll(); // the log thread exits, if a writer thread failed the log
        } finally {
            lock.unlock();
        }
        try {
            onFailure.accept(held);
        } catch (RuntimeException e) {
            error.addSuppressed(e);
        }
        long durable = durableOffset;
        tell(l -> l.failed(durable, error));
        for (Waiter w : ready) {
            if (w.offset <= durable) {
                w.future.complete(null);
            } else {
                w.future.completeExceptionally(error);
            }
        }
    }

    /** Writes what is queued, forces it whatever the policy, and stops the log thread. */
    @Override
    public void close() {
        lock.lock();
        try {
            closing = true;
            work.signalAll();
            progress.signalAll();
        } finally {
            lock.unlock();
        }
        if (Thread.currentThread() == thread) {
            return; // closed from a whenDurable callback: the thread exits after this batch
        }
        boolean interrupted = false;
        while (thread.isAlive()) {
            try {
                thread.join();
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }
}
