package dev.pbkv.server.resp;

import dev.pbkv.server.Door;
import dev.pbkv.server.command.Commands;
import dev.pbkv.server.http.NodeMetrics;
import dev.pbkv.server.http.RequestMeter;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.GlobalEventExecutor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
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
    private final ChannelGroup channels = new DefaultChannelGroup("pbkv-resp", GlobalEventExecutor.INSTANCE);

    /** Counters INFO shows; written by event loops, read by INFO. */
    final LongAdder commandsProcessed = new LongAdder();
    final AtomicLong connectionsReceived = new AtomicLong();
    /** Source of CLIENT ID values; each connection takes the next. */
    final AtomicLong clientIds = new AtomicLong();
    final long startedNanos = System.nanoTime();

    /** Set by start(), cleared by close(); guarded by this. */
    private EventLoopGroup acceptGroup;
    private EventLoopGroup ioGroup;
    private Channel serverChannel;
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
        if (serverChannel != null) {
            throw new IllegalStateException("resp door already started");
        }
        acceptGroup = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("pbkv-resp-accept"),
                NioIoHandler.newFactory());
        ioGroup = new MultiThreadIoEventLoopGroup(settings.effectiveIoThreads(),
                new DefaultThreadFactory("pbkv-resp-io"), NioIoHandler.newFactory());
        ServerBootstrap bootstrap = new ServerBootstrap()
                .group(acceptGroup, ioGroup)
                .channel(NioServerSocketChannel.class)
                .option(ChannelOption.SO_BACKLOG, 1024)
                .option(ChannelOption.SO_REUSEADDR, true)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childOption(ChannelOption.SO_KEEPALIVE, true)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        channels.add(ch);
                        connectionsReceived.incrementAndGet();
                        ch.pipeline().addLast("resp-decoder", new RespRequestDecoder(
                                settings.maxBulkBytes(), settings.maxArgs(), settings.maxInlineBytes()));
                        ch.pipeline().addLast("resp-handler", new RespConnectionHandler(RespDoor.this));
                    }
                });
        try {
            serverChannel = bootstrap.bind(settings.host(), settings.port()).syncUninterruptibly().channel();
        } catch (RuntimeException e) {
            shutdownGroups();
            throw new IOException("resp door cannot bind " + settings.host() + ":" + settings.port() + ": " + e, e);
        }
        boundPort = ((InetSocketAddress) serverChannel.localAddress()).getPort();
        LOG.info("resp door listening on {}:{}", settings.host(), boundPort);
    }

    @Override
    public int port() {
        return boundPort;
    }

    @Override
    public synchronized void close() {
        if (serverChannel == null) {
            return;
        }
        serverChannel.close().syncUninterruptibly();
        serverChannel = null;
        if (onOwnEventLoop()) {
            // Called from a reply path (e.g. SHUTDOWN's future completing here): waiting for our own
            // loop would deadlock, so close without the grace and without waiting.
            channels.close();
            shutdownGroups();
            return;
        }
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(CLOSE_GRACE_MILLIS);
        while (System.nanoTime() < deadline && channels.stream().anyMatch(RespDoor::hasRepliesPending)) {
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        channels.close().awaitUninterruptibly(CLOSE_GRACE_MILLIS);
        shutdownGroups();
        ioGroup.terminationFuture().awaitUninterruptibly(5, TimeUnit.SECONDS);
        LOG.info("resp door closed");
    }

    private static boolean hasRepliesPending(Channel channel) {
        RespConnectionHandler handler = channel.pipeline().get(RespConnectionHandler.class);
        return handler != null && handler.hasRepliesPending();
    }

    private boolean onOwnEventLoop() {
        for (EventExecutor executor : ioGroup) {
            if (executor.inEventLoop()) {
                return true;
            }
        }
        return false;
    }

    private void shutdownGroups() {
        acceptGroup.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        ioGroup.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    }

    Commands commands() {
        return commands;
    }

    RequestMeter meter(RespCommand command) {
        return meters.get(command);
    }

    int connectedClients() {
        return channels.size();
    }

    RespSettings settings() {
        return settings;
    }
}
