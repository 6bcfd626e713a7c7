package dev.pbkv.server.http;

import com.fasterxml.jackson.databind.JsonNode;
import dev.pbkv.server.auth.BasicCredentials;
import dev.pbkv.server.command.Commands;
import dev.pbkv.server.command.Expiry;
import dev.pbkv.server.command.NodeStatus;
import dev.pbkv.server.command.Reply;
import dev.pbkv.server.command.WriteAck;
import dev.pbkv.server.command.WriteTag;
import dev.pbkv.server.metrics.NodeMetrics;
import dev.pbkv.server.metrics.RequestMeter;
import dev.pbkv.server.net.TurnLogWrites;
import dev.pbkv.server.role.NodeState;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP endpoints: parses a request's path, method and fields, calls the command layer, and
 * writes the JSON answer. Shared by every connection of the door; stateless.
 */
final class HttpRoutes {

    private static final Logger LOG = LoggerFactory.getLogger(HttpRoutes.class);
    /** How long /kvman/shutdown waits to report the shutdown's own answer before saying it started. */
    private static final long SHUTDOWN_ANSWER_WAIT_MILLIS = 500;

    /** The endpoints, with the one method each accepts. */
    enum Endpoint {
        INSERT("/kv/insert", HttpMethod.POST),
        UPDATE("/kv/update", HttpMethod.POST),
        DELETE("/kv/delete", HttpMethod.POST),
        GET("/kv/get", HttpMethod.GET),
        COUNTKEY("/kvman/countkey", HttpMethod.GET),
        DUMP("/kvman/dump", HttpMethod.GET),
        SHUTDOWN("/kvman/shutdown", HttpMethod.GET),
        HEALTH("/health", HttpMethod.GET),
        METRICS("/metrics", HttpMethod.GET);

        final String path;
        final HttpMethod method;

        Endpoint(String path, HttpMethod method) {
            this.path = path;
            this.method = method;
        }

        private static final Map<String, Endpoint> BY_PATH = new HashMap<>();

        static {
            for (Endpoint e : values()) {
                BY_PATH.put(e.path, e);
            }
        }

        static Endpoint of(String path) {
            String p = path.length() > 1 && path.endsWith("/") ? path.substring(0, path.length() - 1) : path;
            return BY_PATH.get(p);
        }
    }

    /** The command layer unrestricted; each request uses it as its caller may ({@link Commands#as}). */
    private final Commands layer;

    private final NodeMetrics metrics;
    /** Under fsync no, a write is written by its event loop at the end of the loop's turn. */
    private final TurnLogWrites turnLogWrites;

    private final Map<Endpoint, RequestMeter> meters = new java.util.EnumMap<>(Endpoint.class);

    HttpRoutes(Commands commands, NodeMetrics metrics) {
        this.layer = commands;
        this.turnLogWrites = new TurnLogWrites(commands::expectLogWrite, commands::writeExpectedLog);
        this.metrics = metrics;
        for (Endpoint e : Endpoint.values()) {
            meters.put(e, metrics.requestMeter("http", e.name().toLowerCase(Locale.ROOT)));
        }
    }

