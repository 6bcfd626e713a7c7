package dev.pbkv.server.http;

import dev.pbkv.server.net.ConnectionGuard;
import dev.pbkv.server.net.ListeningDoor;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.util.ReferenceCountUtil;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One HTTP connection: serves its requests one after another, each once the previous answer is
 * written, so pipelined requests are answered in order even though the command layer answers
 * with futures. Nothing here blocks the event loop. Each request is reported to the connection's
 * {@link ConnectionGuard} when read and when answered (from whichever thread answered it), so a
 * client pipelining more than limits.max-inflight-per-connection requests is not read further
 * until they are answered.
 */
final class HttpRequestHandler extends ChannelInboundHandlerAdapter {

    private static final Logger LOG = LoggerFactory.getLogger(HttpRequestHandler.class);

    private final HttpRoutes routes;
    /** Completes when the last request read so far has been answered; event loop only. */
    private CompletableFuture<Void> previous = CompletableFuture.completedFuture(null);

    /** The door's count of unanswered requests. */
    private final AtomicInteger inFlight;

    HttpRequestHandler(HttpRoutes routes, AtomicInteger inFlight) {
        this.routes = routes;
        this.inFlight = inFlight;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof FullHttpRequest request)) {
            ReferenceCountUtil.release(msg);
            return;
        }
        if (!ctx.channel().isActive()) {
            request.release(); // closed by the output hard limit: not served
            return;
        }
        ConnectionGuard guard = ConnectionGuard.of(ctx.channel());
        guard.requestRead();
        inFlight.incrementAndGet();
        previous = previous.handle((v, e) -> null)
                .thenCompose(v -> routes.serve(ctx, request))
                .whenComplete((v, e) -> {
                    guard.requestAnswered();
                    inFlight.decrementAndGet();
                    request.release();
                    if (e != null) {
                        LOG.warn(
                                "http request {} {} failed unexpectedly; closing the connection",
                                request.method(),
                                request.uri(),
                                e);
                        ctx.close();
                    }
                });
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        ListeningDoor.closeFailedConnection("http", ctx, cause);
    }
}
