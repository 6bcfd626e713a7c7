package dev.pbkv.server.command.watch;

import dev.pbkv.server.command.ErrorCode;
import dev.pbkv.server.command.Reply;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.function.LongSupplier;

/**
 * One watcher: the changes the watch thread found for it and its door has not taken yet, bounded
 * by watch.buffer-bytes. The watch thread ({@link WatchHub}) offers changes and advances the
 * position; the door takes them with {@link #poll} when its transport has room. A watcher whose
 * door does not take them fast enough overflows and is ended with RESOURCE_EXHAUSTED: writers
 * never wait for it, the watch thread only drops it.
 *
 * <p>Threads: this monitor guards every field below; it is held only to move changes in or out,
 * never across I/O. The listener is called without it.
 */
public final class Watch {
    /** A position reached without matching changes is reported at most this often (a progress message). */
    static final long PROGRESS_INTERVAL_NANOS = 1_000_000_000L;

    private final ChangeFilter filter;
    private final boolean allowStale;
    private final long limitBytes;
    private final Runnable listener;
    private final LongSupplier nanoTime;

    private final ArrayDeque<Change> buffered = new ArrayDeque<>();
    private long bufferedBytes;
    /** Every matching change up to this offset is buffered or taken (written by the watch thread). */
    private long through;
    /** The door has been given every matching change up to this offset. */
    private long taken;

    private long takenAtNanos;
    /** Why the watch ends, once it does; the door sees it after the last buffered change. */
    private Reply.Failure<Void> end;

    private boolean cancelled;

    Watch(
            ChangeFilter filter,
            boolean allowStale,
            long startThrough,
            long limitBytes,
            Runnable listener,
            LongSupplier nanoTime) {
        this.filter = filter;
        this.allowStale = allowStale;
        this.limitBytes = limitBytes;
        this.listener = listener;
        this.nanoTime = nanoTime;
        this.through = startThrough;
        this.taken = startThrough;
        this.takenAtNanos = nanoTime.getAsLong();
    }

    /** The offset the watch starts after: its first change has a higher offset. */
    public synchronized long startedAfter() {
        return taken;
    }

    /**
     * The door's next batch: up to max changes (whole records: changes of one offset are never
     * split), or a progress batch with no change when the position moved on without any and the
     * last batch was taken a while ago; null when there is nothing to take now.
     */
    public synchronized WatchBatch poll(int max) {
        if (buffered.isEmpty()) {
            if (end == null && through > taken && nanoTime.getAsLong() - takenAtNanos >= PROGRESS_INTERVAL_NANOS) {
                return take(List.of(), through);
            }
            return null;
        }
        List<Change> out = new ArrayList<>(Math.min(max, buffered.size()));
        while (!buffered.isEmpty()) {
            Change c = buffered.peek();
            if (out.size() >= max && c.offset() != out.get(out.size() - 1).offset()) {
                break;
            }
            out.add(buffered.poll());
            bufferedBytes -= c.bufferedBytes();
        }
        long upTo = buffered.isEmpty() ? through : out.get(out.size() - 1).offset();
        return take(out, upTo);
    }

    private WatchBatch take(List<Change> changes, long upTo) {
        taken = upTo;
        takenAtNanos = nanoTime.getAsLong();
        return new WatchBatch(changes, upTo);
    }

    /** Why the watch ended, once every buffered change was taken; null while it goes on. */
    public synchronized Reply.Failure<Void> endedWith() {
        return buffered.isEmpty() ? end : null;
    }

    /** The client went away: the watch thread drops this watcher. */
    public void cancel() {
        synchronized (this) {
            cancelled = true;
            buffered.clear();
            bufferedBytes = 0;
        }
    }

    // ---- the watch thread's side -----------------------------------------------------------------

    boolean allowStale() {
        return allowStale;
    }

    ChangeFilter filter() {
        return filter;
    }

    synchronized long through() {
        return through;
    }

    synchronized boolean isDone() {
        return cancelled || end != null;
    }

    /**
     * Buffers a matching change; false (and the watch ends with RESOURCE_EXHAUSTED) when it would
     * pass the limit. Changes come in offset order.
     */
    boolean offer(Change c) {
        synchronized (this) {
            if (cancelled || end != null) {
                return false;
            }
            if (bufferedBytes + c.bufferedBytes() > limitBytes && !buffered.isEmpty()) {
                long resumeFrom = taken + 1;
                buffered.clear();
                bufferedBytes = 0;
                end = new Reply.Failure<>(
                        ErrorCode.RESOURCE_EXHAUSTED,
                        "watcher fell behind: its changes not yet sent passed watch.buffer-bytes = " + limitBytes
                                + " at offset " + c.offset() + "; watch again from offset " + resumeFrom
                                + " (every change before it was sent)");
            } else {
                buffered.add(c);
                bufferedBytes += c.bufferedBytes();
                return true;
            }
        }
        listener.run();
        return false;
    }

    /** Every matching change up to offset is buffered; tells the door if it has something to take. */
    void advance(long offset) {
        boolean signal;
        synchronized (this) {
            if (offset <= through || cancelled) {
                return;
            }
            through = offset;
            signal = !buffered.isEmpty() || nanoTime.getAsLong() - takenAtNanos >= PROGRESS_INTERVAL_NANOS;
        }
        if (signal) {
            listener.run();
        }
    }

    /** Tells the door when a progress message is due although nothing moved since the last signal. */
    void tick() {
        boolean signal;
        synchronized (this) {
            signal = !cancelled
                    && end == null
                    && through > taken
                    && nanoTime.getAsLong() - takenAtNanos >= PROGRESS_INTERVAL_NANOS;
        }
        if (signal) {
            listener.run();
        }
    }

    /** Ends the watch after the changes already buffered. */
    void end(Reply.Failure<Void> why) {
        synchronized (this) {
            if (cancelled || end != null) {
                return;
            }
            end = why;
        }
        listener.run();
    }
}
