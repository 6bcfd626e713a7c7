package dev.pbkv.client;

import dev.pbkv.proto.AdminGrpc;
import dev.pbkv.proto.KeyValueGrpc;
import io.grpc.ConnectivityState;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.MetadataUtils;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLException;

/**
 * One plaintext Netty channel per known node, and the client's guess of which node is primary.
 * Nodes named in a "pbkv-primary" hint that the client was not built with are added, up to
 * {@link #MAX_NODES}.
 */
final class NodeChannels implements AutoCloseable {

    /** A node and its stubs, made once. */
    record Node(
            Endpoint endpoint,
            ManagedChannel channel,
            KeyValueGrpc.KeyValueBlockingStub kvBlocking,
            KeyValueGrpc.KeyValueStub kv,
            AdminGrpc.AdminBlockingStub adminBlocking,
            AdminGrpc.AdminStub admin) {

        /** Makes a channel that gave up connecting try again now rather than after its own backoff. */
        void wakeIfFailed() {
            if (channel.getState(false) == ConnectivityState.TRANSIENT_FAILURE) {
                channel.resetConnectBackoff();
            }
        }
    }

    static final int MAX_NODES = 8;

    private final ClientOptions options;
    /** TLS to every node, or null (plaintext). */
    private final SslContext tls;
    // Written under 'this' (add) only; read lock-free. Holds every channel close() must shut down.
    private final List<Node> nodes = new CopyOnWriteArrayList<>();
    // The node calls go to first. Moved by hints and failures; any node of 'nodes' is valid, so a
    // racy overwrite by two concurrent calls only costs one extra hop.
    private volatile Node primaryGuess;
    // Guarded by 'this': set once by close(); no node is added after it.
    private boolean closed;

    private static final Metadata.Key<String> AUTHORIZATION =
            Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);

    NodeChannels(ClientOptions options) {
        this.options = options;
        this.tls = tlsContext(options.tls());
        for (Endpoint e : options.endpoints()) {
            nodes.add(open(e));
        }
        primaryGuess = nodes.get(0);
    }

    /** The TLS context of options' Tls, or null (plaintext); a file that cannot be loaded is named. */
    static SslContext tlsContext(ClientOptions.Tls t) {
        if (t == null) {
            return null;
        }
        try {
            SslContextBuilder b = GrpcSslContexts.forClient();
            if (t.caFile() != null) {
                b.trustManager(t.caFile().toFile());
            }
            if (t.certFile() != null) {
                b.keyManager(t.certFile().toFile(), t.keyFile().toFile());
            }
            return b.build();
        } catch (SSLException | IllegalArgumentException e) {
            throw new IllegalArgumentException(
                    "cannot load the TLS files (CA " + t.caFile() + ", certificate " + t.certFile() + "): "
                            + e.getMessage(),
                    e);
        }
    }

    private Node open(Endpoint e) {
        NettyChannelBuilder builder = NettyChannelBuilder.forAddress(e.host(), e.port())
                .maxInboundMessageSize(options.maxInboundMessageBytes());
        if (tls == null) {
            builder.usePlaintext();
        } else {
            builder.sslContext(tls);
        }
        if (options.callbackExecutor() != null) {
            builder.executor(options.callbackExecutor());
        }
        if (options.credentials() != null) {
            Metadata headers = new Metadata();
            String pair =
                    options.credentials().user() + ":" + options.credentials().password();
            headers.put(
                    AUTHORIZATION,
                    "Basic " + Base64.getEncoder().encodeToString(pair.getBytes(StandardCharsets.UTF_8)));
            builder.intercept(MetadataUtils.newAttachHeadersInterceptor(headers));
        }
        ManagedChannel channel = builder.build();
        return new Node(
                e,
                channel,
                KeyValueGrpc.newBlockingStub(channel),
                KeyValueGrpc.newStub(channel),
                AdminGrpc.newBlockingStub(channel),
                AdminGrpc.newStub(channel));
    }

    Node primaryGuess() {
        return primaryGuess;
    }

    void guessPrimary(Node node) {
        primaryGuess = node;
    }

    /** The node after this one, round robin. */
    Node after(Node node) {
        List<Node> snapshot = nodes;
        int i = snapshot.indexOf(node);
        return snapshot.get((i + 1) % snapshot.size());
    }

    int size() {
        return nodes.size();
    }

    /** The node at this endpoint, added when unknown; null when the cap is reached or closed. */
    synchronized Node nodeFor(Endpoint endpoint) {
        for (Node n : nodes) {
            if (n.endpoint().equals(endpoint)) {
                return n;
            }
        }
        if (closed || nodes.size() >= MAX_NODES) {
            return null;
        }
        Node added = open(endpoint);
        nodes.add(added);
        return added;
    }

    List<Endpoint> endpoints() {
        List<Endpoint> out = new ArrayList<>();
        for (Node n : nodes) {
            out.add(n.endpoint());
        }
        return out;
    }

    boolean isClosed() {
        synchronized (this) {
            return closed;
        }
    }

    /** Whether every channel has terminated. */
    boolean isTerminated() {
        return nodes.stream().allMatch(n -> n.channel().isTerminated());
    }

    @Override
    public void close() {
        synchronized (this) {
            closed = true;
        }
        for (Node n : nodes) {
            n.channel().shutdown();
        }
        for (Node n : nodes) {
            try {
                if (!n.channel().awaitTermination(5, TimeUnit.SECONDS)) {
                    n.channel().shutdownNow();
                }
            } catch (InterruptedException e) {
                n.channel().shutdownNow();
                Thread.currentThread().interrupt();
            }
        }
    }
}
