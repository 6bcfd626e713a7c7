package dev.pbkv.server.net;

import io.netty.channel.Channel;
import io.netty.channel.ChannelConfig;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.channel.ChannelPromise;
import io.netty.handler.timeout.IdleStateEvent;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Backpressure for one connection of a plain-Netty door (RESP, HTTP), installed by
 * {@link TcpListener} at the socket end of every pipeline, so it sees every byte the door writes,
 * whichever thread completed the reply. The door's handlers only report requests read and
 * answered ({@link #requestRead}, {@link #requestAnswered}).
 *
 * <p>Reading stops (autoRead off) while either holds, and resumes once neither does:
 * <ul>
 *   <li>the unwritten output is above {@link ConnectionLimits#outputHighWater()}: Netty's
 *       writability, which also counts writes queued by other threads (the group-commit thread
 *       completing a write); it turns back on below half the mark;
 *   <li>{@link ConnectionLimits#maxInflight()} requests were read and not yet answered; reading
 *       resumes once at most half of them are left.
 * </ul>
 * With reading off, what is already read can still add replies (one read of 64 KiB holds
 * thousands of pipelined GETs, one MGET can answer megabytes): past
 * {@link ConnectionLimits#outputHardLimit()} the connection is closed, with one warning naming
 * the client and the limit, as Redis's client-output-buffer-limit does.
 *
 * <p>An {@link IdleStateEvent} from the listener's idle handler closes the connection unless
 * requests are in flight (a write waiting for the backup is not idleness).
 *
 * <p>Threads: everything runs on the connection's event loop; {@link #requestAnswered} and
 * {@link #whenWritable} may be called from any thread and hop there.
 */
public final class ConnectionGuard extends ChannelDuplexHandler {

    private static final Logger LOG = LoggerFactory.getLogger(ConnectionGuard.class);

    private final String door;
    private final ConnectionLimits limits;
    private ChannelHandlerContext ctx;
    /** Requests read and not yet answered; event loop only. */
    private int inflight;
    /** Whether reading is held for too many requests in flight (hysteresis: set at max, cleared at max/2); event loop only. */
    private boolean inflightFull;
    /** Whether the hard limit closed the connection (logged once); event loop only. */
    private boolean overLimit;
    /** Who waits for the output to drain below the high-water mark (a streamed dump); event loop only. */
    private final List<CompletableFuture<Void>> writableWaiters = new ArrayList<>();

    public ConnectionGuard(String door, ConnectionLimits limits) {
        this.door = door;
        this.limits = limits;
    }

    /** The guard of a connection accepted by a {@link TcpListener}. */
    public static ConnectionGuard of(Channel channel) {
        ConnectionGuard guard = channel.pipeline().get(ConnectionGuard.class);
        if (guard == null) {
            throw new IllegalStateException("no ConnectionGuard on " + channel + ": connections come from TcpListener");
        }
        return guard;
    }

    /** Event loop: one more request was read; reading stops at the in-flight bound. */
    public void requestRead() {
        inflight++;
        if (!inflightFull && inflight >= limits.maxInflight()) {
            inflightFull = true;
            updateAutoRead();
        }
    }

    /**
     * Event loop: whether limits.max-inflight-per-connection requests are unanswered; a door
     * holds what it has already decoded until this turns false, so the bound is exact.
     */
    public boolean atInflightBound() {
        return inflight >= limits.maxInflight();
    }

    /** Any thread: a request read earlier was answered (its reply is written or queued to be). */
    public void requestAnswered() {
        if (!ctx.executor().inEventLoop()) {
            try {
                ctx.executor().execute(this::requestAnswered);
            } catch (RejectedExecutionException closing) {
                // The door is closing: nothing will be read again anyway.
            }
            return;
        }
        inflight--;
        if (inflightFull && inflight <= limits.maxInflight() / 2) {
            inflightFull = false;
            updateAutoRead();
        }
    }

    /**
     * Any thread: completes waiter once the output is below the high-water mark, or the
     * connection is closed (the waiter then checks {@link Channel#isActive()}). For producers
     * off the event loop (a dump's pages) that must not queue more than the mark.
     */
    public void whenWritable(CompletableFuture<Void> waiter) {
        if (!ctx.executor().inEventLoop()) {
            try {
                ctx.executor().execute(() -> whenWritable(waiter));
            } catch (RejectedExecutionException closing) {
                waiter.complete(null);
            }
            return;
        }
        Channel channel = ctx.channel();
        if (channel.isWritable() || !channel.isActive()) {
            waiter.complete(null);
        } else {
            writableWaiters.add(waiter);
        }
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        updateAutoRead();
        if (ctx.channel().isWritable()) {
            releaseWaiters();
        }
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        releaseWaiters();
        ctx.fireChannelInactive();
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        ctx.write(msg, promise);
        checkHardLimit();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
        if (event instanceof IdleStateEvent) {
            if (inflight == 0) {
                LOG.debug(
                        "{} client {} closed: idle for limits.idle-timeout-ms = {}",
                        door,
                        ctx.channel().remoteAddress(),
                        limits.idleTimeoutMillis());
                ctx.close();
            }
            return;
        }
        ctx.fireUserEventTriggered(event);
    }

    private void checkHardLimit() {
        if (overLimit || limits.outputHardLimit() == 0) {
            return;
        }
        ChannelOutboundBuffer buffer = ctx.channel().unsafe().outboundBuffer();
        long unwritten = buffer == null ? 0 : buffer.totalPendingWriteBytes();
        if (unwritten > limits.outputHardLimit()) {
            overLimit = true;
            LOG.warn(
                    "{} client {} closed: {} bytes of replies unwritten, over limits.output-buffer-hard-limit = {}",
                    door,
                    ctx.channel().remoteAddress(),
                    unwritten,
                    limits.outputHardLimit());
            ctx.close();
        }
    }

    private void updateAutoRead() {
        ChannelConfig config = ctx.channel().config();
        boolean read = !inflightFull && ctx.channel().isWritable();
        if (config.isAutoRead() != read) {
            config.setAutoRead(read);
        }
    }

    private void releaseWaiters() {
        List<CompletableFuture<Void>> waiting = List.copyOf(writableWaiters);
        writableWaiters.clear();
        waiting.forEach(w -> w.complete(null));
    }
}
