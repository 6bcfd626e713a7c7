package dev.pbkv.tester.fake;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An in-memory node of the cross-team HTTP contract on a loopback port, answering in one of the
 * dialects seen in other teams' servers (issue 14), so the HTTP driver can be tested against each.
 */
public final class DialectHttpNode implements AutoCloseable {
    /** How a server answers. */
    public enum Dialect {
        /**
         * The original course Go server: a missing key is HTTP 200 {"success":"false","value":""};
         * unknown paths are answered (404) only after a delay; the primary dumps a list of pairs,
         * the backup an object; countkey's result is a string.
         */
        COURSE,
        /** Another team's server: HTTP 200 with error texts "key not exists" and "key exists". */
        OTHER_TEAM,
        /** pbkv's own: status codes, a "code" field, /health with state and role. */
        PBKV
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Dialect dialect;
    private final boolean primary;
    private final Duration unknownPathDelay;
    private final Map<String, String> data = new ConcurrentHashMap<>();
    private final HttpServer server;
    private final ExecutorService threads = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "dialect-http-node");
        t.setDaemon(true);
        return t;
    });
    private final AtomicInteger unknownPathRequests = new AtomicInteger();

    public DialectHttpNode(Dialect dialect, boolean primary, Duration unknownPathDelay) throws IOException {
        this.dialect = dialect;
        this.primary = primary;
        this.unknownPathDelay = unknownPathDelay;
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.setExecutor(threads);
        server.createContext("/", this::unknownPath);
        server.createContext("/kv/insert", x -> write(x, "insert"));
        server.createContext("/kv/update", x -> write(x, "update"));
        server.createContext("/kv/delete", x -> write(x, "delete"));
        server.createContext("/kv/get", this::get);
        server.createContext("/kvman/countkey", this::countkey);
        server.createContext("/kvman/dump", this::dump);
        if (dialect == Dialect.PBKV) {
            server.createContext(
                    "/health",
                    x -> answer(
                            x, 200, Map.of("status", "UP", "state", "SYNC", "role", primary ? "PRIMARY" : "BACKUP")));
        }
        server.start();
    }

    public String baseUrl() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    public Map<String, String> data() {
        return data;
    }

    /** How many requests came for paths this server does not know (such as /health). */
    public int unknownPathRequests() {
        return unknownPathRequests.get();
    }

    @Override
    public void close() {
        server.stop(0);
        threads.shutdownNow();
    }

    private void unknownPath(HttpExchange x) throws IOException {
        unknownPathRequests.incrementAndGet();
        if (dialect == Dialect.PBKV) {
            answer(
                    x,
                    404,
                    Map.of(
                            "success",
                            "false",
                            "error",
                            "no such endpoint: " + x.getRequestURI().getPath()));
            return;
        }
        try {
            Thread.sleep(unknownPathDelay.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        send(x, 404, "404 page not found", "text/plain");
    }

    private void get(HttpExchange x) throws IOException {
        String key = query(x).getOrDefault("key", "");
        if (dialect == Dialect.PBKV && key.isEmpty()) {
            answer(x, 400, Map.of("success", "false", "error", "empty key", "code", "INVALID_ARGUMENT"));
            return;
        }
        String v = data.get(key);
        if (v != null) {
            answer(x, 200, Map.of("success", "true", "value", v));
            return;
        }
        switch (dialect) {
            case COURSE -> answer(x, 200, Map.of("success", "false", "value", ""));
            case OTHER_TEAM -> answer(x, 200, Map.of("success", "false", "error", "key not exists"));
            case PBKV -> answer(x, 404, Map.of("success", "false", "error", "no such key", "code", "NOT_FOUND"));
        }
    }

    private void countkey(HttpExchange x) throws IOException {
        Object n = dialect == Dialect.COURSE ? (Object) Integer.toString(data.size()) : (Object) data.size();
        answer(x, 200, Map.of("result", n));
    }

    private void dump(HttpExchange x) throws IOException {
        if (dialect == Dialect.COURSE && primary) {
            List<List<String>> pairs = new ArrayList<>();
            new TreeMap<>(data).forEach((k, v) -> pairs.add(List.of(k, v)));
            answer(x, 200, pairs);
        } else {
            answer(x, 200, new TreeMap<>(data));
        }
    }

    private void write(HttpExchange x, String op) throws IOException {
        Map<String, String> form = parse(new String(x.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
        String key = form.getOrDefault("key", "");
        String value = form.getOrDefault("value", "");
        if (dialect == Dialect.PBKV && key.isEmpty()) {
            answer(x, 400, Map.of("success", "false", "error", "empty key", "code", "INVALID_ARGUMENT"));
            return;
        }
        boolean ok = switch (op) {
            case "insert" -> data.putIfAbsent(key, value) == null;
            case "update" -> data.replace(key, value) != null;
            default -> data.remove(key) != null;
        };
        if (ok) {
            answer(x, 200, Map.of("success", "true"));
            return;
        }
        boolean exists = op.equals("insert");
        switch (dialect) {
            case COURSE -> answer(x, 200, Map.of("success", "false"));
            case OTHER_TEAM ->
                answer(x, 200, Map.of("success", "false", "error", exists ? "key exists" : "key not exists"));
            case PBKV ->
                answer(
                        x,
                        exists ? 409 : 404,
                        Map.of(
                                "success",
                                "false",
                                "error",
                                exists ? "key already exists" : "no such key",
                                "code",
                                exists ? "ALREADY_EXISTS" : "NOT_FOUND"));
        }
    }

    private static Map<String, String> query(HttpExchange x) {
        String q = x.getRequestURI().getRawQuery();
        return q == null ? Map.of() : parse(q);
    }

    private static Map<String, String> parse(String form) {
        Map<String, String> out = new LinkedHashMap<>();
        for (String pair : form.split("&")) {
            if (pair.isEmpty()) {
                continue;
            }
            int eq = pair.indexOf('=');
            String k = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
            String v = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
            out.putIfAbsent(k, v);
        }
        return out;
    }

    private static void answer(HttpExchange x, int status, Object body) throws IOException {
        send(x, status, JSON.writeValueAsString(body), "application/json");
    }

    private static void send(HttpExchange x, int status, String body, String type) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        x.getResponseHeaders().set("Content-Type", type);
        x.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = x.getResponseBody()) {
            out.write(bytes);
        }
    }
}
