package dev.pbkv.client;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executor;

/**
 * Builds a {@link PbkvClient} or a {@link PbkvAsyncClient}. Give one or both nodes of the pair;
 * the client finds the primary among them and follows the node's hints.
 *
 * <pre>{@code
 * try (PbkvClient kv = PbkvClient.builder()
 *     .endpoint("127.0.0.1:7001").endpoint("127.0.0.1:7002")
 *     .retryDeadline(Duration.ofSeconds(10))
 *     .build()) {
 *   kv.put("a", "1");
 * }
 * }</pre>
 */
public final class PbkvClientBuilder {

    private final List<Endpoint> endpoints = new ArrayList<>();
    private ClientOptions.Credentials credentials;
    private ClientOptions.Tls tls;
    private Duration callTimeout = Duration.ofSeconds(2);
    private Duration retryDeadline = Duration.ofSeconds(10);
    private Duration initialBackoff = Duration.ofMillis(20);
    private Duration maxBackoff = Duration.ofSeconds(1);
    private Duration streamTimeout = Duration.ofMinutes(10);
    private boolean allowStale;
    private int maxInboundMessageBytes = 64 << 20;
    private Executor callbackExecutor;

    PbkvClientBuilder() {}

    /** Adds a node, {@code host:port} of its gRPC port. The first one is tried first. */
    public PbkvClientBuilder endpoint(String hostPort) {
        return endpoint(Endpoint.parse(hostPort));
    }

    /** Adds a node. */
    public PbkvClientBuilder endpoint(Endpoint endpoint) {
        if (!endpoints.contains(endpoint)) {
            endpoints.add(endpoint);
        }
        return this;
    }

    /** Adds several nodes. */
    public PbkvClientBuilder endpoints(List<Endpoint> list) {
        list.forEach(this::endpoint);
        return this;
    }

    /**
     * Adds both nodes of the pair from a {@code conf/settings.conf}, primary first; when the pair
     * serves TLS (tls.cert-file set there) and {@link #tls} was not called, trusts its tls.ca-file.
     */
    public PbkvClientBuilder settings(Path settingsConf) {
        endpoints(PairSettings.grpcEndpoints(settingsConf));
        if (tls == null) {
            tls = PairSettings.tls(settingsConf);
        }
        return this;
    }

    /** The deadline of one attempt of one call (default 2 s). */
    public PbkvClientBuilder callTimeout(Duration d) {
        this.callTimeout = d;
        return this;
    }

    /**
     * How long a call keeps retrying UNAVAILABLE and connection failures, across nodes, before it
     * fails with {@link PbkvUnavailableException} (default 10 s). Covers a failover or a switchover.
     */
    public PbkvClientBuilder retryDeadline(Duration d) {
        this.retryDeadline = d;
        return this;
    }

    /** The first retry delay and the cap of the exponential backoff (defaults 20 ms and 1 s). */
    public PbkvClientBuilder backoff(Duration initial, Duration max) {
        this.initialBackoff = initial;
        this.maxBackoff = max;
        return this;
    }

    /** The deadline of a whole dump stream (default 10 min). */
    public PbkvClientBuilder streamTimeout(Duration d) {
        this.streamTimeout = d;
        return this;
    }

    /**
     * Lets a backup answer reads (get, exists, count, scan, dump) from its own, possibly older,
     * copy. Off by default: reads go to the primary and are linearizable.
     */
    public PbkvClientBuilder allowStale(boolean allow) {
        this.allowStale = allow;
        return this;
    }

    /** The largest message the client accepts (default 64 MiB). */
    public PbkvClientBuilder maxInboundMessageBytes(int bytes) {
        this.maxInboundMessageBytes = bytes;
        return this;
    }

    /**
     * Where gRPC runs response callbacks, and so where the async client's futures complete
     * (default: gRPC's shared pool). {@code Runnable::run} runs them on the network threads,
     * which is fastest for pipelining but means a callback must never block.
     */
    public PbkvClientBuilder callbackExecutor(Executor executor) {
        this.callbackExecutor = executor;
        return this;
    }

    /**
     * Sends user and password with every call, for a pair with auth.users set (docs/security.md).
     * Default: none. Over plain TCP they are readable on the network: use it on loopback or with TLS.
     */
    public PbkvClientBuilder credentials(String user, String password) {
        if (user == null || user.isEmpty() || user.indexOf(':') >= 0) {
            throw new IllegalArgumentException("a user name must be non-empty and hold no ':'");
        }
        this.credentials = new ClientOptions.Credentials(user, password == null ? "" : password);
        return this;
    }

    /**
     * Talks TLS to the nodes (a pair with tls.cert-file set, docs/security.md), trusting the CA
     * certificates in caFile (PEM; null: the JDK's default trust store). The node's certificate
     * must name the address the client dials (e.g. IP 127.0.0.1). Default: plaintext.
     */
    public PbkvClientBuilder tls(Path caFile) {
        this.tls =
                new ClientOptions.Tls(caFile, tls == null ? null : tls.certFile(), tls == null ? null : tls.keyFile());
        return this;
    }

    /** With {@link #tls}: presents this certificate (PEM) and key (PEM, PKCS#8), for tls.client-auth require. */
    public PbkvClientBuilder tlsClientCertificate(Path certFile, Path keyFile) {
        if (certFile == null || keyFile == null) {
            throw new IllegalArgumentException("a client certificate needs both its certificate and its key file");
        }
        this.tls = new ClientOptions.Tls(tls == null ? null : tls.caFile(), certFile, keyFile);
        return this;
    }

    ClientOptions options() {
        return new ClientOptions(
                endpoints,
                callTimeout,
                retryDeadline,
                initialBackoff,
                maxBackoff,
                streamTimeout,
                allowStale,
                maxInboundMessageBytes,
                callbackExecutor,
                credentials,
                tls);
    }

    /** A blocking client; close it to release its channels. */
    public PbkvClient build() {
        return new PbkvClient(options());
    }

    /** An asynchronous client; close it to release its channels and its retry timer. */
    public PbkvAsyncClient buildAsync() {
        return new PbkvAsyncClient(options());
    }
}
