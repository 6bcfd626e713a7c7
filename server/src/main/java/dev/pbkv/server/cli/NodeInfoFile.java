package dev.pbkv.server.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Optional;

/**
 * {@code <data-dir>/node.json}: written atomically by a serving node once its doors listen, again on
 * every state change, removed at exit; read by the scripts and tests to learn the bound ports and
 * whether the node has settled. Shape: {"pid":123,"role":"primary","host":"127.0.0.1","grpc":7001,
 * "resp":7379,"http":8001,"acting":"PRIMARY","state":"SYNC"}; a door that is not running has no key.
 * {@code role} is the node's configured name; {@code acting} and {@code state} are what it is now
 * (bin/start_server reads them with sed, so the file stays one line).
 */
public record NodeInfoFile(
        long pid, String role, String host, Integer grpc, Integer resp, Integer http, String acting, String state) {
    public static final String NAME = "node.json";
    private static final ObjectMapper JSON = new ObjectMapper();

    public static Path in(Path dataDir) {
        return dataDir.resolve(NAME);
    }

    /** Writes the file so that a reader sees the old content, or none, or all of the new one. */
    public void writeTo(Path dataDir) throws IOException {
        ObjectNode n = JSON.createObjectNode();
        n.put("pid", pid);
        n.put("role", role);
        n.put("host", host);
        if (grpc != null) {
            n.put("grpc", grpc);
        }
        if (resp != null) {
            n.put("resp", resp);
        }
        if (http != null) {
            n.put("http", http);
        }
        if (acting != null) {
            n.put("acting", acting);
        }
        if (state != null) {
            n.put("state", state);
        }
        Path target = in(dataDir);
        Path tmp = dataDir.resolve(NAME + ".tmp");
        Files.writeString(tmp, JSON.writeValueAsString(n) + "\n");
        try {
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    /** The file's content, or empty when there is none (or it is unreadable: the node is not serving). */
    public static Optional<NodeInfoFile> read(Path dataDir) {
        try {
            JsonNode n = JSON.readTree(Files.readString(in(dataDir)));
            return Optional.of(new NodeInfoFile(
                    n.path("pid").asLong(),
                    n.path("role").asText(),
                    n.path("host").asText("127.0.0.1"),
                    n.has("grpc") ? n.get("grpc").asInt() : null,
                    n.has("resp") ? n.get("resp").asInt() : null,
                    n.has("http") ? n.get("http").asInt() : null,
                    n.has("acting") ? n.get("acting").asText() : null,
                    n.has("state") ? n.get("state").asText() : null));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    public static void delete(Path dataDir) throws IOException {
        Files.deleteIfExists(in(dataDir));
    }
}
