package dev.pbkv.tester.driver;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import javax.net.ssl.SSLException;

/**
 * Drives one node through the cross-team HTTP contract (docs/http.md):
 * {@code POST /kv/insert|update|delete} with form fields {@code key} and {@code value},
 * {@code GET /kv/get?key=}, {@code GET /kvman/countkey}, {@code /kvman/dump}, {@code /kvman/shutdown},
 * answers such as {@code {"success":"true","value":"..."}} and on failure
 * {@code {"success":"false","error":"..."}}.
 *
 * <p>What the contract lacks is built from what it has, and documented in test-cases/README.md:
 * {@code put} is an insert followed, when the insert fails, by an update; {@code exists} is a get;
 * {@code status} asks {@code /kvman/countkey} whether the node answers, then reads {@code /health}
 * for "state" and "role" only as long as the node has one that says them (asked once otherwise:
 * some servers answer unknown paths only after a delay); {@code promote} is UNSUPPORTED. Reads
 * carry {@code allow_stale=true} in the query, so a backup that honours it answers from its own
 * copy.
 *
 * <p>The dialects seen so far are all read: a get's {@code {"success":"false","value":""}} with
 * HTTP 200, a 404, a NOT_FOUND code or words such as "not exist" mean missing; a dump is a JSON
 * object or a list of pairs; a count is a number or a string. A failure is a transport error, an
 * answer that is not JSON, a non-2xx status or {@code "success":"false"}; its code comes from a
 * "code" field when the node sends one (pbkv does), else from the HTTP status, else from the words
 * of the error.
 */
public final class HttpDriver implements Driver {
    private static final ObjectMapper JSON = new ObjectMapper();
    /**
     * Sent with every read, as the gRPC driver sets allow_stale: a read sent on purpose to a backup
     * asks for its own copy. Servers that do not know the parameter ignore it.
     */
    private static final String STALE = "allow_stale=true";

    private final String base;
    private final Duration deadline;
    /** Added to every timeout message: which setting to raise. */
    private final String timeoutHint;

    private final HttpClient client;
    /** Sent as the Authorization header of every request; null: none. */
    private final String authorization;

    /** Whether the node has a /health that tells state or role; learnt from its first answer. */
    private enum Health {
        UNKNOWN,
        PRESENT,
        ABSENT
    }

    private volatile Health health = Health.UNKNOWN;

    /** {@code base} is the node's URL without a trailing slash, e.g. http://127.0.0.1:8001. */
    public HttpDriver(String base, Duration deadline) {
        this(base, deadline, "raise timeouts.request_ms in the test config");
    }

    /**
     * As above; {@code timeoutHint} ends every timeout message, e.g. "raise timeouts.request_ms in
     * conf/pbkv-test.conf".
     */
    public HttpDriver(String base, Duration deadline, String timeoutHint) {
        this(base, deadline, timeoutHint, NodeConnector.PLAINTEXT);
    }

    /**
     * As above, over {@code connector}: https trusting its CA when TLS is on ({@code base} then
     * starts with https://), and its credentials in the {@code Authorization} header of every request.
     */
    public HttpDriver(String base, Duration deadline, String timeoutHint, NodeConnector connector) {
        this.base = base;
        this.deadline = deadline;
        this.timeoutHint = timeoutHint;
        this.authorization = connector.authorization().orElse(null);
        this.client = connector
                .http()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(deadline)
                .followRedirects(HttpClient.Redirect.NEVER)
                .build();
    }

    @Override
    public OpResult insert(String key, String value) {
        return write("/kv/insert", Map.of("key", key, "value", value));
    }

    @Override
    public OpResult update(String key, String value) {
        return write("/kv/update", Map.of("key", key, "value", value));
    }

    @Override
    public OpResult put(String key, String value) {
        OpResult inserted = insert(key, value);
        if (inserted instanceof OpResult.Failed f
                && !f.unreachable()
                && !f.code().equals(FailureCode.BAD_ANSWER)
                && !f.code().equals(FailureCode.INVALID_ARGUMENT)) {
            return update(key, value);
        }
        return inserted;
    }

    @Override
    public OpResult delete(String key) {
        return write("/kv/delete", Map.of("key", key));
    }

