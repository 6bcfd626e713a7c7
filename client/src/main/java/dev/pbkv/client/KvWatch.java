package dev.pbkv.client;

import com.google.protobuf.ByteString;
import dev.pbkv.proto.WatchEvent;
import dev.pbkv.proto.WatchRequest;
import dev.pbkv.proto.WatchResponse;
import io.grpc.Context;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.concurrent.TimeUnit;

/**
 * A watch of a key or a prefix: an iterator of committed changes, in log order, that blocks in
 * {@link #hasNext} until the next one. It follows a failover: when its node stops serving it
 * (UNAVAILABLE, the connection lost) it finds the primary as every call does ({@link Failover})
 * and watches again from {@link #resumeOffset()}, so every change comes once, in order. It ends
 * with a {@link PbkvException} when the node refuses it for good: OUT_OF_RANGE (the log no longer
 * holds the offset: re-read, then watch from now), RESOURCE_EXHAUSTED (this reader fell behind).
 *
 * <p>Not thread-safe: one reader thread; {@link #close} may be called from any thread.
 */
public final class KvWatch implements Iterator<KvChange>, AutoCloseable {
    private final Failover failover;
    private final ByteString key;
    private final boolean prefix;
    private final boolean allowStale;
    private final ArrayDeque<KvChange> ready = new ArrayDeque<>();
    /** Every change up to this offset was received; the next watch starts after it. -1: from now. */
    private volatile long through;
    /** The open call's context; cancelled by close(). */
    private volatile Context.CancellableContext call;

    private volatile boolean closed;
    private Iterator<WatchResponse> stream;

    KvWatch(Failover failover, byte[] key, boolean prefix, long startOffset, boolean allowStale) {
        this.failover = failover;
        this.key = ByteString.copyFrom(key);
        this.prefix = prefix;
        this.allowStale = allowStale;
        this.through = startOffset == 0 ? -1 : startOffset - 1;
    }

    /** The offset to watch from to miss nothing after what was received (0 before the first message: from now). */
    public long resumeOffset() {
        long t = through;
        return t < 0 ? 0 : t + 1;
    }

    @Override
    public boolean hasNext() {
        while (ready.isEmpty()) {
            if (closed) {
                return false;
            }
            WatchResponse m = nextMessage();
            if (m == null) {
                return false;
            }
            for (WatchEvent e : m.getEventsList()) {
                if (e.getOffset() > through) {
                    ready.add(new KvChange(
                            e.getOffset(),
                            typeOf(e),
                            e.getKey().toByteArray(),
                            e.getValue().toByteArray()));
                }
            }
            if (m.getThroughOffset() > through) {
                through = m.getThroughOffset();
            }
        }
        return true;
    }

    @Override
    public KvChange next() {
        if (!hasNext()) {
            throw new NoSuchElementException();
        }
        return ready.poll();
    }

    /** The next message of the current stream, opening one (on the primary, after a failover) when needed; null once closed. */
    private WatchResponse nextMessage() {
        Failover.Attempts attempts = null;
        while (!closed) {
            try {
                if (stream == null) {
                    if (attempts == null) {
                        attempts = allowStale ? failover.beginStaleRead() : failover.begin();
                    }
                    stream = open(attempts.node());
                }
                if (stream.hasNext()) {
                    WatchResponse m = stream.next();
                    if (attempts != null) {
                        attempts.succeeded();
                    }
                    return m;
                }
                stream = null; // the node ended the call without a status: watch again
            } catch (StatusRuntimeException e) {
                stream = null;
                if (closed) {
                    return null;
                }
                if (attempts == null) {
                    attempts = allowStale ? failover.beginStaleRead() : failover.begin();
                }
                long delay = attempts.onFailure(e); // throws when not retryable or out of time
                if (delay > 0) {
                    pause(delay);
                }
                attempts.node().wakeIfFailed();
            }
        }
        return null;
    }

    private Iterator<WatchResponse> open(NodeChannels.Node node) {
        WatchRequest req = WatchRequest.newBuilder()
                .setKey(key)
                .setPrefix(prefix)
                .setStartOffset(resumeOffset())
                .setAllowStale(allowStale)
                .build();
        Context.CancellableContext ctx = Context.current().withCancellation();
        call = ctx;
        if (closed) {
            ctx.cancel(null);
        }
        Context previous = ctx.attach();
        try {
            return node.kvBlocking().watch(req);
        } finally {
            ctx.detach(previous);
        }
    }

    private static KvChange.Type typeOf(WatchEvent e) {
        return switch (e.getType()) {
            case WATCH_EVENT_TYPE_SET -> KvChange.Type.SET;
            case WATCH_EVENT_TYPE_DELETE -> KvChange.Type.DELETE;
            case WATCH_EVENT_TYPE_EXPIRED -> KvChange.Type.EXPIRED;
            default ->
                throw new PbkvException(
                        Status.Code.INTERNAL,
                        "unknown watch event type " + e.getTypeValue() + " at offset " + e.getOffset());
        };
    }

    private static void pause(long nanos) {
        try {
            TimeUnit.NANOSECONDS.sleep(nanos);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new PbkvException(Status.Code.CANCELLED, "interrupted while waiting to watch again", e);
        }
    }

    /** Ends the watch: a blocked {@link #hasNext} returns false. */
    @Override
    public void close() {
        closed = true;
        Context.CancellableContext c = call;
        if (c != null) {
            c.cancel(null);
        }
    }
}
