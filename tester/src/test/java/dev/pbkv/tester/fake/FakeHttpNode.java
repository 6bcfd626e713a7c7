package dev.pbkv.tester.fake;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * An in-memory server of the cross-team HTTP contract on a loopback port, in the style of the
 * course's reference: HTTP 200 with {"success":"false","error":...} on a refused operation.
 */
public final class FakeHttpNode implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Map<String, String> data = new ConcurrentHashMap<>();
    private final HttpServer server;
    /** The query string of the last countkey, so tests can see what the driver sent. */
    private volatile String lastQuery;
    /** What /health answers; null: no /health at all (404). */
    private volatile String health = "{\"state\":\"SYNC\",\"role\":\"primary\"}";

    public FakeHttpNode() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/kv/insert", x -> write(x, "insert"));
        server.createContext("/kv/update", x -> write(x, "update"));
        server.createContext("/kv/delete", x -> write(x, "delete"));
        server.createContext("/kv/get", x -> {
            String key = query(x).get("key");
            String v = key == null ? null : data.get(key);
            answer(
                    x,
                    200,
                    v == null
                            ? Map.of("success", "false", "error", "key not found")
                            : Map.of("success", "true", "value", v));
        });
        server.createContext("/kvman/countkey", x -> {
            lastQuery = x.getRequestURI().getRawQuery();
            answer(x, 200, Map.of("result", data.size()));
        });
        server.createContext("/kvman/dump", x -> answer(x, 200, new HashMap<>(data)));
        server.createContext("/kvman/shutdown", x -> answer(x, 200, Map.of("success", "true")));
        server.createContext("/health", x -> {
            String h = health;
            if (h == null) {
                send(x, 404, "no such page");
            } else {
                send(x, 200, h);
            }
        });
        server.start();
    }

    public String baseUrl() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    public String lastCountkeyQuery() {
        return lastQuery;
    }

    public Map<String, String> data() {
        return data;
    }

    /** What /health answers from now on; null for no /health (404). */
    public void setHealth(String body) {
        this.health = body;
    }

    @Override
    public void close() {
        server.stop(0);
    }

    private void write(HttpExchange x, String op) throws IOException {
        if (!x.getRequestMethod().equals("POST")) {
            send(x, 405, "POST only");
            return;
        }
        Map<String, String> form = parse(new String(x.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
        String key = form.get("key");
        String value = form.getOrDefault("value", "");
        if (key == null || key.isEmpty()) {
            answer(x, 400, Map.of("success", "false", "error", "invalid argument: empty key"));
            return;
        }
        boolean ok = switch (op) {
            case "insert" -> data.putIfAbsent(key, value) == null;
            case "update" -> data.replace(key, value) != null;
            default -> data.remove(key) != null;
        };
        if (ok) {
            answer(x, 200, Map.of("success", "true"));
        } else {
            answer(
                    x,
                    200,
                    Map.of(
                            "success",
                            "false",
                            "error",
                            op.equals("insert") ? "key already exists" : "key does not exist"));
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
            out.put(k, v);
        }
        return out;
    }

    private static void answer(HttpExchange x, int status, Object body) throws IOException {
        send(x, status, JSON.writeValueAsString(body));
    }

    private static void send(HttpExchange x, int status, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        x.getResponseHeaders().set("Content-Type", "application/json");
        x.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = x.getResponseBody()) {
            out.write(bytes);
        }
    }
}
