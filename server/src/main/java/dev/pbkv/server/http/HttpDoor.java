package dev.pbkv.server.http;

import dev.pbkv.server.command.Commands;
import dev.pbkv.server.metrics.NodeMetrics;
import dev.pbkv.server.net.ListeningDoor;
import dev.pbkv.server.net.RefusedConnection;
import dev.pbkv.server.net.TcpListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseEncoder;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import java.util.concurrent.TimeUnit;
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
public final class HttpDoor extends ListeningDoor {

    private static final int MAX_HEADER_BYTES = 16 * 1024;

    private final HttpSettings settings;
    private final HttpRoutes routes;
    private final NodeMetrics metrics;
    private final boolean ownsMetrics;
    /** Requests read and not yet answered, over all connections; close() waits a grace for zero. */
    private final AtomicInteger inFlight = new AtomicInteger();

    /** A door with metrics of its own (request meters of this door, and the node's status gauges). */
    public HttpDoor(Commands commands, HttpSettings settings) {
        this(commands, settings, new NodeMetrics(commands::status), true);
    }

    /** A door that serves the node's shared metrics (which the node closes) at /metrics. */
    public HttpDoor(Commands commands, HttpSettings settings, NodeMetrics metrics) {
        this(commands, settings, metrics, false);
    }

    private HttpDoor(Commands commands, HttpSettings settings, NodeMetrics metrics, boolean ownsMetrics) {
        super(
                "http",
                settings.host(),
                settings.port(),
                settings.effectiveIoThreads(),
                settings.connections(),
                settings.tls());
        this.settings = settings;
        this.metrics = metrics;
        this.ownsMetrics = ownsMetrics;
        this.routes = new HttpRoutes(commands, metrics);
        metrics.connectionGauges("http", this::openConnections, this::refusedConnections);
    }

    @Override
    protected void initConnection(SocketChannel ch) {
        ch.pipeline().addLast("http-codec", new HttpServerCodec(settings.maxUriBytes(), MAX_HEADER_BYTES, 64 * 1024));
        ch.pipeline().addLast("http-aggregator", new JsonRefusingAggregator(settings.maxBodyBytes()));
        ch.pipeline().addLast("http-handler", new HttpRequestHandler(routes, inFlight));
    }

    /**
     * Past limits.max-connections: a 503 with the contract's JSON and Connection: close, sent
     * as the connection opens (before any request is read, so nothing of it is parsed).
     */
    @Override
    protected void refuseConnection(SocketChannel ch) {
        int max = limits().maxConnections();
        ch.pipeline().addLast("http-encoder", new HttpResponseEncoder());
        ch.pipeline().addLast("http-refusal", new RefusedConnection(alloc -> {
            FullHttpResponse response = HttpAnswers.refusal(
                    alloc,
                    HttpResponseStatus.SERVICE_UNAVAILABLE,
                    "max number of connections reached (limits.max-connections = " + max + "); try again later");
            response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
            return response;
        }));
    }

    /** Answers in flight (a /kvman/shutdown among them) get a moment to be written. */
    @Override
    protected boolean answersPending(TcpListener listener) {
        return inFlight.get() > 0;
    }

    @Override
    protected void afterClose() {
        if (ownsMetrics) {
            metrics.close();
        }
    }

    /** The metrics this door serves at /metrics. */
    public NodeMetrics metrics() {
        return metrics;
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
            FullHttpResponse response = HttpAnswers.refusal(
                    ctx.alloc(),
                    HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE,
                    "request body over the limit of " + maxBodyBytes + " bytes");
            response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
            ctx.writeAndFlush(response).addListener(written -> lingerThenClose(ctx));
        }

        /**
         * Closing with the rest of the body unread would reset the connection, and a reset can
         * destroy the 413 before the client reads it (HttpDoorTest saw "received no bytes" once).
         * So the door half-closes (FIN after the answer), goes on reading and dropping the body
         * (this aggregator discards it), and closes when the client does, or after a grace period.
         */
        private static void lingerThenClose(ChannelHandlerContext ctx) {
            if (!(ctx.channel() instanceof SocketChannel socket) || !socket.isActive()) {
                ctx.close();
                return;
            }
            socket.shutdownOutput().addListener(done -> {
                if (!done.isSuccess()) {
                    ctx.close();
                }
            });
            socket.config().setAutoRead(true);
            ctx.executor().schedule(() -> ctx.close(), LINGER_MILLIS, TimeUnit.MILLISECONDS);
        }
    }

    /** How long a refused oversized request's connection keeps draining its body before it is closed. */
    private static final long LINGER_MILLIS = 2000;
}
