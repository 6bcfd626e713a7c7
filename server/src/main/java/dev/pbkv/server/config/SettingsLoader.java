package dev.pbkv.server.config;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.pbkv.server.role.Role;
import dev.pbkv.store.FsyncPolicy;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Builds {@link Settings}: the documented defaults (the resource defaults.json, the same shape as
 * conf/settings.conf), overlaid by the settings file, overlaid by overrides from the command line
 * ({@code key=value} with dotted keys such as {@code limits.max-key-bytes}). Every value is then
 * checked once; all problems are reported together, each naming its key.
 *
 * <p>Relative data directories resolve against the working directory (the scripts run from the
 * repository root).
 */
public final class SettingsLoader {
    private static final Logger log = LoggerFactory.getLogger(SettingsLoader.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String DEFAULTS_RESOURCE = "defaults.json";
    /** Sections whose keys are names the user chooses, replaced whole by the file rather than merged. */
    private static final java.util.Set<String> FREE_FORM_MAPS = java.util.Set.of("auth.users");

    private final ObjectNode defaults;
    private final ObjectNode merged;
    private final Map<String, String> overrides = new LinkedHashMap<>();
    private String peerAddress;

    private SettingsLoader(ObjectNode defaults) {
        this.defaults = defaults;
        this.merged = defaults.deepCopy();
    }

    /** Starts from the documented defaults. */
    public static SettingsLoader withDefaults() {
        try (InputStream in = SettingsLoader.class.getResourceAsStream(DEFAULTS_RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException("missing resource " + DEFAULTS_RESOURCE);
            }
            return new SettingsLoader((ObjectNode) JSON.readTree(in));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The documented defaults as a JSON tree (a copy). */
    public static ObjectNode defaults() {
        return withDefaults().defaults.deepCopy();
    }

    /**
     * Overlays a settings file. Keys the node does not know are logged and ignored, so a newer
     * file still starts an older node; a malformed file is an error naming the file.
     */
    public SettingsLoader file(Path file) {
        JsonNode tree;
        try {
            tree = JSON.readTree(Files.readString(file));
        } catch (JsonProcessingException e) {
            throw new SettingsException(file + " is not valid JSON: " + e.getOriginalMessage() + " (line "
                    + e.getLocation().getLineNr() + ")");
        } catch (IOException e) {
            throw new SettingsException("cannot read settings file " + file + ": " + e);
        }
        if (tree == null || !tree.isObject()) {
            throw new SettingsException(file + " must hold one JSON object");
        }
        overlay(merged, (ObjectNode) tree, "", file.toString());
        return this;
    }

    /**
     * Sets one key, as {@code --set key=value} does. The value is read as JSON when it is a
     * number, true or false, else as a string. An unknown key is an error: a typo must not pass silently.
     */
    public SettingsLoader set(String key, String value) {
        JsonNode known = at(defaults, key);
        if (known == null || known.isObject()) {
            throw new SettingsException("unknown setting '" + key + "' (see docs/configuration.md)");
        }
        JsonNode parsed = TextNode.valueOf(value);
        String trimmed = value.trim();
        if (trimmed.equals("true") || trimmed.equals("false") || trimmed.matches("-?\\d+")) {
            try {
                parsed = JSON.readTree(trimmed);
            } catch (JsonProcessingException e) {
                parsed = TextNode.valueOf(value);
            }
        }
        String[] parts = key.split("\\.");
        ObjectNode parent = merged;
        for (int i = 0; i < parts.length - 1; i++) {
            parent = (ObjectNode) parent.get(parts[i]);
        }
        parent.set(parts[parts.length - 1], parsed);
        overrides.put(key, value);
        return this;
    }

    /** Sets the peer's gRPC address (--peer host:port) instead of the other node's entry. */
    public SettingsLoader peer(String hostPort) {
        this.peerAddress = hostPort;
        return this;
    }

    /** Checks every value and builds the settings for a node in the given role. */
    public Settings build(Role role) {
        List<String> problems = new ArrayList<>();
        Reader r = new Reader(merged, problems);
        NodeSettings primary = r.node("primary");
        NodeSettings backup = r.node("backup");
        StoreSettings store = new StoreSettings(
                r.size("store.memory", 1L << 20),
                (int) r.integer("store.buckets", 1, 1 << 20),
                r.fsync("store.fsync"),
                r.size("store.snapshot-log-bytes", 1),
                r.size("store.retained-log-bytes", 0),
                r.persistence("store.persistence"));
        LimitSettings limits = new LimitSettings(
                (int) r.integer("limits.max-key-bytes", 1, Integer.MAX_VALUE),
                (int) r.integer("limits.max-value-bytes", 1, Integer.MAX_VALUE),
                (int) r.integer("limits.max-scan-limit", 1, Integer.MAX_VALUE),
                r.size("limits.resp-max-bulk-bytes", 1),
                (int) r.integer("limits.resp-max-args", 1, Integer.MAX_VALUE),
                (int) r.integer("limits.resp-max-inline-bytes", 1, Integer.MAX_VALUE),
                (int) r.integer("limits.max-connections", 1, Integer.MAX_VALUE),
                r.size("limits.output-buffer-high-water", 1024),
                r.size("limits.output-buffer-hard-limit", 0),
                (int) r.integer("limits.max-inflight-per-connection", 1, Integer.MAX_VALUE),
                r.integer("limits.idle-timeout-ms", 0, Long.MAX_VALUE),
                (int) r.integer("limits.grpc-max-concurrent-calls-per-connection", 1, Integer.MAX_VALUE),
                r.size("limits.grpc-flow-control-window", 65535),
                (int) r.integer("limits.max-batch-ops", 1, Integer.MAX_VALUE),
                r.size("limits.max-batch-bytes", 1));
        ReplicationSettings replication = new ReplicationSettings(
                r.bool("replication.require-backup"),
                r.integer("replication.heartbeat-ms", 1, Long.MAX_VALUE),
                r.integer("replication.peer-timeout-ms", 1, Long.MAX_VALUE),
                (int) r.integer("replication.batch-max-records", 1, Integer.MAX_VALUE),
                r.size("replication.snapshot-chunk-bytes", 1),
                r.size("replication.snapshot-rate-bytes-per-sec", 0),
                r.bool("replication.prefer-configured-primary"));
        CoordinatorSettings coordinator = new CoordinatorSettings(
                r.text("coordinator.connect"),
                r.integer("coordinator.session-timeout-ms", CoordinatorSettings.MIN_SESSION_TIMEOUT_MS, 600_000),
                r.text("coordinator.cluster"),
                r.text("coordinator.pair"),
                r.path("coordinator.data-dir"));
        if (coordinator.connect() != null
                && !coordinator.off()
                && !coordinator.connect().matches("[^\\s,:]+:\\d{1,5}(,[^\\s,:]+:\\d{1,5})*(/[\\w/-]*)?")) {
            problems.add("coordinator.connect must be \"off\" or host:port[,host:port...], was '"
                    + coordinator.connect() + "'");
        }
        for (String key : List.of("coordinator.cluster", "coordinator.pair")) {
            String v = key.endsWith("cluster") ? coordinator.cluster() : coordinator.pair();
            if (v != null && !v.matches("[A-Za-z0-9_.-]+")) {
                problems.add(key + " may hold only letters, digits, '_', '.' and '-', was '" + v + "'");
            }
        }
        if (primary != null && backup != null && primary.dataDir().equals(backup.dataDir())) {
            problems.add("nodes.primary.data-dir and nodes.backup.data-dir must differ (both are " + primary.dataDir()
                    + ")");
        }
        if (replication.peerTimeoutMs() < 2 * replication.heartbeatMs()) {
            problems.add("replication.peer-timeout-ms must be at least twice replication.heartbeat-ms, was "
                    + replication.peerTimeoutMs());
        }
        if (replication.snapshotChunkBytes() < 1024 || replication.snapshotChunkBytes() > 16 << 20) {
            problems.add(
                    "replication.snapshot-chunk-bytes must be within 1k..16m, was " + replication.snapshotChunkBytes());
        }
        if (limits.outputBufferHighWater() > Integer.MAX_VALUE) {
            problems.add("limits.output-buffer-high-water must be below 2g, was " + limits.outputBufferHighWater());
        } else if (limits.outputBufferHardLimit() != 0
                && limits.outputBufferHardLimit() < limits.outputBufferHighWater()) {
            problems.add("limits.output-buffer-hard-limit must be 0 (off) or at least limits.output-buffer-high-water ("
                    + limits.outputBufferHighWater() + "), was " + limits.outputBufferHardLimit());
        }
        if (limits.grpcFlowControlWindow() > Integer.MAX_VALUE) {
            problems.add("limits.grpc-flow-control-window must be below 2g, was " + limits.grpcFlowControlWindow());
        }
        AuthSettings auth = r.auth();
        NodeSettings self = role == Role.PRIMARY ? primary : backup;
        if (self != null && !auth.required() && auth.protectedMode() && !isLoopback(self.host())) {
            problems.add("nodes." + (role == Role.PRIMARY ? "primary" : "backup") + ".host is " + self.host()
                    + ", beyond loopback, and auth.users is empty: protected mode refuses to serve everyone on the"
                    + " network. Add users to auth.users (bin/pbkv passwd, docs/security.md), or set"
                    + " auth.protected-mode to false");
        }
        if (self != null
                && auth.required()
                && auth.protectedMode()
                && auth.clusterSecretFile() == null
                && !isLoopback(self.host())) {
            problems.add("nodes." + (role == Role.PRIMARY ? "primary" : "backup") + ".host is " + self.host()
                    + ", beyond loopback, and auth.cluster-secret-file is not set: any process that reaches the gRPC"
                    + " port could replicate from this node or take part in its role changes. Put a secret of at"
                    + " least 16 bytes in a file on both nodes (openssl rand -base64 32 > FILE) and name it in"
                    + " auth.cluster-secret-file, or set auth.protected-mode to false");
        }
        if (auth.clusterSecretFile() != null && !Files.isReadable(auth.clusterSecretFile())) {
            problems.add("auth.cluster-secret-file " + auth.clusterSecretFile() + " cannot be read");
        }
        long watchBufferBytes = r.size("watch.buffer-bytes", 1024);
        String peer = peerAddress;
        if (peer == null && primary != null && backup != null) {
            peer = (role == Role.PRIMARY ? backup : primary).grpcAddress();
        } else if (peer != null && !peer.matches("[^\\s:]+:\\d{1,5}|\\[[0-9a-fA-F:]+\\]:\\d{1,5}")) {
            problems.add("--peer must be host:port, was '" + peer + "'");
        }
        if (!problems.isEmpty()) {
            throw new SettingsException(problems);
        }
        ObjectNode effective = merged.deepCopy();
        ((ObjectNode) effective.get("coordinator"))
                .put("data-dir", coordinator.dataDir().toString());
        for (String which : List.of("primary", "backup")) {
            NodeSettings n = which.equals("primary") ? primary : backup;
            ((ObjectNode) effective.get("nodes").get(which))
                    .put("data-dir", n.dataDir().toString());
        }
        // Read back by Settings.watchBufferBytes(), as a number of bytes.
        ((ObjectNode) effective.get("watch")).put("buffer-bytes", watchBufferBytes);
        ObjectNode users = (ObjectNode) effective.get("auth").get("users");
        users.fieldNames().forEachRemaining(name -> ((ObjectNode) users.get(name)).put("password-hash", "(hidden)"));
        TlsSettings tls = r.tls();
        for (Path f : new Path[] {tls.certFile(), tls.keyFile(), tls.caFile()}) {
            if (f != null && !Files.isReadable(f)) {
                problems.add("tls: " + f + " cannot be read");
            }
        }
        if ((tls.certFile() == null) != (tls.keyFile() == null)) {
            problems.add("tls.cert-file and tls.key-file go together: set both (TLS on) or neither (TLS off)");
        }
        if (!TlsSettings.CLIENT_AUTH_NAMES.contains(tls.clientAuth())) {
            problems.add("tls.client-auth must be one of " + TlsSettings.CLIENT_AUTH_NAMES + ", was '"
                    + tls.clientAuth() + "'");
        } else if (!tls.clientAuth().equals("none") && tls.caFile() == null) {
            problems.add("tls.client-auth " + tls.clientAuth() + " needs tls.ca-file: the CA client certificates are"
                    + " checked against");
        }
        if (tls.mutualPeers() && (tls.caFile() == null || !tls.enabled())) {
            problems.add("tls.mutual-peers needs tls.cert-file, tls.key-file and tls.ca-file (the CA of the nodes'"
                    + " certificates)");
        }
        if (!problems.isEmpty()) {
            throw new SettingsException(problems);
        }
        return new Settings(role, primary, backup, peer, store, limits, replication, coordinator, auth, tls, effective);
    }

    /** A loopback literal or localhost; any other name counts as beyond loopback (no lookup at start). */
    static boolean isLoopback(String host) {
        String h = host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
        return h.equalsIgnoreCase("localhost") || h.matches("127(\\.\\d{1,3}){3}") || h.equals("::1");
    }

    private void overlay(ObjectNode target, ObjectNode source, String prefix, String origin) {
        for (Iterator<Map.Entry<String, JsonNode>> it = source.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            String key = prefix + e.getKey();
            JsonNode known = target.get(e.getKey());
            if (FREE_FORM_MAPS.contains(key)) {
                target.set(e.getKey(), e.getValue()); // names chosen by the user: every key is known
            } else if (known == null) {
                log.warn("{}: ignoring unknown setting '{}'", origin, key);
            } else if (known.isObject() != e.getValue().isObject()) {
                target.set(e.getKey(), e.getValue()); // a type mismatch is reported by the reader, naming the key
            } else if (known.isObject()) {
                overlay((ObjectNode) known, (ObjectNode) e.getValue(), key + ".", origin);
            } else {
                target.set(e.getKey(), e.getValue());
            }
        }
    }

    private static JsonNode at(JsonNode root, String dotted) {
        JsonNode n = root;
        for (String part : dotted.split("\\.")) {
            if (n == null || !n.isObject()) {
                return null;
            }
            n = n.get(part);
        }
        return n;
    }

    /** Reads typed values from the merged tree, collecting one problem per bad key. */
    private static final class Reader {
        private final JsonNode root;
        private final List<String> problems;

        Reader(JsonNode root, List<String> problems) {
            this.root = root;
            this.problems = problems;
        }

        NodeSettings node(String which) {
            String p = "nodes." + which + ".";
            String host = text(p + "host");
            int grpc = (int) integer(p + "grpc-port", 0, 65535);
            int resp = (int) integer(p + "resp-port", 0, 65535);
            int http = (int) integer(p + "http-port", 0, 65535);
            String dir = text(p + "data-dir");
            if (host == null || dir == null) {
                return null;
            }
            return new NodeSettings(
                    host, grpc, resp, http, Path.of(dir).toAbsolutePath().normalize());
        }

        Path path(String key) {
            String dir = text(key);
            return dir == null ? null : Path.of(dir).toAbsolutePath().normalize();
        }

        String text(String key) {
            JsonNode n = at(root, key);
            if (n == null || !n.isTextual() || n.asText().isBlank()) {
                problems.add(key + " must be a non-empty string");
                return null;
            }
            return n.asText();
        }

        long integer(String key, long min, long max) {
            JsonNode n = at(root, key);
            long v;
            if (n != null && n.isIntegralNumber() && n.canConvertToLong()) {
                v = n.asLong();
            } else if (n != null && n.isTextual() && n.asText().trim().matches("-?\\d{1,18}")) {
                v = Long.parseLong(n.asText().trim());
            } else {
                problems.add(key + " must be an integer, was " + n);
                return min;
            }
            if (v < min || v > max) {
                problems.add(key
                        + (max == Long.MAX_VALUE || max == Integer.MAX_VALUE
                                ? " must be >= " + min
                                : " must be between " + min + " and " + max)
                        + ", was " + v);
                return min;
            }
            return v;
        }

        long size(String key, long min) {
            JsonNode n = at(root, key);
            long v;
            if (n != null && n.isIntegralNumber() && n.canConvertToLong()) {
                v = n.asLong();
            } else if (n != null && n.isTextual()) {
                try {
                    v = ByteSize.parse(n.asText());
                } catch (IllegalArgumentException e) {
                    problems.add(key + ": " + e.getMessage());
                    return min;
                }
            } else {
                problems.add(key + " must be a size such as 1048576 or \"256m\", was " + n);
                return min;
            }
            if (v < min) {
                problems.add(key + " must be >= " + min + " bytes, was " + v);
                return min;
            }
            return v;
        }

        boolean bool(String key) {
            JsonNode n = at(root, key);
            if (n != null && n.isBoolean()) {
                return n.asBoolean();
            }
            if (n != null
                    && n.isTextual()
                    && (n.asText().equals("true") || n.asText().equals("false"))) {
                return Boolean.parseBoolean(n.asText());
            }
            problems.add(key + " must be true or false, was " + n);
            return false;
        }

        StoreSettings.Persistence persistence(String key) {
            JsonNode n = at(root, key);
            if (n != null && n.isTextual()) {
                switch (n.asText().toLowerCase(Locale.ROOT)) {
                    case "log":
                        return StoreSettings.Persistence.LOG;
                    case "none":
                        return StoreSettings.Persistence.NONE;
                    default:
                        break;
                }
            }
            problems.add(key + " must be log or none; was " + n);
            return StoreSettings.Persistence.LOG;
        }

        AuthSettings auth() {
            Map<String, AuthSettings.User> users = new LinkedHashMap<>();
            JsonNode n = at(root, "auth.users");
            if (n == null || !n.isObject()) {
                problems.add("auth.users must be an object of user name to {\"access\": ..., \"password-hash\": ...}");
            } else {
                n.fields().forEachRemaining(e -> {
                    String key = "auth.users." + e.getKey();
                    if (!e.getKey().matches("[A-Za-z0-9_.@-]{1,64}")) {
                        problems.add(key + ": a user name may hold only letters, digits, '_', '.', '@' and '-' (1-64)");
                        return;
                    }
                    String access = text(key + ".access");
                    String hash = text(key + ".password-hash");
                    if (access != null && !AuthSettings.ACCESS_NAMES.contains(access)) {
                        problems.add(
                                key + ".access must be one of " + AuthSettings.ACCESS_NAMES + ", was '" + access + "'");
                    }
                    if (hash != null
                            && !hash.matches("pbkdf2-sha256\\$\\d{4,9}\\$[A-Za-z0-9+/]{11,}\\$[A-Za-z0-9+/]{43}")) {
                        // never echo the value: it may be a password pasted by mistake
                        problems.add(key + ".password-hash is not a pbkdf2-sha256$<iterations>$<salt>$<hash> string"
                                + " (make one with bin/pbkv passwd)");
                    }
                    users.put(e.getKey(), new AuthSettings.User(access, hash));
                });
            }
            Path secret = file("auth.cluster-secret-file");
            return new AuthSettings(
                    users, bool("auth.protected-mode"), integer("auth.failure-delay-ms", 0, 60_000), secret);
        }

        TlsSettings tls() {
            return new TlsSettings(
                    file("tls.cert-file"),
                    file("tls.key-file"),
                    file("tls.ca-file"),
                    text("tls.client-auth").toLowerCase(Locale.ROOT),
                    bool("tls.mutual-peers"));
        }

        /** A file named by key, absolute, or null when the value is empty. */
        private Path file(String key) {
            JsonNode f = at(root, key);
            return f != null && f.isTextual() && !f.asText().isBlank()
                    ? Path.of(f.asText()).toAbsolutePath().normalize()
                    : null;
        }

        FsyncPolicy fsync(String key) {
            JsonNode n = at(root, key);
            if (n != null && n.isTextual()) {
                switch (n.asText().toLowerCase(Locale.ROOT)) {
                    case "always":
                        return FsyncPolicy.ALWAYS;
                    case "everysec":
                        return FsyncPolicy.EVERYSEC;
                    case "no":
                        return FsyncPolicy.NO;
                    default:
                        break;
                }
            }
            problems.add(key + " must be one of always, everysec, no; was " + n);
            return FsyncPolicy.ALWAYS;
        }
    }
}