    @Override
    public OpResult get(String key) {
        Raw raw = exchange(HttpRequest.newBuilder(uri("/kv/get?key=" + encode(key) + "&" + STALE))
                .GET());
        if (raw.failure != null) {
            return raw.failure;
        }
        JsonNode json = parseObject(raw.body);
        if (json == null) {
            return raw.status / 100 != 2
                    ? failureOf(raw.status, null, raw.body)
                    : bad("a JSON object such as {\"success\":\"true\",\"value\":\"...\"}", raw.body);
        }
        Boolean ok = success(json);
        if (Boolean.TRUE.equals(ok) && raw.status / 100 == 2) {
            JsonNode value = json.get("value");
            if (value == null || value.isNull()) {
                return bad("a successful get with \"value\"", raw.body);
            }
            return new OpResult.Value(value.isTextual() ? value.textValue() : value.toString());
        }
        if (ok == null && raw.status / 100 == 2) {
            return bad("an answer with \"success\"", raw.body);
        }
        OpResult.Failed f = failureOf(raw.status, json, raw.body);
        // The course's servers answer a missing key {"success":"false","value":""} with HTTP 200.
        boolean saysNothing = blank(field(json, "error")) && blank(field(json, "message"));
        if (f.code().equals(FailureCode.NOT_FOUND) || (raw.status / 100 == 2 && saysNothing)) {
            return new OpResult.Missing();
        }
        return f;
    }

    @Override
    public OpResult exists(String key) {
        OpResult r = get(key);
        if (r instanceof OpResult.Value) {
            return new OpResult.Flag(true);
        }
        if (r instanceof OpResult.Missing) {
            return new OpResult.Flag(false);
        }
        return r;
    }

    @Override
    public OpResult count() {
        // The contract answers {"result": N}, without "success".
        Raw raw =
                exchange(HttpRequest.newBuilder(uri("/kvman/countkey?" + STALE)).GET());
        if (raw.failure != null) {
            return raw.failure;
        }
        JsonNode json = parseObject(raw.body);
        JsonNode n = json == null ? null : json.get("result");
        if (raw.status / 100 != 2 || n == null) {
            JsonNode success = json == null ? null : json.get("success");
            if (raw.status / 100 != 2 || (success != null && "false".equalsIgnoreCase(success.asText()))) {
                return failureOf(raw.status, json, raw.body);
            }
        }
        if (n != null && n.isIntegralNumber()) {
            return new OpResult.Count(n.longValue());
        }
        if (n != null && n.isTextual()) {
            try {
                return new OpResult.Count(Long.parseLong(n.textValue().trim()));
            } catch (NumberFormatException notANumber) {
                // falls through to the bad answer below
            }
        }
        return bad("a countkey answer {\"result\": N} (N a number or a string of digits)", raw.body);
    }

    @Override
    public OpResult dump(boolean allowStale) {
        Raw raw = exchange(HttpRequest.newBuilder(uri(allowStale ? "/kvman/dump?" + STALE : "/kvman/dump"))
                .GET());
        if (raw.failure != null) {
            return raw.failure;
        }
        if (raw.status / 100 != 2) {
            return failureOf(raw.status, parseObject(raw.body), raw.body);
        }
        Map<String, String> entries = dumpEntries(parse(raw.body));
        if (entries == null) {
            return bad("a dump as a JSON object {\"k\":\"v\",...} or a list of pairs [[\"k\",\"v\"],...]", raw.body);
        }
        return new OpResult.Dump(entries);
    }

    /** The pairs of an object {"k":"v"} or a list [["k","v"], ...] (or [{"key":..,"value":..}]), else null. */
    private static Map<String, String> dumpEntries(JsonNode json) {
        if (json == null) {
            return null;
        }
        Map<String, String> entries = new HashMap<>();
        if (json.isObject()) {
            Iterator<Map.Entry<String, JsonNode>> it = json.fields();
            while (it.hasNext()) {
                Map.Entry<String, JsonNode> e = it.next();
                entries.put(e.getKey(), text(e.getValue()));
            }
            return entries;
        }
        if (!json.isArray()) {
            return null;
        }
        for (JsonNode pair : json) {
            if (pair.isArray() && pair.size() == 2 && pair.get(0).isValueNode()) {
                entries.put(pair.get(0).asText(), text(pair.get(1)));
            } else if (pair.isObject() && pair.has("key") && pair.get("key").isValueNode()) {
                entries.put(pair.get("key").asText(), text(pair.path("value")));
            } else {
                return null;
            }
        }
        return entries;
    }

    private static String text(JsonNode v) {
        if (v == null || v.isNull() || v.isMissingNode()) {
            return "";
        }
        return v.isTextual() ? v.textValue() : v.toString();
    }

    /**
     * Up is "answers the contract": {@code /kvman/countkey} gets an HTTP answer. State and role come
     * from {@code /health} while the node has one that says them; a node whose {@code /health}
     * answers without them, not at all, or not in time is not asked again.
     */
    @Override
    public OpResult status() {
        Raw probe =
                exchange(HttpRequest.newBuilder(uri("/kvman/countkey?" + STALE)).GET());
        if (probe.failure != null) {
            return probe.failure;
        }
        if (health == Health.ABSENT) {
            return new OpResult.Status(null, null);
        }
        Raw raw = exchange(HttpRequest.newBuilder(uri("/health")).GET());
        if (raw.failure != null) {
            if (health == Health.PRESENT) {
                return raw.failure; // it has a /health and went silent in between
            }
            if (raw.failure.code().equals(FailureCode.DEADLINE_EXCEEDED)) {
                health = Health.ABSENT; // unknown paths answered late, or never
            }
            return new OpResult.Status(null, null);
        }
        JsonNode json = parseObject(raw.body);
        String state = field(json, "state");
        String role = field(json, "role");
        if (state != null || role != null) {
            health = Health.PRESENT;
            return new OpResult.Status(state, role);
        }
        health = Health.ABSENT;
        return new OpResult.Status(null, null);
    }

