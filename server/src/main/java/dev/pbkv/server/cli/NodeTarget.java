package dev.pbkv.server.cli;

import dev.pbkv.server.NodeInfoFile;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/** Which running node a helper command talks to: --port, or the port in a data directory's node.json. */
final class NodeTarget {
    @Option(names = "--host", description = "The node's host (default: the host in node.json, else 127.0.0.1).")
    String host;

    @Option(names = "--port", paramLabel = "PORT", description = "The node's gRPC port.")
    Integer port;

    @Option(names = "--data-dir", paramLabel = "DIR", description = "Read the gRPC port from DIR/node.json.")
    Path dataDir;

    /** The host to dial: --host, else node.json's, else loopback. A wildcard bind is dialled on loopback. */
    String host() {
        String h = host;
        if (h == null && dataDir != null) {
            h = NodeInfoFile.read(dataDir).map(NodeInfoFile::host).orElse(null);
        }
        if (h == null || h.equals("0.0.0.0") || h.equals("::") || h.isEmpty()) {
            return "127.0.0.1";
        }
        return h;
    }

    /** The gRPC port now, if known (node.json may not exist yet). */
    Optional<Integer> port() {
        if (port != null) {
            return Optional.of(port);
        }
        if (dataDir == null) {
            throw new IllegalArgumentException("give --port or --data-dir");
        }
        return NodeInfoFile.read(dataDir).map(NodeInfoFile::grpc);
    }

    static ManagedChannel channel(String host, int port) {
        return Grpc.newChannelBuilderForAddress(host, port, InsecureChannelCredentials.create()).build();
    }

    static void close(ManagedChannel channel) {
        channel.shutdownNow();
        try {
            channel.awaitTermination(1, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
