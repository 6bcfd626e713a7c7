package dev.pbkv.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** Reads the pair's gRPC addresses from {@code conf/settings.conf} (JSON). */
final class PairSettings {

    private PairSettings() {}

    /** The primary's then the backup's gRPC endpoint; the message names a missing or bad key. */
    static List<Endpoint> grpcEndpoints(Path settingsConf) {
        JsonNode root = read(settingsConf);
        return List.of(node(settingsConf, root, "primary"), node(settingsConf, root, "backup"));
    }

    /**
     * TLS as the pair serves it: when tls.cert-file is set, trust tls.ca-file (empty: the JDK's
     * default trust store); null when the pair serves plaintext.
     */
    static ClientOptions.Tls tls(Path settingsConf) {
        JsonNode tls = read(settingsConf).path("tls");
        if (tls.path("cert-file").asText("").isBlank()) {
            return null;
        }
        String ca = tls.path("ca-file").asText("");
        return new ClientOptions.Tls(ca.isBlank() ? null : Path.of(ca).toAbsolutePath(), null, null);
    }

    private static JsonNode read(Path settingsConf) {
        JsonNode root;
        try {
            root = new ObjectMapper().readTree(Files.readAllBytes(settingsConf));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + settingsConf + ": " + e.getMessage(), e);
        }
        if (root == null || !root.isObject()) {
            throw new IllegalArgumentException(settingsConf + ": not a JSON object");
        }
        return root;
    }

    private static Endpoint node(Path file, JsonNode root, String name) {
        JsonNode host = root.path("nodes").path(name).path("host");
        JsonNode port = root.path("nodes").path(name).path("grpc-port");
        if (!host.isTextual() || host.asText().isBlank()) {
            throw new IllegalArgumentException(file + ": nodes." + name + ".host is missing or not a string");
        }
        if (!port.canConvertToInt() || port.asInt() < 1 || port.asInt() > 65535) {
            throw new IllegalArgumentException(file + ": nodes." + name + ".grpc-port is missing or not a port number");
        }
        return new Endpoint(host.asText(), port.asInt());
    }
}
