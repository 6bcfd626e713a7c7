package dev.pbkv.server.cli;

import io.grpc.ChannelCredentials;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.TlsChannelCredentials;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.ToIntFunction;
import picocli.CommandLine.Option;

/** Which running node a helper command talks to: --port, or the port in a data directory's node.json. */
final class NodeTarget {
    @Option(names = "--host", description = "The node's host (default: the host in node.json, else 127.0.0.1).")
    String host;

    @Option(names = "--port", paramLabel = "PORT", description = "The node's gRPC port.")
    Integer port;

    @Option(names = "--data-dir", paramLabel = "DIR", description = "Read the gRPC port from DIR/node.json.")
    Path dataDir;

    @Option(
            names = "--tls-ca",
            paramLabel = "FILE",
            description = "The node serves TLS (tls.cert-file): trust the CA certificates in FILE (PEM).")
    Path tlsCa;

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

    /**
     * Runs one Admin call on the node and closes the channel. Prints why and answers 1 when the
     * node is not serving (no node.json) or the call fails; otherwise answers what call returns.
     */
    int callAdmin(String what, ToIntFunction<ManagedChannel> call) {
        Optional<Integer> p = port();
        if (p.isEmpty()) {
            System.out.println("no node.json in " + dataDir + ": the node is not serving");
            return 1;
        }
        ManagedChannel channel = channel(host(), p.get(), tlsCa);
        try {
            return call.applyAsInt(channel);
        } catch (StatusRuntimeException e) {
            System.out.println(what + " failed: " + e.getStatus());
            return 1;
        } finally {
            close(channel);
        }
    }

    /** A channel to host:port, plaintext, or TLS trusting tlsCa when it is not null. */
    static ManagedChannel channel(String host, int port, Path tlsCa) {
        ChannelCredentials credentials;
        if (tlsCa == null) {
            credentials = InsecureChannelCredentials.create();
        } else {
            try {
                credentials = TlsChannelCredentials.newBuilder()
                        .trustManager(tlsCa.toFile())
                        .build();
            } catch (IOException e) {
                throw new IllegalArgumentException("--tls-ca " + tlsCa + " cannot be read: " + e.getMessage(), e);
            }
        }
        return Grpc.newChannelBuilderForAddress(host, port, credentials).build();
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
