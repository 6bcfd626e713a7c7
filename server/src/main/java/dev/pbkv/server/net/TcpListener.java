package dev.pbkv.server.net;

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
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

/**
 * The listening socket of a plain-Netty door (RESP, HTTP): one accept thread, the I/O loops, the
 * set of open connections, and a close that lets answers in flight go out first. The doors keep
 * only their protocol: the pipeline they install on each connection.
 */
public final class TcpListener {
    private final String door;
    private final EventLoopGroup acceptGroup;
    private final EventLoopGroup ioGroup;
    /** Open connections; Netty removes a channel from the group when it closes. */
    private final ChannelGroup connections;

    private final Channel serverChannel;

    private TcpListener(
            String door,
            EventLoopGroup acceptGroup,
            EventLoopGroup ioGroup,
            ChannelGroup connections,
            Channel serverChannel) {
        this.door = door;
        this.acceptGroup = acceptGroup;
        this.ioGroup = ioGroup;
        this.connections = connections;
        this.serverChannel = serverChannel;
    }

    /**
     * Binds host:port (0 picks a free port) and installs a connection's pipeline with
     * initConnection; threads are named pbkv-DOOR-accept and pbkv-DOOR-io.
     */
    public static TcpListener bind(
            String door, String host, int port, int ioThreads, Consumer<SocketChannel> initConnection)
            throws IOException {
        EventLoopGroup acceptGroup = new MultiThreadIoEventLoopGroup(
                1, new DefaultThreadFactory("pbkv-" + door + "-accept"), NioIoHandler.newFactory());
        EventLoopGroup ioGroup = new MultiThreadIoEventLoopGroup(
                ioThreads, new DefaultThreadFactory("pbkv-" + door + "-io"), NioIoHandler.newFactory());
        ChannelGroup connections = new DefaultChannelGroup("pbkv-" + door, GlobalEventExecutor.INSTANCE);
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
                        connections.add(ch);
                        initConnection.accept(ch);
                    }
                });
        try {
            Channel serverChannel =
                    bootstrap.bind(host, port).syncUninterruptibly().channel();
            return new TcpListener(door, acceptGroup, ioGroup, connections, serverChannel);
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

    /** The open connections. */
    public ChannelGroup connections() {
        return connections;
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
