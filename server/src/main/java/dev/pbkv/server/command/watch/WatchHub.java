package dev.pbkv.server.command.watch;

import dev.pbkv.server.command.ErrorCode;
import dev.pbkv.server.command.Reply;
import dev.pbkv.server.replication.Replicator;
import dev.pbkv.server.role.Role;
import dev.pbkv.store.LogRecord;
import dev.pbkv.store.Store;
import dev.pbkv.store.TailNotRetainedException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Feeds every watcher of this node from the retained log, on one thread ("pbkv-watch"). The write
 * path does nothing for watchers: this thread reads records the log already holds, only up to the
 * committed offset (a change a watcher sees can no longer be lost by a failover), and hands the
 * matching changes to each watcher's bounded buffer ({@link Watch}) without ever waiting for a
 * door. Watchers at the same position share one read; a watcher that starts from an older offset
 * reads its own way up until it meets the others.
 *
 * <p>Order: a watcher's changes are offered in offset order, each record's changes in their
 * order, because this one thread reads the log in order and advances each watcher's position only
 * past what it offered (WatchHubTest, WatchIT prove it, across a failover too).
 *
 * <p>Threads: open() and wake() may be called from any thread; everything else runs on the watch
 * thread. The thread starts with the first watch and stops in {@link #close}.
 */
public final class WatchHub implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(WatchHub.class);
    /** Records read from the log at once per position. */
    static final int READ_BATCH = 512;
    /** Wake-up without news: role checks, stale watchers on a backup, progress messages. */
    private static final long TICK_NANOS = TimeUnit.MILLISECONDS.toNanos(50);

    private final Store store;
    private final Replicator replicator;
    private final long bufferBytes;
    private final LongSupplier nanoTime;
    /** Opened watches not yet seen by the watch thread. */
    private final ConcurrentLinkedQueue<Watch> joining = new ConcurrentLinkedQueue<>();
    /** The watch thread's watchers; that thread only. */
    private final List<Watch> watches = new ArrayList<>();
    /** watches.size() for other threads; written by the watch thread only. */
    private volatile int watchCount;
    /** The commit future the watch thread waits on, by offset, so one offset registers one callback. */
    private long awaitingCommitOf = -1;

    /** Guards thread (started once) and closed. */
    private final Object lifecycle = new Object();

    private Thread thread;
    private volatile boolean closed;

    public WatchHub(Store store, Replicator replicator, long bufferBytes, LongSupplier nanoTime) {
        this.store = store;
        this.replicator = replicator;
        this.bufferBytes = bufferBytes;
        this.nanoTime = nanoTime;
    }

    /**
     * Opens a watch of the keys filter matches, from startOffset (0: from the next committed
     * change). listener is called on the watch thread whenever the watch has something to take
     * or ended; it must only schedule the door's work. The caller checked that this node may
     * serve it (the command layer's read rule); fails with OUT_OF_RANGE when the log no longer
     * holds startOffset.
     */
    public Reply<Watch> open(ChangeFilter filter, long startOffset, boolean allowStale, Runnable listener) {
        if (startOffset < 0) {
            return Reply.failure(ErrorCode.INVALID_ARGUMENT, "start offset " + startOffset + " is negative");
        }
        long committed = replicator.committedOffset();
        long after = startOffset == 0 ? committed : startOffset - 1;
        long base = store.logBaseOffset();
        if (after < base) {
            return Reply.failure(ErrorCode.OUT_OF_RANGE, notRetained(startOffset, base, committed));
        }
        Watch w = new Watch(filter, allowStale, after, bufferBytes, listener, nanoTime);
        synchronized (lifecycle) {
            if (closed) {
                return Reply.failure(ErrorCode.UNAVAILABLE, "this node is shutting down");
            }
            if (thread == null) {
                thread = new Thread(this::run, "pbkv-watch");
                thread.setDaemon(true);
                thread.start();
            }
        }
        joining.add(w);
        wake();
        return Reply.success(w);
    }

    /** How many watches are open (metrics, tests). */
    public int watching() {
        return watchCount + joining.size();
    }

    private static String notRetained(long startOffset, long base, long committed) {
        return "the log no longer holds offset " + startOffset + " (a snapshot compacted it; the log starts after "
                + base + "): re-read the keys, then watch again from offset " + (committed + 1)
                + " (the committed offset + 1)";
    }

    /** Why a running watch ends when this node stops serving it (stepped down, switchover, suspended). */
    private Reply.Failure<Void> stoppedServing(Watch w) {
        return new Reply.Failure<>(
                ErrorCode.UNAVAILABLE,
                "this node (now " + replicator.role() + " in state " + replicator.state()
                        + ") no longer serves this watch; watch again from offset " + (w.through() + 1)
                        + (w.allowStale() ? "" : " on the primary"),
                replicator.primaryAddress());
    }

    /** Makes the watch thread look again (a watch opened, a commit advanced). */
    void wake() {
        Thread t;
        synchronized (lifecycle) {
            t = thread;
        }
        if (t != null) {
            LockSupport.unpark(t);
        }
    }

    private void run() {
        while (!closed) {
            try {
                if (!step()) {
                    LockSupport.parkNanos(this, watches.isEmpty() && joining.isEmpty() ? TICK_NANOS * 20 : TICK_NANOS);
                }
            } catch (RuntimeException e) {
                LOG.error("watch thread failed; ending every watch", e);
                endAll(new Reply.Failure<>(ErrorCode.INTERNAL, "the node's watch thread failed: " + e));
            }
        }
        endAll(new Reply.Failure<>(ErrorCode.UNAVAILABLE, "this node is shutting down", replicator.primaryAddress()));
    }

    /** One pass over every position; true when it read something (so it goes again at once). */
    boolean step() {
        Watch j;
        while ((j = joining.poll()) != null) {
            watches.add(j);
        }
        TreeMap<Long, List<Watch>> byPosition = new TreeMap<>();
        for (Iterator<Watch> it = watches.iterator(); it.hasNext(); ) {
            Watch w = it.next();
            if (w.isDone()) {
                it.remove();
                continue;
            }
            if (!replicator.canServeReads(w.allowStale())) {
                w.end(stoppedServing(w));
                it.remove();
                continue;
            }
            byPosition.computeIfAbsent(w.through(), p -> new ArrayList<>()).add(w);
        }
        watchCount = watches.size();
        if (watches.isEmpty()) {
            return false;
        }
        long committed = replicator.committedOffset();
        boolean read = false;
        for (Map.Entry<Long, List<Watch>> e : byPosition.entrySet()) {
            long position = e.getKey();
            if (position < committed) {
                feed(position, committed, e.getValue());
                read = true;
            }
        }
        if (!read) {
            for (Watch w : watches) {
                w.tick();
            }
            awaitCommit(committed + 1);
        }
        return read;
    }

    /** Reads the records after position (up to committed) once and offers them to the group. */
    private void feed(long position, long committed, List<Watch> group) {
        List<LogRecord> records;
        try {
            records = store.readLog(position, (int) Math.min(READ_BATCH, committed - position));
        } catch (TailNotRetainedException e) {
            for (Watch w : group) {
                w.end(new Reply.Failure<>(
                        ErrorCode.OUT_OF_RANGE, notRetained(position + 1, store.logBaseOffset(), committed)));
            }
            return;
        } catch (IOException e) {
            LOG.warn("watch: reading the log after offset {} failed", position, e);
            for (Watch w : group) {
                w.end(new Reply.Failure<>(
                        ErrorCode.INTERNAL, "reading the log after offset " + position + " failed: " + e));
            }
            return;
        }
        long last = position;
        for (LogRecord r : records) {
            if (r.offset() > committed) {
                break; // never a record beyond the committed offset
            }
            last = r.offset();
            for (Change c : ChangeEvents.of(r)) {
                for (Watch w : group) {
                    if (!w.isDone() && w.filter().matches(c.key())) {
                        w.offer(c);
                    }
                }
            }
        }
        for (Watch w : group) {
            w.advance(last);
        }
    }

    /** On the primary, a commit past offset wakes this thread (a backup's commits are polled each tick). */
    private void awaitCommit(long offset) {
        if (offset == awaitingCommitOf || replicator.role() != Role.PRIMARY) {
            return;
        }
        awaitingCommitOf = offset;
        replicator.awaitCommitted(offset).whenComplete((v, t) -> wake());
    }

    private void endAll(Reply.Failure<Void> why) {
        Watch j;
        while ((j = joining.poll()) != null) {
            watches.add(j);
        }
        for (Watch w : watches) {
            w.end(why);
        }
        watches.clear();
        watchCount = 0;
    }

    /** Ends every watch (UNAVAILABLE, shutting down) and stops the watch thread. */
    @Override
    public void close() {
        Thread t;
        synchronized (lifecycle) {
            closed = true;
            t = thread;
        }
        if (t == null) {
            return;
        }
        LockSupport.unpark(t);
        try {
            t.join(TimeUnit.SECONDS.toMillis(5));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
