package dev.pbkv.server.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.pbkv.server.command.ErrorCode;
import dev.pbkv.server.command.Reply;
import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The JSON answers of the HTTP contract, and the one place where the command layer's
 * {@link ErrorCode}s become HTTP statuses. The body is the contract ({"success":"false",
 * "error":...}); the status only helps generic HTTP tools.
 */
final class HttpAnswers {

    static final ObjectMapper JSON = new ObjectMapper();
    static final String JSON_TYPE = "application/json; charset=utf-8";

    private HttpAnswers() {}

    static HttpResponseStatus statusOf(ErrorCode code) {
        return switch (code) {
            case INVALID_ARGUMENT -> HttpResponseStatus.BAD_REQUEST;
            case NOT_FOUND -> HttpResponseStatus.NOT_FOUND;
            case ALREADY_EXISTS, FAILED_PRECONDITION -> HttpResponseStatus.CONFLICT;
            case RESOURCE_EXHAUSTED -> HttpResponseStatus.INSUFFICIENT_STORAGE;
            case UNAVAILABLE -> HttpResponseStatus.SERVICE_UNAVAILABLE;
            case INTERNAL -> HttpResponseStatus.INTERNAL_SERVER_ERROR;
            // The request was taken and its outcome is not known: like a gateway that timed out.
            case OUTCOME_UNKNOWN -> HttpResponseStatus.GATEWAY_TIMEOUT;
            case UNAUTHENTICATED -> HttpResponseStatus.UNAUTHORIZED;
            case PERMISSION_DENIED -> HttpResponseStatus.FORBIDDEN;
            case OUT_OF_RANGE -> HttpResponseStatus.GONE;
        };
    }

    /** {"success":"true"} plus the given fields. */
    static FullHttpResponse success(ByteBufAllocator alloc, Map<String, Object> fields) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("success", "true");
        body.putAll(fields);
        return json(alloc, HttpResponseStatus.OK, body);
    }

    static FullHttpResponse success(ByteBufAllocator alloc) {
        return success(alloc, Map.of());
    }

    /** A command layer failure: {"success":"false","error":...,"code":...} and, if known, "primary". */
    static FullHttpResponse failure(ByteBufAllocator alloc, Reply.Failure<?> failure) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("success", "false");
        body.put("error", failure.message() == null ? failure.code().name() : failure.message());
        body.put("code", failure.code().name());
        if (failure.primaryAddress() != null) {
            body.put("primary", failure.primaryAddress());
        }
        FullHttpResponse response = json(alloc, statusOf(failure.code()), body);
        if (failure.primaryAddress() != null) {
            response.headers().set("X-Pbkv-Primary", failure.primaryAddress());
        }
        return response;
    }

    /** A request the door itself refuses (bad path, method, field, encoding, size). */
    /** 401 with the contract's JSON and the challenge that tells a client to send Basic credentials. */
    static FullHttpResponse unauthenticated(ByteBufAllocator alloc, String error) {
        FullHttpResponse response = refusal(alloc, HttpResponseStatus.UNAUTHORIZED, error);
        response.headers().set(HttpHeaderNames.WWW_AUTHENTICATE, "Basic realm=\"pbkv\", charset=\"UTF-8\"");
        return response;
    }

    static FullHttpResponse refusal(ByteBufAllocator alloc, HttpResponseStatus status, String error) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("success", "false");
        body.put("error", error);
        return json(alloc, status, body);
    }

    static FullHttpResponse json(ByteBufAllocator alloc, HttpResponseStatus status, Object body) {
        return bytes(alloc, status, JSON_TYPE, toJson(body));
    }

    static FullHttpResponse bytes(ByteBufAllocator alloc, HttpResponseStatus status, String contentType, byte[] body) {
        FullHttpResponse response = new DefaultFullHttpResponse(
                HttpVersion.HTTP_1_1, status, alloc.buffer(body.length).writeBytes(body));
        response.headers().set(HttpHeaderNames.CONTENT_TYPE, contentType);
        response.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, body.length);
        response.headers().set(HttpHeaderNames.CACHE_CONTROL, HttpHeaderValues.NO_STORE);
        return response;
    }

    static byte[] toJson(Object body) {
        try {
            return JSON.writeValueAsBytes(body);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Keys and values are bytes; the JSON contract carries them as UTF-8 text. */
    static String text(byte[] bytes) {
        return new String(bytes, StandardCharsets.UTF_8);
    }
}