    /** Serves one request; completes once its answer is written (never exceptionally for a bad request). */
    CompletableFuture<Void> serve(ChannelHandlerContext ctx, FullHttpRequest request) {
        boolean keepAlive = HttpUtil.isKeepAlive(request);
        DecoderResult decoded = request.decoderResult();
        if (decoded.isFailure()) {
            Throwable cause = decoded.cause();
            HttpResponseStatus status = cause instanceof TooLongHttpLineException
                    ? HttpResponseStatus.REQUEST_URI_TOO_LONG
                    : cause instanceof TooLongHttpHeaderException
                            ? HttpResponseStatus.REQUEST_HEADER_FIELDS_TOO_LARGE
                            : HttpResponseStatus.BAD_REQUEST;
            return write(
                    ctx,
                    HttpAnswers.refusal(ctx.alloc(), status, "malformed HTTP request: " + cause.getMessage()),
                    false);
        }
        QueryStringDecoder uri;
        Map<String, List<String>> query;
        String path;
        try {
            uri = new QueryStringDecoder(request.uri(), StandardCharsets.UTF_8);
            path = uri.path();
            query = uri.parameters();
        } catch (IllegalArgumentException e) {
            return write(
                    ctx,
                    HttpAnswers.refusal(
                            ctx.alloc(), HttpResponseStatus.BAD_REQUEST, "bad encoding in the URI: " + e.getMessage()),
                    keepAlive);
        }
        Endpoint endpoint = Endpoint.of(path);
        if (endpoint == null) {
            return write(
                    ctx,
                    HttpAnswers.refusal(ctx.alloc(), HttpResponseStatus.NOT_FOUND, "no such endpoint: " + path),
                    keepAlive);
        }
        if (!request.method().equals(endpoint.method)) {
            FullHttpResponse refusal = HttpAnswers.refusal(
                    ctx.alloc(),
                    HttpResponseStatus.METHOD_NOT_ALLOWED,
                    endpoint.path + " takes " + endpoint.method + ", not " + request.method());
            refusal.headers().set(HttpHeaderNames.ALLOW, endpoint.method.name());
            return write(ctx, refusal, keepAlive);
        }
        Map<String, String> fields;
        try {
            fields = fields(request, query);
        } catch (IllegalArgumentException e) {
            return write(
                    ctx, HttpAnswers.refusal(ctx.alloc(), HttpResponseStatus.BAD_REQUEST, e.getMessage()), keepAlive);
        } catch (UnsupportedMediaTypeException e) {
            return write(
                    ctx,
                    HttpAnswers.refusal(ctx.alloc(), HttpResponseStatus.UNSUPPORTED_MEDIA_TYPE, e.getMessage()),
                    keepAlive);
        }
        if (!layer.authenticationRequired() || endpoint == Endpoint.HEALTH) {
            return route(ctx, endpoint, fields, keepAlive, layer);
        }
        BasicCredentials credentials = BasicCredentials.parse(request.headers().get(HttpHeaderNames.AUTHORIZATION));
        if (credentials == null) {
            return write(
                    ctx,
                    HttpAnswers.unauthenticated(
                            ctx.alloc(),
                            "authentication required: send Authorization:"
                                    + " Basic base64(user:password) (docs/security.md)"),
                    keepAlive);
        }
        return layer.authenticate(credentials.user(), credentials.password()).thenCompose(found -> {
            if (found.isEmpty()) {
                LOG.info(
                        "HTTP: failed authentication as '{}' from {}",
                        credentials.user(),
                        ctx.channel().remoteAddress());
                return write(
                        ctx, HttpAnswers.unauthenticated(ctx.alloc(), "invalid username-password pair"), keepAlive);
            }
            // On the event loop again: the rest of the request runs where it would without auth.
            CompletableFuture<Void> done = new CompletableFuture<>();
            ctx.executor()
                    .execute(() -> route(ctx, endpoint, fields, keepAlive, layer.as(found.get()))
                            .whenComplete((v, e) -> {
                                if (e != null) {
                                    done.completeExceptionally(e);
                                } else {
                                    done.complete(null);
                                }
                            }));
            return done;
        });
    }

