package dev.pbkv.server.http;

import com.fasterxml.jackson.core.io.JsonStringEncoder;
import dev.pbkv.server.command.Commands;
import dev.pbkv.server.command.KeyValue;
import dev.pbkv.server.command.Reply;
import dev.pbkv.server.net.ConnectionGuard;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;

/**
 * GET /kvman/dump: one JSON object of every pair, streamed as chunks while the command layer
 * hands over its pages, so a large store is never one body in memory. The status line goes out
 * with the first page; a failure before it answers the usual JSON error, a failure after it can
 * only close the connection before the last chunk, so the client sees a broken transfer, never a
 * silently partial object.
 *
 * <p>Backpressure: the dump's thread waits after each page until the connection's output is
 * below its high-water mark, so a slow reader holds about that much of the node, never the
 * store (which the output hard limit would otherwise cut off).
 */
final class DumpStream {

    private final ChannelHandlerContext ctx;
    private final boolean keepAlive;
    private final CopyOrigin origin;
    /** Whether the status line is out; event loop only. */
    private boolean started;
    /** Whether an entry was written (the next one needs a comma); event loop only. */
    private boolean anyEntry;

    DumpStream(ChannelHandlerContext ctx, boolean keepAlive, CopyOrigin origin) {
        this.ctx = ctx;
        this.keepAlive = keepAlive;
        this.origin = origin;
    }

    /** Streams the dump; completes with whether it was whole, once the last byte is written. */
    CompletableFuture<Boolean> run(Commands commands, boolean allowStale) {
        CompletableFuture<Boolean> done = new CompletableFuture<>();
        CompletableFuture<Reply<Void>> dump;
        try {
            dump = commands.dump(allowStale, this::page);
        } catch (RuntimeException e) {
            dump = CompletableFuture.failedFuture(e);
        }
        dump.whenComplete((reply, error) -> finish(reply, error, done));
        return done;
    }

    /**
     * Any thread. Every write goes through the event loop's task queue, pages and the end alike,
     * even when called on the loop: a write made directly on the loop would overtake pages still
     * queued from the dump's thread, and the body would end before its last entries.
     */
    private void page(List<KeyValue> page) {
        CompletableFuture<Void> drained = new CompletableFuture<>();
        if (!onLoop(() -> {
            writePage(page);
            ConnectionGuard.of(ctx.channel()).whenWritable(drained);
        })) {
            throw new CancellationException("the HTTP door is closing");
        }
        if (ctx.executor().inEventLoop()) {
            return; // a sink called on the loop itself cannot wait for it
        }
        drained.join(); // on the dump's own thread; completes on close too
        if (!ctx.channel().isActive()) {
            throw new CancellationException("the client closed the connection during the dump");
        }
    }

    private void writePage(List<KeyValue> page) {
        startIfNeeded();
        ByteBuf chunk = ctx.alloc().buffer(64 * page.size() + 16);
        JsonStringEncoder encoder = JsonStringEncoder.getInstance();
        for (KeyValue entry : page) {
            if (anyEntry) {
                chunk.writeByte(',');
            }
            anyEntry = true;
            chunk.writeByte('"')
                    .writeBytes(encoder.quoteAsUTF8(HttpAnswers.text(entry.key())))
                    .writeByte('"');
            chunk.writeByte(':');
            chunk.writeByte('"')
                    .writeBytes(encoder.quoteAsUTF8(HttpAnswers.text(entry.value())))
                    .writeByte('"');
        }
        ctx.writeAndFlush(new DefaultHttpContent(chunk), ctx.voidPromise());
    }

    private void finish(Reply<Void> reply, Throwable error, CompletableFuture<Boolean> done) {
        if (!onLoop(() -> writeEnd(reply, error, done))) {
            done.complete(false);
        }
    }

    /** Queues a write task; false when the door is closing and its loop takes no more tasks. */
    private boolean onLoop(Runnable task) {
        try {
            ctx.executor().execute(task);
            return true;
        } catch (RejectedExecutionException e) {
            return false;
        }
    }

    private void writeEnd(Reply<Void> reply, Throwable error, CompletableFuture<Boolean> done) {
        boolean whole = error == null && reply instanceof Reply.Success;
        if (!whole && !started) {
            var response = error != null
                    ? HttpAnswers.refusal(
                            ctx.alloc(), HttpResponseStatus.INTERNAL_SERVER_ERROR, "dump failed: " + error)
                    : HttpAnswers.failure(ctx.alloc(), (Reply.Failure<?>) reply);
            HttpRoutes.write(ctx, response, keepAlive).whenComplete((v, e) -> done.complete(false));
            return;
        }
        if (!whole) {
            // No last chunk: the client sees the body end early, not a complete answer.
            ctx.close().addListener(f -> done.complete(false));
            return;
        }
        startIfNeeded();
        ChannelFuture written = ctx.writeAndFlush(
                new DefaultLastHttpContent(ctx.alloc().buffer(1).writeByte('}')));
        if (!keepAlive) {
            written.addListener(ChannelFutureListener.CLOSE);
        }
        written.addListener(f -> done.complete(true));
    }

    private void startIfNeeded() {
        if (started) {
            return;
        }
        started = true;
        HttpResponse head = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
        head.headers().set(HttpHeaderNames.CONTENT_TYPE, HttpAnswers.JSON_TYPE);
        head.headers().set(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED);
        head.headers()
                .set(HttpHeaderNames.CONNECTION, keepAlive ? HttpHeaderValues.KEEP_ALIVE : HttpHeaderValues.CLOSE);
        origin.addTo(head.headers());
        ctx.write(head, ctx.voidPromise());
        ctx.write(new DefaultHttpContent(ctx.alloc().buffer(1).writeByte('{')), ctx.voidPromise());
    }
}
