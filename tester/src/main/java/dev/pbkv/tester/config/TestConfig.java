package dev.pbkv.tester.config;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
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
 * The tester's settings (conf/pbkv-test.conf, JSON). See test-cases/README.md for every key. A
 * node that names no address takes its addresses from the server settings file (default
 * conf/settings.conf), so ports are set in one place.
 *
 * @param workdir where node commands and {@code run} programs run
 * @param servers the nodes by name, in the file's order
 * @param contract what the servers promise: which {@code requires} parts of the cases run
 * @param source the file the config came from, named in messages ("raise timeouts.request_ms in ...")
 * @param security credentials and TLS for a secured pair (the {@code auth} and {@code tls} blocks)
 */
public record TestConfig(
        DriverKind driver,
        boolean withErrMsg,
        int concurNum,
        Path workdir,
        Timeouts timeouts,
        Map<String, ServerConfig> servers,
        Contract contract,
        String source,
        ClientSecurity security) {

    /** The file {@code bin/test} reads without {@code --config}, from the project directory. */
    public static final String DEFAULT_FILE = "conf/pbkv-test.conf";
    /** Where node addresses come from when the test config names none, from the project directory. */
    public static final String DEFAULT_SETTINGS = "conf/settings.conf";

    private static final Set<String> TOP_KEYS = Set.of(
            "driver",
            "with_err_msg",
            "concur_num",
            "workdir",
            "timeouts",
            "servers",
            "contract",
            "settings",
            "auth",
            "tls");
    private static final Set<String> TIMEOUT_KEYS =
            Set.of("request_ms", "start_ms", "stop_ms", "wait_ms", "command_ms");
    private static final Set<String> SERVER_KEYS =
            Set.of("grpc", "http", "start", "stop", "kill", "clean", "pause", "resume");

    public TestConfig {
        servers = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(servers));
        security = security == null ? ClientSecurity.NONE : security;
    }

    /** A config read from {@code source}, with no credentials and plaintext. */
    public TestConfig(
            DriverKind driver,
            boolean withErrMsg,
            int concurNum,
            Path workdir,
            Timeouts timeouts,
            Map<String, ServerConfig> servers,
            Contract contract,
            String source) {
        this(driver, withErrMsg, concurNum, workdir, timeouts, servers, contract, source, ClientSecurity.NONE);
    }

    /** A config of pbkv's contract, read from nowhere in particular (tests). */
    public TestConfig(
            DriverKind driver,
            boolean withErrMsg,
            int concurNum,
            Path workdir,
            Timeouts timeouts,
            Map<String, ServerConfig> servers) {
        this(driver, withErrMsg, concurNum, workdir, timeouts, servers, Contract.PBKV, "the test config");
    }

    /** A copy that speaks another protocol. */
    public TestConfig withDriver(DriverKind kind) {
        return new TestConfig(kind, withErrMsg, concurNum, workdir, timeouts, servers, contract, source, security);
    }

    /** A copy that prints (or not) every failed step. */
    public TestConfig withErrMsg(boolean print) {
        return new TestConfig(driver, print, concurNum, workdir, timeouts, servers, contract, source, security);
    }

    /** A copy held to another contract. */
    public TestConfig withContract(Contract c) {
        return new TestConfig(driver, withErrMsg, concurNum, workdir, timeouts, servers, c, source, security);
    }

    /** What a timeout message says to do: "raise timeouts.request_ms in conf/pbkv-test.conf". */
    public String raise(String timeoutKey) {
        return "raise timeouts." + timeoutKey + " in " + source;
    }

    /** Reads a test config; relative {@code workdir}s and {@code settings} are taken from {@code root}. */
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

    /** Parses a test config's text; {@code source} names it in messages. */
    public static TestConfig parse(String source, String text, Path root) throws ConfigException {
        return parse(source, text, root, System.getenv());
    }

    /** As above, reading environment variables ($PBKV_PASSWORD, auth.password_env) from {@code env}. */
    public static TestConfig parse(String source, String text, Path root, Map<String, String> env)
            throws ConfigException {
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

        Contract contract = Contract.PBKV;
        if (top.has("contract")) {
            String c = text(source, top, "contract");
            contract = Contract.byWord(c);
            if (contract == null) {
                throw new ConfigException(
                        source + ": contract: expected \"course\", \"pbkv\" or \"pbkv-strict\", found \"" + c + "\"");
            }
        }
        if (contract == Contract.COURSE && !top.has("driver")) {
            driver = DriverKind.HTTP; // the course contract is HTTP
        }
        ClientSecurity security = ClientSecurity.parse(source, top, root, env);
        String settingsName = top.has("settings") ? text(source, top, "settings") : null;
        Settings settings = new Settings(
                settingsName == null ? DEFAULT_SETTINGS : settingsName,
                root.resolve(settingsName == null ? DEFAULT_SETTINGS : settingsName),
                settingsName != null);

        JsonNode s = top.get("servers");
        if (s == null) {
            ObjectNode both = new ObjectMapper().createObjectNode();
            both.putObject("primary");
            both.putObject("backup");
            s = both;
        }
        if (!s.isObject() || s.isEmpty()) {
            throw new ConfigException(source + ": servers: expected an object naming at least one node,"
                    + " e.g. {\"primary\": {...}, \"backup\": {...}}, or no \"servers\" at all"
                    + " (primary and backup of " + settings.name + ")");
        }
        Map<String, ServerConfig> servers = new LinkedHashMap<>();
        Iterator<Map.Entry<String, JsonNode>> it = s.fields();
        while (it.hasNext()) {
            Map.Entry<String, JsonNode> e = it.next();
            servers.put(e.getKey(), server(source, e.getKey(), e.getValue(), settings, security.usesTls()));
        }
        return new TestConfig(driver, withErrMsg, concurNum, workdir, timeouts, servers, contract, source, security);
    }

    /** The server settings file, read only when a node needs addresses from it. */
    private static final class Settings {
        final String name;
        final Path file;
        /** Whether the test config named it: then the default start and stop commands pass it on. */
        final boolean named;

        private JsonNode nodes;

        Settings(String name, Path file, boolean named) {
            this.name = name;
            this.file = file;
            this.named = named;
        }

        /** nodes.NAME of the settings file; throws with what is wrong when it has none. */
        JsonNode node(String source, String server) throws ConfigException {
            String why = "servers." + server + " names no address (grpc or http), so they are taken from " + name;
            if (nodes == null) {
                JsonNode top;
                try {
                    top = new ObjectMapper().readTree(Files.readString(file));
                } catch (NoSuchFileException e) {
                    throw new ConfigException(source + ": " + why + ", and there is no such file (" + file + ")");
                } catch (IOException e) {
                    throw new ConfigException(source + ": " + why + ", which cannot be read: " + e.getMessage());
                }
                nodes = top == null ? null : top.get("nodes");
                if (nodes == null || !nodes.isObject()) {
                    throw new ConfigException(source + ": " + why + ", which has no \"nodes\" object");
                }
            }
            JsonNode n = nodes.get(server);
            if (n == null || !n.isObject()) {
                throw new ConfigException(source + ": " + why + ", which has no nodes." + server);
            }
            return n;
        }
    }

    /** host:port of a node of the settings file; a wildcard host is reached through loopback. */
    private static String address(JsonNode node, String portKey) {
        JsonNode port = node.get(portKey);
        if (port == null || !port.canConvertToInt()) {
            return null;
        }
        String host = node.path("host").asText("127.0.0.1");
        if (host.isEmpty() || host.equals("0.0.0.0")) {
            host = "127.0.0.1";
        } else if (host.equals("::")) {
            host = "::1";
        }
        if (host.contains(":") && !host.startsWith("[")) {
            host = "[" + host + "]";
        }
        return host + ":" + port.asInt();
    }

    private static ServerConfig server(String source, String name, JsonNode n, Settings settings, boolean tls)
            throws ConfigException {
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
        String passOn = settings.named ? " --config " + settings.name : "";
        String start =
                optionalText(source, n, where, "start", flag == null ? null : "bin/start_server " + flag + passOn);
        String stop = optionalText(source, n, where, "stop", flag == null ? null : "bin/stop_server " + flag + passOn);
        String kill = optionalText(source, n, where, "kill", "kill -9 $(cat data/" + name + "/pbkv.pid)");
        String clean = optionalText(source, n, where, "clean", "rm -rf data/" + name);
        String pause = optionalText(source, n, where, "pause", ServerConfig.defaultPause(name));
        String resume = optionalText(source, n, where, "resume", ServerConfig.defaultResume(name));
        String grpc = optionalText(source, n, where, "grpc", null);
        String http = optionalText(source, n, where, "http", null);
        if (grpc == null && http == null) {
            // No address here: both come from the server settings, so ports are set in one place.
            JsonNode node = settings.node(source, name);
            grpc = address(node, "grpc-port");
            String h = address(node, "http-port");
            http = h == null ? null : (tls ? "https://" : "http://") + h;
            if (grpc == null && http == null) {
                throw new ConfigException(source + ": " + where + "grpc or " + where
                        + "http: expected at least one address (\"127.0.0.1:7001\", \"http://127.0.0.1:8001\"),"
                        + " and nodes." + name + " of " + settings.name + " has no grpc-port or http-port");
            }
        }
        if (start == null || stop == null) {
            throw new ConfigException(source + ": " + where + "start and " + where
                    + "stop: required for a node not named primary or backup");
        }
        if (tls && http != null && http.startsWith("http://")) {
            throw new ConfigException(source + ": " + where + "http: the tls block is set, so the node is reached"
                    + " over https: expected \"https://...\", found \"" + http + "\"");
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