    @Override
    public OpResult promote() {
        return new OpResult.Failed(FailureCode.UNSUPPORTED, "the HTTP contract has no promote");
    }

    @Override
    public OpResult shutdown() {
        Answer a = send(HttpRequest.newBuilder(uri("/kvman/shutdown")).GET());
        return a.failure != null ? a.failure : new OpResult.Done();
    }

    @Override
    public void close() {
        // java.net.http.HttpClient has nothing to close in Java 17; its threads end with it.
    }

    private OpResult write(String path, Map<String, String> form) {
        StringBuilder body = new StringBuilder();
        for (Map.Entry<String, String> e : new java.util.TreeMap<>(form).entrySet()) {
            if (body.length() > 0) {
                body.append('&');
            }
            body.append(encode(e.getKey())).append('=').append(encode(e.getValue()));
        }
        Answer a = send(HttpRequest.newBuilder(uri(path))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(body.toString())));
        return a.failure != null ? a.failure : new OpResult.Done();
    }

    /** An answer of the {"success": ...} form: either its JSON (success) or a failure. */
    private record Answer(JsonNode json, OpResult.Failed failure, String body) {}

    /** An HTTP exchange: status and body, or the failure that prevented it. */
    private record Raw(int status, String body, OpResult.Failed failure) {}

    private Answer send(HttpRequest.Builder request) {
        Raw raw = exchange(request);
        if (raw.failure != null) {
            return new Answer(null, raw.failure, null);
        }
        JsonNode json = parseObject(raw.body);
        JsonNode success = json == null ? null : json.get("success");
        if (success == null) {
            if (raw.status / 100 != 2) {
                return new Answer(null, failureOf(raw.status, json, raw.body), raw.body);
            }
            return new Answer(null, bad("an answer with \"success\"", raw.body), raw.body);
        }
        if (Boolean.TRUE.equals(success(json)) && raw.status / 100 == 2) {
            return new Answer(json, null, raw.body);
        }
        return new Answer(null, failureOf(raw.status, json, raw.body), raw.body);
    }

    private Raw exchange(HttpRequest.Builder request) {
        // The request timeout of java.net.http ends when the headers arrive; a body that never ends
        // would block send() for ever. Waiting on sendAsync bounds the whole exchange.
        if (authorization != null) {
            request.header("Authorization", authorization);
        }
        CompletableFuture<HttpResponse<String>> pending = client.sendAsync(
                request.timeout(deadline).build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        try {
            HttpResponse<String> r = pending.get(deadline.toMillis(), TimeUnit.MILLISECONDS);
            return new Raw(r.statusCode(), r.body(), null);
        } catch (TimeoutException e) {
            pending.cancel(true);
            return new Raw(
                    0,
                    null,
                    new OpResult.Failed(
                            FailureCode.DEADLINE_EXCEEDED,
                            "no complete answer within " + deadline.toMillis() + " ms; " + timeoutHint));
        } catch (ExecutionException e) {
            return failedExchange(e.getCause());
        } catch (InterruptedException e) {
            pending.cancel(true);
            Thread.currentThread().interrupt();
            return new Raw(0, null, new OpResult.Failed("CANCELLED", "interrupted"));
        }
    }

    private Raw failedExchange(Throwable cause) {
        SSLException tls = GrpcDriver.tlsFailure(cause);
        if (tls != null) {
            return new Raw(
                    0,
                    null,
                    new OpResult.Failed(
                            FailureCode.UNAVAILABLE,
                            "TLS handshake failed: " + tls.getMessage()
                                    + " (is tls.ca_file the CA that signed the node's certificate?)"));
        }
        try {
            throw cause;
        } catch (HttpConnectTimeoutException e) {
            return new Raw(
                    0,
                    null,
                    new OpResult.Failed(
                            FailureCode.UNAVAILABLE,
                            "no connection within " + deadline.toMillis() + " ms; " + timeoutHint));
        } catch (HttpTimeoutException e) {
            return new Raw(
                    0,
                    null,
                    new OpResult.Failed(
                            FailureCode.DEADLINE_EXCEEDED,
                            "no answer within " + deadline.toMillis() + " ms; " + timeoutHint));
        } catch (ConnectException e) {
            return new Raw(0, null, new OpResult.Failed(FailureCode.UNAVAILABLE, "connection refused"));
        } catch (IOException e) {
            String m = String.valueOf(e.getMessage());
            // The JDK client reports an answer that is not HTTP as a parse error of its first line.
            boolean garbage = m.contains("status line") || m.contains("Invalid") || m.contains("header");
            return new Raw(
                    0,
                    null,
                    new OpResult.Failed(
                            garbage && !m.contains("received no bytes")
                                    ? FailureCode.BAD_ANSWER
                                    : FailureCode.UNAVAILABLE,
                            e.getClass().getSimpleName() + ": " + m));
        } catch (Throwable e) {
            return new Raw(0, null, new OpResult.Failed("UNKNOWN", "client error: " + e));
        }
    }

    /** The failure an answer stands for; see the class comment for where its code comes from. */
    private static OpResult.Failed failureOf(int status, JsonNode json, String body) {
        String error = field(json, "error");
        if (error == null) {
            error = field(json, "message");
        }
        String message =
                error != null ? error : "HTTP " + status + (body == null || body.isBlank() ? "" : ": " + snippet(body));
        String code = field(json, "code");
        if (code != null && FailureCode.NAMES.contains(code)) {
            return new OpResult.Failed(code, message);
        }
        String byStatus = switch (status) {
            case 400, 413, 414, 431 -> FailureCode.INVALID_ARGUMENT;
            case 401 -> FailureCode.UNAUTHENTICATED;
            case 403 -> FailureCode.PERMISSION_DENIED;
            case 404 -> FailureCode.NOT_FOUND;
            case 409 -> FailureCode.ALREADY_EXISTS;
            case 503 -> FailureCode.UNAVAILABLE;
            case 507 -> FailureCode.RESOURCE_EXHAUSTED;
            case 504 -> FailureCode.DEADLINE_EXCEEDED;
            default -> null;
        };
        if (byStatus != null) {
            return new OpResult.Failed(byStatus, message);
        }
        return new OpResult.Failed(codeFromWords(error), message);
    }

    private static String codeFromWords(String error) {
        if (error == null) {
            return FailureCode.FAILED;
        }
        String e = error.toLowerCase(Locale.ROOT);
        // "not exist" before "exist": "key not exists" is a missing key, not a present one.
        if (e.contains("not found")
                || e.contains("not exist")
                || e.contains("no such")
                || e.contains("missing")
                || e.contains("doesn't exist")) {
            return FailureCode.NOT_FOUND;
        }
        if (e.contains("already exist") || e.contains("exists") || e.contains("duplicate")) {
            return FailureCode.ALREADY_EXISTS;
        }
        if (e.contains("unavailable") || e.contains("not primary") || e.contains("not the primary")) {
            return FailureCode.UNAVAILABLE;
        }
        if (e.contains("memory")) {
            return FailureCode.RESOURCE_EXHAUSTED;
        }
        if (e.contains("invalid") || e.contains("too long") || e.contains("too large") || e.contains("empty")) {
            return FailureCode.INVALID_ARGUMENT;
        }
        return FailureCode.FAILED;
    }

    private static boolean blank(String s) {
        return s == null || s.isBlank();
    }

    private static String field(JsonNode json, String name) {
        if (json == null) {
            return null;
        }
        JsonNode v = json.get(name);
        if (v == null || v.isNull() || v.isContainerNode()) {
            return null;
        }
        String s = v.asText();
        return name.equals("state") || name.equals("role") || name.equals("code") ? s.toUpperCase(Locale.ROOT) : s;
    }

    private static JsonNode parseObject(String body) {
        JsonNode n = parse(body);
        return n != null && n.isObject() ? n : null;
    }

    /** Any JSON value, or null when the body is not JSON. */
    private static JsonNode parse(String body) {
        if (body == null || body.isBlank()) {
            return null;
        }
        try {
            return JSON.readTree(body);
        } catch (JsonProcessingException e) {
            return null;
        }
    }

    /** The "success" field as true or false ("true", true, "false", false), or null when absent. */
    private static Boolean success(JsonNode json) {
        JsonNode s = json == null ? null : json.get("success");
        if (s == null || s.isNull()) {
            return null;
        }
        return s.isBoolean()
                ? s.booleanValue()
                : "true".equalsIgnoreCase(s.asText().trim());
    }

    private static OpResult.Failed bad(String what, String body) {
        return new OpResult.Failed(FailureCode.BAD_ANSWER, "expected " + what + ", got: " + snippet(body));
    }

    private static String snippet(String body) {
        if (body == null) {
            return "(nothing)";
        }
        String s = body.strip().replaceAll("\\s+", " ");
        return s.length() > 120 ? s.substring(0, 120) + "..." : s;
    }

    private URI uri(String pathAndQuery) {
        return URI.create(base + pathAndQuery);
    }

    private static String encode(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }
}
