package dev.pbkv.server.http;

import dev.pbkv.server.metrics.NodeMetrics;

import dev.pbkv.server.net.Door;
import dev.pbkv.server.net.TcpListener;
import dev.pbkv.server.command.Commands;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The HTTP door: the cross-team contract (/kv/..., /kvman/...), /health and /metrics, on Netty's
 * HTTP codec. See docs/http.md.
 *
 * <p>Why Netty rather than the JDK's HttpServer: the command layer answers with futures, and
 * Netty lets a request wait on one without holding a thread; it enforces the line, header and
 * body limits in the codec before anything is buffered; and it is already the library of the
 * other two doors, so the node has one I/O model.
 */
public final class HttpDoor implements Door {

    private static final Logger LOG = LoggerFactory.getLogger(HttpDoor.class);
    private static final int MAX_HEADER_BYTES = 16 * 1024;
    private static final long CLOSE_GRACE_MILLIS = 1000;

    private final Commands commands;
    private final HttpSettings settings;
    private final NodeMetrics metrics;
    private final boolean ownsMetrics;
    /** Requests read and not yet answered, over all connections; close() waits a grace for zero. */
    private final AtomicInteger inFlight = new AtomicInteger();

    /** Set by start(), cleared by close(); guarded by this. */
    /** The listening socket and its loops while started; set under this, read from any thread. */
    private volatile TcpListener listener;
    /** The bound port, published by start() for port() on any thread. */
    private volatile int boundPort = -1;

    /** A door with metrics of its own (request meters of this door, and the node's status gauges). */
    public HttpDoor(Commands commands, HttpSettings settings) {
        this(commands, settings, new NodeMetrics(commands::status), true);
    }

    /** A door that serves the node's shared metrics (which the node closes) at /metrics. */
    public HttpDoor(Commands commands, HttpSettings settings, NodeMetrics metrics) {
        this(commands, settings, metrics, false);
    }

    private HttpDoor(Commands commands, HttpSettings settings, NodeMetrics metrics, boolean ownsMetrics) {
        this.commands = commands;
        this.settings = settings;
        this.metrics = metrics;
        this.ownsMetrics = ownsMetrics;
    }

    @Override
    public String name() {
        return "http";
    }

    @Override
    public synchronized void start() throws IOException {
        if (listener != null) {
            throw new IllegalStateException("http door already started");
        }
        HttpRoutes routes = new HttpRoutes(commands, metrics);
        listener = TcpListener.bind("http", settings.host(), settings.port(), settings.effectiveIoThreads(), ch -> {
            ch.pipeline().addLast("http-codec", new HttpServerCodec(settings.maxUriBytes(), MAX_HEADER_BYTES, 64 * 1024));
            ch.pipeline().addLast("http-aggregator", new JsonRefusingAggregator(settings.maxBodyBytes()));
            ch.pipeline().addLast("http-handler", new HttpRequestHandler(routes, inFlight));
        });
        boundPort = listener.port();
        LOG.info("http door listening on {}:{}", settings.host(), boundPort);
    }

    @Override
    public int port() {
        return boundPort;
    }

    /** The metrics this door serves at /metrics. */
    public NodeMetrics metrics() {
        return metrics;
    }

    @Override
    public synchronized void close() {
        if (listener == null) {
            return;
        }
        TcpListener closing = listener;
        listener = null;
        // Answers in flight (a /kvman/shutdown among them) get a moment to be written.
        closing.close(CLOSE_GRACE_MILLIS, () -> inFlight.get() > 0);
        if (ownsMetrics) {
            metrics.close();
        }
        LOG.info("http door closed");
    }

    /** Answers an oversized body with the contract's JSON (413) instead of Netty's empty reply, then closes. */
    private static final class JsonRefusingAggregator extends HttpObjectAggregator {
        private final int maxBodyBytes;

        JsonRefusingAggregator(int maxBodyBytes) {
            super(maxBodyBytes);
            this.maxBodyBytes = maxBodyBytes;
        }

        @Override
        protected void handleOversizedMessage(ChannelHandlerContext ctx, HttpMessage oversized) {
            FullHttpResponse response = HttpAnswers.refusal(ctx.alloc(), HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE,
                    "request body over the limit of " + maxBodyBytes + " bytes");
            response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
            ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
        }
    }
}
