package dev.pbkv.server.net;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The listening socket of a plain-Netty door (RESP, HTTP): one accept thread, the I/O loops, the
 * set of open connections, and a close that lets answers in flight go out first. The doors keep
 * only their protocol: the pipeline they install on each connection.
 *
 * <p>The limits of every connection ({@link ConnectionLimits}) are kept here, the same for both
 * doors: at most maxConnections are served (the next gets the door's refusal, then is closed);
 * each served one gets the output water marks, an idle handler when a timeout is set, and a
 * {@link ConnectionGuard} at its socket end, before the door's own handlers.
 */
public final class TcpListener {
    private static final Logger LOG = LoggerFactory.getLogger(TcpListener.class);

    /** A refused connection is closed after this long even if its client never reads the refusal. */
    private static final long REFUSED_LINGER_MILLIS = 5_000;

    private final String door;
    private final EventLoopGroup acceptGroup;
    private final EventLoopGroup ioGroup;
    /** Open connections, refused ones still saying why included; Netty removes a channel when it closes. */
    private final ChannelGroup connections;

    private final Channel serverChannel;
    private final Admission admission;

    private TcpListener(
            String door,
            EventLoopGroup acceptGroup,
            EventLoopGroup ioGroup,
            ChannelGroup connections,
            Channel serverChannel,
            Admission admission) {
        this.door = door;
        this.acceptGroup = acceptGroup;
        this.ioGroup = ioGroup;
        this.connections = connections;
        this.serverChannel = serverChannel;
        this.admission = admission;
    }

    /**
     * Counts the connections served and refused. served is raised on accept and lowered when a
     * served connection closes, so it never passes max for long: a connection that raised it
     * past max lowers it again at once and is refused instead.
     */
    private static final class Admission {
        final int max;
        final AtomicInteger served = new AtomicInteger();
        final AtomicLong refused = new AtomicLong();
        /** Whether the last connection was refused: one warning per run of refusals, not one per connection. */
        final AtomicBoolean refusing = new AtomicBoolean();

        Admission(int max) {
            this.max = max;
        }

        boolean admit() {
            if (served.incrementAndGet() <= max) {
                refusing.set(false);
                return true;
            }
            served.decrementAndGet();
            refused.incrementAndGet();
            return false;
        }
    }

    /**
     * Binds host:port (0 picks a free port) and installs a connection's pipeline with
     * initConnection, or, past limits.maxConnections(), refuseConnection's pipeline, which
     * answers the door's error and closes; with tls (null: plaintext) every connection is TLS first; threads are named pbkv-DOOR-accept and pbkv-DOOR-io.
     */
    public static TcpListener bind(
            String door,
            String host,
            int port,
            int ioThreads,
            ConnectionLimits limits,
            SslContext tls,
            Consumer<SocketChannel> initConnection,
            Consumer<SocketChannel> refuseConnection)
            throws IOException {
        EventLoopGroup acceptGroup = new MultiThreadIoEventLoopGroup(
                1, new DefaultThreadFactory("pbkv-" + door + "-accept"), NioIoHandler.newFactory());
        EventLoopGroup ioGroup = new MultiThreadIoEventLoopGroup(
                ioThreads, new DefaultThreadFactory("pbkv-" + door + "-io"), NioIoHandler.newFactory());
        ChannelGroup connections = new DefaultChannelGroup("pbkv-" + door, GlobalEventExecutor.INSTANCE);
        Admission admission = new Admission(limits.maxConnections());
        ServerBootstrap bootstrap = new ServerBootstrap()
                .group(acceptGroup, ioGroup)
                .channel(NioServerSocketChannel.class)
                .option(ChannelOption.SO_BACKLOG, 1024)
                .option(ChannelOption.SO_REUSEADDR, true)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childOption(ChannelOption.SO_KEEPALIVE, true)
                // Unwritable above the high-water mark, writable again below half of it: the
                // ConnectionGuard stops reading in between.
                .childOption(
                        ChannelOption.WRITE_BUFFER_WATER_MARK,
                        new WriteBufferWaterMark(limits.outputHighWater() / 2, limits.outputHighWater()))
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        connections.add(ch);
                        if (tls != null) {
                            // First, so a refused connection's error reaches a TLS client too.
                            ch.pipeline().addLast("tls", tls.newHandler(ch.alloc()));
                        }
                        if (!admission.admit()) {
                            if (admission.refusing.compareAndSet(false, true)) {
                                LOG.warn(
                                        "{} door serves limits.max-connections = {} connections: refusing {} and"
                                                + " any more until one closes",
                                        door,
                                        limits.maxConnections(),
                                        ch.remoteAddress());
                            }
                            ch.eventLoop().schedule(() -> ch.close(), REFUSED_LINGER_MILLIS, TimeUnit.MILLISECONDS);
                            refuseConnection.accept(ch);
                            return;
                        }
                        ch.closeFuture().addListener(f -> admission.served.decrementAndGet());
                        ChannelPipeline pipeline = ch.pipeline();
                        if (limits.idleTimeoutMillis() > 0) {
                            pipeline.addLast(
                                    "idle",
                                    new IdleStateHandler(0, 0, limits.idleTimeoutMillis(), TimeUnit.MILLISECONDS));
                        }
                        pipeline.addLast("guard", new ConnectionGuard(door, limits));
                        initConnection.accept(ch);
                    }
                });
        try {
            Channel serverChannel =
                    bootstrap.bind(host, port).syncUninterruptibly().channel();
            return new TcpListener(door, acceptGroup, ioGroup, connections, serverChannel, admission);
        } catch (RuntimeException e) {
            acceptGroup.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            ioGroup.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            throw new IOException(door + " door cannot bind " + host + ":" + port + ": " + e, e);
        }
    }

    /** The bound port. */
    public int port() {
        return ((InetSocketAddress) serverChannel.localAddress()).getPort();
    }

    /** The open connections, refused ones still open included. */
    public ChannelGroup connections() {
        return connections;
    }

    /** Connections served now (not counting refused ones). */
    public int servedConnections() {
        return admission.served.get();
    }

    /** Connections refused for limits.max-connections since the listener started. */
    public long refusedConnections() {
        return admission.refused.get();
    }

    /**
     * Stops accepting, gives the open connections up to graceMillis while busy says answers are
     * still going out, then closes them and the loops. Called on one of this listener's own I/O
     * loops (a reply path that shuts the node down), it closes without waiting: waiting for our
     * own loop would deadlock.
     */
    public void close(long graceMillis, BooleanSupplier busy) {
        serverChannel.close().syncUninterruptibly();
        boolean ownLoop = onOwnLoop();
        if (!ownLoop) {
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(graceMillis);
            while (busy.getAsBoolean() && System.nanoTime() < deadline) {
                try {
                    Thread.sleep(10);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
        }
        if (ownLoop) {
            connections.close();
        } else {
            connections.close().awaitUninterruptibly(graceMillis);
        }
        acceptGroup.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        ioGroup.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        if (!ownLoop) {
            ioGroup.terminationFuture().awaitUninterruptibly(5, TimeUnit.SECONDS);
        }
    }

    private boolean onOwnLoop() {
        for (EventExecutor executor : ioGroup) {
            if (executor.inEventLoop()) {
                return true;
            }
        }
        return false;
    }

    @Override
    public String toString() {
        return door + " listener on " + serverChannel.localAddress();
    }
}