    private CompletableFuture<Void> route(
            ChannelHandlerContext ctx,
            Endpoint endpoint,
            Map<String, String> fields,
            boolean keepAlive,
            Commands commands) {
        long start = System.nanoTime();
        RequestMeter meter = meters.get(endpoint);
        CompletableFuture<FullHttpResponse> answer;
        // allow_stale=true lets a backup answer reads from its own copy (as gRPC's allow_stale);
        // the tester reads both nodes this way to compare them.
        boolean allowStale = "true".equalsIgnoreCase(fields.get("allow_stale"));
        switch (endpoint) {
            case INSERT, UPDATE -> {
                String key = fields.get("key");
                String value = fields.get("value");
                if (key == null || value == null) {
                    return missing(ctx, key == null ? "key" : "value", keepAlive, meter, start);
                }
                // ttl: optional, milliseconds from now by the primary's clock (docs/expiry.md).
                String ttl = fields.get("ttl");
                Expiry expiry = Expiry.NONE;
                if (ttl != null) {
                    if (!ttl.trim().matches("[1-9][0-9]{0,17}")) {
                        meter.record(start, false);
                        return write(
                                ctx,
                                HttpAnswers.refusal(
                                        ctx.alloc(),
                                        HttpResponseStatus.BAD_REQUEST,
                                        "field 'ttl' must be a positive whole number of milliseconds, was '" + ttl
                                                + "'"),
                                keepAlive);
                    }
                    expiry = Expiry.in(Long.parseLong(ttl.trim()));
                }
                turnLogWrites.beforeWrite(ctx.executor());
                CompletableFuture<Reply<WriteAck>> write = endpoint == Endpoint.INSERT
                        ? commands.insert(utf8(key), utf8(value), expiry, WriteTag.NONE)
                        : commands.update(utf8(key), utf8(value), expiry, WriteTag.NONE);
                answer = write.thenApply(r -> r instanceof Reply.Failure<WriteAck> f
                        ? HttpAnswers.failure(ctx.alloc(), f)
                        : HttpAnswers.success(ctx.alloc()));
            }
            case DELETE -> {
                String key = fields.get("key");
                if (key == null) {
                    return missing(ctx, "key", keepAlive, meter, start);
                }
                answer = delete(ctx, commands, utf8(key));
            }
            case GET -> {
                String key = fields.get("key");
                if (key == null) {
                    return missing(ctx, "key", keepAlive, meter, start);
                }
                answer = commands.get(utf8(key), allowStale)
                        .thenApply(r -> r instanceof Reply.Success<byte[]> s
                                ? HttpAnswers.success(ctx.alloc(), Map.of("value", HttpAnswers.text(s.value())))
                                : HttpAnswers.failure(ctx.alloc(), (Reply.Failure<?>) r));
            }
            case COUNTKEY -> {
                // The contract's management reads answer from this node's own copy, on a backup too
                // (as allow_stale would); "from" says whose copy it was.
                CopyOrigin origin = CopyOrigin.of(commands.status());
                answer = commands.count(true).thenApply(r -> {
                    if (r instanceof Reply.Success<Long> s) {
                        Map<String, Object> body = new LinkedHashMap<>();
                        body.put("result", s.value());
                        origin.addTo(body);
                        FullHttpResponse ok = HttpAnswers.json(ctx.alloc(), HttpResponseStatus.OK, body);
                        origin.addTo(ok.headers());
                        return ok;
                    }
                    return HttpAnswers.failure(ctx.alloc(), (Reply.Failure<?>) r);
                });
            }
            case DUMP -> {
                return new DumpStream(ctx, keepAlive, CopyOrigin.of(commands.status()))
                        .run(commands, true)
                        .whenComplete((ok, e) -> meter.record(start, e == null && ok))
                        .thenApply(ok -> null);
            }
            case SHUTDOWN -> answer = shutdown(ctx, commands);
            case HEALTH -> answer = CompletableFuture.completedFuture(health(ctx));
            case METRICS ->
                answer = CompletableFuture.completedFuture(HttpAnswers.bytes(
                        ctx.alloc(),
                        HttpResponseStatus.OK,
                        NodeMetrics.contentType(),
                        metrics.scrape().getBytes(StandardCharsets.UTF_8)));
            default -> throw new IllegalStateException("no route for " + endpoint);
        }
        return answer.thenCompose(response -> {
            meter.record(start, response.status().code() < 400);
            return write(ctx, response, keepAlive);
        });
    }

    private CompletableFuture<FullHttpResponse> delete(ChannelHandlerContext ctx, Commands commands, byte[] key) {
        // The contract answers the deleted value: read and deleted in one step (docs/batches.md).
        turnLogWrites.beforeWrite(ctx.executor());
        return commands.deleteReturning(key, WriteTag.NONE).thenApply(r -> {
            if (r instanceof Reply.Failure<byte[]> f) {
                return HttpAnswers.failure(ctx.alloc(), f);
            }
            byte[] deleted = ((Reply.Success<byte[]>) r).value();
            return deleted != null
                    ? HttpAnswers.success(ctx.alloc(), Map.of("value", HttpAnswers.text(deleted)))
                    : HttpAnswers.success(ctx.alloc());
        });
    }

    private CompletableFuture<FullHttpResponse> shutdown(ChannelHandlerContext ctx, Commands commands) {
        LOG.info("shutdown requested over HTTP by {}", ctx.channel().remoteAddress());
        // On a thread of its own: the node's shutdown may close this door, which must not happen on
        // (and wait for) one of the door's own event loops.
        CompletableFuture<Reply<Boolean>> shutdown = new CompletableFuture<>();
        Thread thread = new Thread(
                () -> {
                    try {
                        commands.shutdown(false).whenComplete((r, e) -> {
                            if (e != null) {
                                shutdown.completeExceptionally(e);
                            } else {
                                shutdown.complete(r);
                            }
                        });
                    } catch (RuntimeException e) {
                        shutdown.completeExceptionally(e);
                    }
                },
                "pbkv-http-shutdown");
        thread.start();
        return shutdown.completeOnTimeout(null, SHUTDOWN_ANSWER_WAIT_MILLIS, TimeUnit.MILLISECONDS)
                .handle((r, e) -> {
                    if (e != null) {
                        return HttpAnswers.refusal(
                                ctx.alloc(), HttpResponseStatus.INTERNAL_SERVER_ERROR, "shutdown failed: " + e);
                    }
                    if (r instanceof Reply.Failure<Boolean> f) {
                        return HttpAnswers.failure(ctx.alloc(), f);
                    }
                    Map<String, Object> fields = new LinkedHashMap<>();
                    fields.put("message", "shutting down");
                    if (r instanceof Reply.Success<Boolean> s) {
                        fields.put("switchover", Boolean.TRUE.equals(s.value()));
                    }
                    return HttpAnswers.success(ctx.alloc(), fields);
                });
    }

