package dev.pbkv.server.resp;

import dev.pbkv.server.command.Commands;
import dev.pbkv.server.metrics.NodeMetrics;
import dev.pbkv.server.metrics.RequestMeter;
import dev.pbkv.server.net.ListeningDoor;
import dev.pbkv.server.net.RefusedConnection;
import dev.pbkv.server.net.TcpListener;
import dev.pbkv.server.net.TurnLogWrites;
import io.netty.channel.Channel;
import io.netty.channel.socket.SocketChannel;
import java.nio.charset.StandardCharsets;
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
public final class RespDoor extends ListeningDoor {

    /** What a connection past limits.max-connections reads before the close: Redis's words for it. */
    static final String MAX_CLIENTS_ERROR = "-ERR max number of clients reached\r\n";

    private final Commands commands;
    /** Under fsync no, each event loop writes its own turn's log records (TurnLogWrites). */
    private final TurnLogWrites turnLogWrites;

    private final RespSettings settings;
    private final Map<RespCommand, RequestMeter> meters = new EnumMap<>(RespCommand.class);

    /** Counters INFO shows; written by event loops, read by INFO. */
    final LongAdder commandsProcessed = new LongAdder();

    final AtomicLong connectionsReceived = new AtomicLong();
    /** Source of CLIENT ID values; each connection takes the next. */
    final AtomicLong clientIds = new AtomicLong();

    final long startedNanos = System.nanoTime();

    public RespDoor(Commands commands, RespSettings settings) {
        this(commands, settings, null);
    }

    /** @param metrics where to record request counts and latencies; null records nothing */
    public RespDoor(Commands commands, RespSettings settings, NodeMetrics metrics) {
        super(
                "resp",
                settings.host(),
                settings.port(),
                settings.effectiveIoThreads(),
                settings.connections(),
                settings.tls());
        this.commands = commands;
        this.turnLogWrites = new TurnLogWrites(commands::expectLogWrite, commands::writeExpectedLog);
        this.settings = settings;
        for (RespCommand c : RespCommand.values()) {
            meters.put(c, metrics == null ? RequestMeter.NONE : metrics.requestMeter("resp", c.lowerName));
        }
        if (metrics != null) {
            metrics.connectionGauges("resp", this::openConnections, this::refusedConnections);
        }
    }

    @Override
    protected void initConnection(SocketChannel ch) {
        connectionsReceived.incrementAndGet();
        ch.pipeline()
                .addLast(
                        "resp-decoder",
                        new RespRequestDecoder(settings.maxBulkBytes(), settings.maxArgs(), settings.maxInlineBytes()));
        ch.pipeline().addLast("resp-handler", new RespConnectionHandler(this));
    }

    @Override
    protected void refuseConnection(SocketChannel ch) {
        ch.pipeline()
                .addLast(
                        "resp-refusal",
                        new RefusedConnection(alloc ->
                                alloc.buffer().writeBytes(MAX_CLIENTS_ERROR.getBytes(StandardCharsets.US_ASCII))));
    }

    @Override
    protected boolean answersPending(TcpListener listener) {
        return listener.connections().stream().anyMatch(RespDoor::hasRepliesPending);
    }

    private static boolean hasRepliesPending(Channel channel) {
        RespConnectionHandler handler = channel.pipeline().get(RespConnectionHandler.class);
        return handler != null && handler.hasRepliesPending();
    }

    Commands commands() {
        return commands;
    }

    TurnLogWrites turnLogWrites() {
        return turnLogWrites;
    }

    RequestMeter meter(RespCommand command) {
        return meters.get(command);
    }

    int connectedClients() {
        return openConnections();
    }

    long rejectedConnections() {
        return refusedConnections();
    }

    RespSettings settings() {
        return settings;
    }
}
