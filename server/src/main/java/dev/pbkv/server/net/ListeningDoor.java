package dev.pbkv.server.net;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.ssl.SslContext;
import java.io.IOException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The lifecycle every plain-Netty door shares (RESP, HTTP): start binds one {@link TcpListener},
 * close gives answers in flight a grace to go out. A door adds only its protocol: the pipeline of
 * one connection ({@link #initConnection}), how it refuses a connection past
 * limits.max-connections ({@link #refuseConnection}), and how to tell that answers are still
 * pending. The connection limits themselves are kept by the listener and its {@link ConnectionGuard}.
 */
public abstract class ListeningDoor implements Door {

    private static final Logger LOG = LoggerFactory.getLogger(ListeningDoor.class);
    private static final long CLOSE_GRACE_MILLIS = 1000;

    private final String name;
    private final String host;
    private final int port;
    private final int ioThreads;
    private final ConnectionLimits limits;
    /** Server TLS for every connection, or null (plaintext). */
    private final SslContext tls;

    /** The listening socket and its loops while started; set under this, read from any thread. */
    private volatile TcpListener listener;
    /** The bound port, published by start() for port() on any thread. */
    private volatile int boundPort = -1;

    protected ListeningDoor(
            String name, String host, int port, int ioThreads, ConnectionLimits limits, SslContext tls) {
        this.name = name;
        this.tls = tls;
        this.host = host;
        this.port = port;
        this.ioThreads = ioThreads;
        this.limits = limits;
    }

    /** Checks a door's listening settings once, with messages that name the door's keys. */
    public static void checkListenSettings(String door, String host, int port, int ioThreads) {
        if (host == null || host.isBlank()) {
            throw new IllegalArgumentException(door + " host must not be empty");
        }
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException(door + "-port must be 0..65535, got " + port);
        }
        if (ioThreads < 0) {
            throw new IllegalArgumentException(door + " io threads must be >= 0, got " + ioThreads);
        }
    }

    /**
     * What a door's connection handler does with an exception: a peer that went away (an
     * IOException) is routine and logged at debug; anything else is a warning. Either way the
     * connection closes and the door goes on.
     */
    public static void closeFailedConnection(String door, ChannelHandlerContext ctx, Throwable cause) {
        if (cause instanceof IOException) {
            LOG.debug("{} connection {} closed: {}", door, ctx.channel().remoteAddress(), cause.toString());
        } else {
            LOG.warn("{} connection {} failed; closing it", door, ctx.channel().remoteAddress(), cause);
        }
        ctx.close();
    }

    /** Installs this door's handlers on a new connection (runs on the connection's event loop). */
    protected abstract void initConnection(SocketChannel channel);

    /**
     * Installs what a connection past limits.max-connections gets instead: the door's error,
     * then the close (runs on the connection's event loop; the listener closes it after a
     * linger if the client never reads the error).
     */
    protected abstract void refuseConnection(SocketChannel channel);

    /** True while some connection of listener still has answers to write; close() waits a grace for false. */
    protected abstract boolean answersPending(TcpListener listener);

    /** Runs once at the end of close(), after the listener is gone. */
    protected void afterClose() {}

    /** Connections served now (refused ones not counted); 0 when not started. */
    protected final int openConnections() {
        TcpListener l = listener;
        return l == null ? 0 : l.servedConnections();
    }

    /** Connections refused for limits.max-connections since the door started; 0 when not started. */
    protected final long refusedConnections() {
        TcpListener l = listener;
        return l == null ? 0 : l.refusedConnections();
    }

    /** The per-connection limits this door enforces. */
    public final ConnectionLimits limits() {
        return limits;
    }

    @Override
    public final String name() {
        return name;
    }

    @Override
    public final synchronized void start() throws IOException {
        if (listener != null) {
            throw new IllegalStateException(name + " door already started");
        }
        listener = TcpListener.bind(
                name, host, port, ioThreads, limits, tls, this::initConnection, this::refuseConnection);
        boundPort = listener.port();
        LOG.info("{} door listening on {}:{}{}", name, host, boundPort, tls == null ? "" : " (TLS)");
    }

    @Override
    public final int port() {
        return boundPort;
    }

    @Override
    public final synchronized void close() {
        if (listener == null) {
            return;
        }
        TcpListener closing = listener;
        listener = null;
        closing.close(CLOSE_GRACE_MILLIS, () -> answersPending(closing));
        afterClose();
        LOG.info("{} door closed", name);
    }
}