    private FullHttpResponse health(ChannelHandlerContext ctx) {
        NodeStatus status;
        try {
            status = layer.status();
        } catch (RuntimeException e) {
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("status", "DOWN");
            body.put("error", e.toString());
            return HttpAnswers.json(ctx.alloc(), HttpResponseStatus.SERVICE_UNAVAILABLE, body);
        }
        boolean up = status.state() == NodeState.SYNC || status.state() == NodeState.BOOTSTRAP;
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("status", up ? "UP" : "DOWN");
        body.put("role", status.role().name());
        body.put("state", status.state().name());
        body.put("epoch", status.epoch());
        body.put("nodeId", status.nodeId());
        body.put("peerConnected", status.peerConnected());
        var c = status.coordinator();
        Map<String, Object> coordinator = new LinkedHashMap<>();
        coordinator.put("connection", c.connection().name());
        coordinator.put("address", c.address());
        coordinator.put("stateVersion", c.stateVersion());
        coordinator.put("epoch", c.epoch());
        coordinator.put("primary", c.primary());
        coordinator.put("inSync", c.inSync());
        coordinator.put("leader", c.leader());
        body.put("coordinator", coordinator);
        body.put("keys", status.keyCount());
        body.put("expiringKeys", status.expiringKeyCount());
        return HttpAnswers.json(ctx.alloc(), up ? HttpResponseStatus.OK : HttpResponseStatus.SERVICE_UNAVAILABLE, body);
    }

    private CompletableFuture<Void> missing(
            ChannelHandlerContext ctx, String field, boolean keepAlive, RequestMeter meter, long start) {
        meter.record(start, false);
        return write(
                ctx,
                HttpAnswers.refusal(
                        ctx.alloc(),
                        HttpResponseStatus.BAD_REQUEST,
                        "missing field '" + field + "' (a form field or query parameter)"),
                keepAlive);
    }

    /**
     * The request's fields: its form body (application/x-www-form-urlencoded, or a JSON object of
     * strings), then its query parameters for names the body did not give. First value wins.
     */
    private static Map<String, String> fields(FullHttpRequest request, Map<String, List<String>> query)
            throws UnsupportedMediaTypeException {
        Map<String, String> fields = new HashMap<>();
        if (request.content().isReadable()) {
            String type =
                    request.headers().get(HttpHeaderNames.CONTENT_TYPE, "").toLowerCase(Locale.ROOT);
            String body = request.content().toString(StandardCharsets.UTF_8);
            if (type.isEmpty()
                    || type.startsWith(HttpHeaderValues.APPLICATION_X_WWW_FORM_URLENCODED.toString())
                    || type.startsWith("text/plain")) {
                try {
                    new QueryStringDecoder(body, StandardCharsets.UTF_8, false)
                            .parameters()
                            .forEach((name, values) -> fields.putIfAbsent(name, values.get(0)));
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException("bad encoding in the form body: " + e.getMessage());
                }
            } else if (type.startsWith("application/json")) {
                JsonNode node;
                try {
                    node = HttpAnswers.JSON.readTree(body);
                } catch (java.io.IOException e) {
                    throw new IllegalArgumentException("bad JSON body: " + e.getMessage());
                }
                if (node == null || !node.isObject()) {
                    throw new IllegalArgumentException("a JSON body must be an object of fields");
                }
                node.fields()
                        .forEachRemaining(e -> fields.putIfAbsent(
                                e.getKey(),
                                e.getValue().isTextual()
                                        ? e.getValue().textValue()
                                        : e.getValue().toString()));
            } else {
                throw new UnsupportedMediaTypeException("unsupported body type '" + type
                        + "': send application/x-www-form-urlencoded (or application/json)");
            }
        }
        query.forEach((name, values) -> fields.putIfAbsent(name, values.get(0)));
        return fields;
    }

    static CompletableFuture<Void> write(ChannelHandlerContext ctx, FullHttpResponse response, boolean keepAlive) {
        if (keepAlive) {
            response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
        } else {
            response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        }
        ChannelFuture written = ctx.writeAndFlush(response);
        if (!keepAlive) {
            written.addListener(ChannelFutureListener.CLOSE);
        }
        CompletableFuture<Void> done = new CompletableFuture<>();
        written.addListener(f -> done.complete(null));
        return done;
    }

    private static byte[] utf8(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    /** A body of a type the door cannot read (415). */
    private static final class UnsupportedMediaTypeException extends Exception {
        private static final long serialVersionUID = 1L;

        UnsupportedMediaTypeException(String message) {
            super(message, null, false, false);
        }
    }
}
