package dev.pbkv.server.resp;

import dev.pbkv.server.net.Door;
import dev.pbkv.server.net.TcpListener;
import dev.pbkv.server.command.Commands;
import dev.pbkv.server.metrics.NodeMetrics;
import dev.pbkv.server.metrics.RequestMeter;
import io.netty.channel.Channel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * The Redis-protocol door: a Netty server that speaks RESP2 (and inline lines for telnet) and
 * calls the command layer. See docs/resp.md for the commands, errors and limits.
 *
 * <p>Threads: one acceptor thread ("pbkv-resp-accept") and {@link RespSettings#ioThreads()}
 * event-loop threads ("pbkv-resp-io-N"). Nothing blocks an event loop: the command layer's
 * futures complete wherever they complete, and replies are written back on the connection's loop.
 */
public final class RespDoor implements Door {

    private static final Logger LOG = LoggerFactory.getLogger(RespDoor.class);
    private static final long CLOSE_GRACE_MILLIS = 1000;

    private final Commands commands;
    private final RespSettings settings;
    private final Map<RespCommand, RequestMeter> meters = new EnumMap<>(RespCommand.class);

    /** Counters INFO shows; written by event loops, read by INFO. */
    final LongAdder commandsProcessed = new LongAdder();
    final AtomicLong connectionsReceived = new AtomicLong();
    /** Source of CLIENT ID values; each connection takes the next. */
    final AtomicLong clientIds = new AtomicLong();
    final long startedNanos = System.nanoTime();

    /** Set by start(), cleared by close(); guarded by this. */
    /** The listening socket and its loops while started; set under this, read from any thread. */
    private volatile TcpListener listener;
    /** The bound port, published by start() for port() on any thread. */
    private volatile int boundPort = -1;

    public RespDoor(Commands commands, RespSettings settings) {
        this(commands, settings, null);
    }

    /** @param metrics where to record request counts and latencies; null records nothing */
    public RespDoor(Commands commands, RespSettings settings, NodeMetrics metrics) {
        this.commands = commands;
        this.settings = settings;
        for (RespCommand c : RespCommand.values()) {
            meters.put(c, metrics == null ? RequestMeter.NONE : metrics.requestMeter("resp", c.lowerName));
        }
    }

    @Override
    public String name() {
        return "resp";
    }

    @Override
    public synchronized void start() throws IOException {
        if (listener != null) {
            throw new IllegalStateException("resp door already started");
        }
        listener = TcpListener.bind("resp", settings.host(), settings.port(), settings.effectiveIoThreads(), ch -> {
            connectionsReceived.incrementAndGet();
            ch.pipeline().addLast("resp-decoder", new RespRequestDecoder(
                    settings.maxBulkBytes(), settings.maxArgs(), settings.maxInlineBytes()));
            ch.pipeline().addLast("resp-handler", new RespConnectionHandler(RespDoor.this));
        });
        boundPort = listener.port();
        LOG.info("resp door listening on {}:{}", settings.host(), boundPort);
    }

    @Override
    public int port() {
        return boundPort;
    }

    @Override
    public synchronized void close() {
        if (listener == null) {
            return;
        }
        TcpListener closing = listener;
        listener = null;
        closing.close(CLOSE_GRACE_MILLIS,
                () -> closing.connections().stream().anyMatch(RespDoor::hasRepliesPending));
        LOG.info("resp door closed");
    }

    private static boolean hasRepliesPending(Channel channel) {
        RespConnectionHandler handler = channel.pipeline().get(RespConnectionHandler.class);
        return handler != null && handler.hasRepliesPending();
    }

    Commands commands() {
        return commands;
    }

    RequestMeter meter(RespCommand command) {
        return meters.get(command);
    }

    int connectedClients() {
        TcpListener l = listener;
        return l == null ? 0 : l.connections().size();
    }

    RespSettings settings() {
        return settings;
    }
}
