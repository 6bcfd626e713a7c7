package dev.pbkv.tester.config;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The tester's settings (conf/test.conf, JSON). See test-cases/README.md for every key.
 *
 * @param workdir where node commands and {@code run} programs run
 * @param servers the nodes by name, in the file's order
 */
public record TestConfig(
        DriverKind driver,
        boolean withErrMsg,
        int concurNum,
        Path workdir,
        Timeouts timeouts,
        Map<String, ServerConfig> servers) {

    private static final Set<String> TOP_KEYS =
            Set.of("driver", "with_err_msg", "concur_num", "workdir", "timeouts", "servers");
    private static final Set<String> TIMEOUT_KEYS =
            Set.of("request_ms", "start_ms", "stop_ms", "wait_ms", "command_ms");
    private static final Set<String> SERVER_KEYS =
            Set.of("grpc", "http", "start", "stop", "kill", "clean", "pause", "resume");

    public TestConfig {
        servers = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(servers));
    }

    /** A copy that speaks another protocol. */
    public TestConfig withDriver(DriverKind kind) {
        return new TestConfig(kind, withErrMsg, concurNum, workdir, timeouts, servers);
    }

    /** A copy that prints (or not) every failed step. */
    public TestConfig withErrMsg(boolean print) {
        return new TestConfig(driver, print, concurNum, workdir, timeouts, servers);
    }

    /** Reads a test.conf; relative {@code workdir}s are taken from {@code root}. */
    public static TestConfig load(Path file, Path root) throws ConfigException {
        String text;
        try {
            text = Files.readString(file);
        } catch (NoSuchFileException e) {
            throw new ConfigException(file + ": no such file");
        } catch (IOException e) {
            throw new ConfigException(file + ": cannot read: " + e.getMessage());
        }
        return parse(file.toString(), text, root);
    }

    /** Parses a test.conf's text; {@code source} names it in messages. */
    public static TestConfig parse(String source, String text, Path root) throws ConfigException {
        JsonNode top;
        try {
            top = new ObjectMapper().readTree(text);
        } catch (JsonProcessingException e) {
            throw new ConfigException(
                    source + ": not valid JSON at line " + e.getLocation().getLineNr() + ", column "
                            + e.getLocation().getColumnNr() + ": " + e.getOriginalMessage());
        }
        if (top == null || !top.isObject()) {
            throw new ConfigException(source + ": expected a JSON object");
        }
        unknownKeys(source, "", top, TOP_KEYS);

        DriverKind driver = DriverKind.GRPC;
        if (top.has("driver")) {
            String d = text(source, top, "driver");
            try {
                driver = DriverKind.valueOf(d.toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new ConfigException(source + ": driver: expected \"grpc\" or \"http\", found \"" + d + "\"");
            }
        }
        boolean withErrMsg = true;
        if (top.has("with_err_msg")) {
            JsonNode v = top.get("with_err_msg");
            if (!v.isBoolean()) {
                throw new ConfigException(source + ": with_err_msg: expected true or false");
            }
            withErrMsg = v.booleanValue();
        }
        int concurNum = (int) number(source, top, "concur_num", 8, 1, 1024);
        Path workdir = root;
        if (top.has("workdir")) {
            workdir = root.resolve(text(source, top, "workdir"));
        }

        Timeouts d = Timeouts.defaults();
        Timeouts timeouts = d;
        if (top.has("timeouts")) {
            JsonNode t = top.get("timeouts");
            if (!t.isObject()) {
                throw new ConfigException(source + ": timeouts: expected an object");
            }
            unknownKeys(source, "timeouts.", t, TIMEOUT_KEYS);
            timeouts = new Timeouts(
                    millis(source, t, "request_ms", d.request()),
                    millis(source, t, "start_ms", d.start()),
                    millis(source, t, "stop_ms", d.stop()),
                    millis(source, t, "wait_ms", d.waitFor()),
                    millis(source, t, "command_ms", d.command()));
        }

        JsonNode s = top.get("servers");
        if (s == null || !s.isObject() || s.isEmpty()) {
            throw new ConfigException(source + ": servers: expected an object naming at least one node,"
                    + " e.g. {\"primary\": {...}, \"backup\": {...}}");
        }
        Map<String, ServerConfig> servers = new LinkedHashMap<>();
        Iterator<Map.Entry<String, JsonNode>> it = s.fields();
        while (it.hasNext()) {
            Map.Entry<String, JsonNode> e = it.next();
            servers.put(e.getKey(), server(source, e.getKey(), e.getValue()));
        }
        return new TestConfig(driver, withErrMsg, concurNum, workdir, timeouts, servers);
    }

    private static ServerConfig server(String source, String name, JsonNode n) throws ConfigException {
        String where = "servers." + name + ".";
        if (!n.isObject()) {
            throw new ConfigException(source + ": servers." + name + ": expected an object");
        }
        unknownKeys(source, where, n, SERVER_KEYS);
        String flag = switch (name) {
            case "primary" -> "-p";
            case "backup" -> "-b";
            default -> null;
        };
        String start = optionalText(source, n, where, "start", flag == null ? null : "bin/start_server " + flag);
        String stop = optionalText(source, n, where, "stop", flag == null ? null : "bin/stop_server " + flag);
        String kill = optionalText(source, n, where, "kill", "kill -9 $(cat data/" + name + "/pbkv.pid)");
        String clean = optionalText(source, n, where, "clean", "rm -rf data/" + name);
        String pause = optionalText(source, n, where, "pause", "kill -STOP $(cat data/" + name + "/pbkv.pid)");
        String resume = optionalText(source, n, where, "resume", "kill -CONT $(cat data/" + name + "/pbkv.pid)");
        String grpc = optionalText(source, n, where, "grpc", null);
        String http = optionalText(source, n, where, "http", null);
        if (grpc == null && http == null) {
            throw new ConfigException(source + ": " + where + "grpc or " + where
                    + "http: expected at least one address (\"127.0.0.1:7001\", \"http://127.0.0.1:8001\")");
        }
        if (start == null || stop == null) {
            throw new ConfigException(source + ": " + where + "start and " + where
                    + "stop: required for a node not named primary or backup");
        }
        if (http != null && http.endsWith("/")) {
            http = http.substring(0, http.length() - 1);
        }
        return new ServerConfig(name, grpc, http, start, stop, kill, clean, pause, resume);
    }

    private static void unknownKeys(String source, String prefix, JsonNode n, Set<String> known)
            throws ConfigException {
        Iterator<String> names = n.fieldNames();
        while (names.hasNext()) {
            String k = names.next();
            if (!known.contains(k)) {
                throw new ConfigException(source + ": " + prefix + k + ": unknown key (known: "
                        + String.join(", ", new java.util.TreeSet<>(known)) + ")");
            }
        }
    }

    private static String text(String source, JsonNode n, String key) throws ConfigException {
        JsonNode v = n.get(key);
        if (!v.isTextual()) {
            throw new ConfigException(source + ": " + key + ": expected a string");
        }
        return v.textValue();
    }

    private static String optionalText(String source, JsonNode n, String where, String key, String fallback)
            throws ConfigException {
        JsonNode v = n.get(key);
        if (v == null || v.isNull()) {
            return fallback;
        }
        if (!v.isTextual()) {
            throw new ConfigException(source + ": " + where + key + ": expected a string");
        }
        return v.textValue();
    }

    private static long number(String source, JsonNode n, String key, long fallback, long min, long max)
            throws ConfigException {
        JsonNode v = n.get(key);
        if (v == null) {
            return fallback;
        }
        if (!v.canConvertToLong() || !v.isIntegralNumber() || v.longValue() < min || v.longValue() > max) {
            throw new ConfigException(source + ": " + key + ": expected a whole number from " + min + " to " + max);
        }
        return v.longValue();
    }

    private static Duration millis(String source, JsonNode t, String key, Duration fallback) throws ConfigException {
        JsonNode v = t.get(key);
        if (v == null) {
            return fallback;
        }
        if (!v.isIntegralNumber() || v.longValue() < 1) {
            throw new ConfigException(source + ": timeouts." + key + ": expected a positive number of milliseconds");
        }
        return Duration.ofMillis(v.longValue());
    }
}
