package dev.pbkv.server.replication;

import static org.awaitility.Awaitility.await;

import dev.pbkv.server.role.NodeState;
import dev.pbkv.server.role.Role;
import dev.pbkv.store.Mutation;
import dev.pbkv.store.Op;
import dev.pbkv.store.Store;
import dev.pbkv.store.StoreConfig;
import dev.pbkv.store.WriteResult;
import dev.pbkv.store.map.MapConfig;
import io.grpc.Server;
import io.grpc.netty.NettyServerBuilder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A node reduced to what replication needs: a store in a temp directory, a PairReplicator and a
 * gRPC server on a fixed loopback port serving the replication service. "Crash" stops the
 * server and the replicator but keeps the store, as a restarted process would recover it.
 */
final class MiniNode implements AutoCloseable {
    final String id;
    final Role role;
    final int port;
    final int peerPort;
    final Store store;
    final PairSettings settings;
    volatile PairReplicator replicator;
    private volatile Server server;
    /** Where the peer is dialled (a proxy in partition tests); the peer's own port by default. */
    volatile String peerAddress;
    /** The coordinator's connect string (a proxy in partition tests), or null: no coordinator. */
    volatile String coordinatorConnect;
    /** The coordinator's session timeout for coordinated nodes. */
    volatile long sessionTimeoutMs = 1500;

    private MiniNode(String id, Role role, int port, int peerPort, Store store, PairSettings settings) {
        this.id = id;
        this.role = role;
        this.port = port;
        this.peerPort = peerPort;
        this.store = store;
        this.settings = settings;
        this.peerAddress = "127.0.0.1:" + peerPort;
    }

    static PairSettings testSettings() {
        return new PairSettings(
                false,
                java.time.Duration.ofMillis(50),
                java.time.Duration.ofMillis(2000),
                1024,
                1 << 20,
                64 << 10,
                0,
                1024,
                64);
    }

    /** A node, not started: the store is open, nothing listens yet. */
    static MiniNode create(String id, Role role, int port, int peerPort, Path dir, PairSettings settings)
            throws IOException {
        return create(id, role, port, peerPort, dir, settings, 64L << 20);
    }

    /** With retainedLogBytes: how much log the store keeps after a snapshot (tiny: catch-up needs a snapshot). */
    static MiniNode create(
            String id, Role role, int port, int peerPort, Path dir, PairSettings settings, long retainedLogBytes)
            throws IOException {
        return create(id, role, port, peerPort, dir, settings, retainedLogBytes, dev.pbkv.store.FsyncPolicy.NO);
    }

    static MiniNode create(
            String id,
            Role role,
            int port,
            int peerPort,
            Path dir,
            PairSettings settings,
            long retainedLogBytes,
            dev.pbkv.store.FsyncPolicy fsync)
            throws IOException {
        StoreConfig cfg =
                new StoreConfig(dir.resolve(id), new MapConfig(8, 32L << 20), fsync, 64L << 20, retainedLogBytes);
        java.nio.file.Files.createDirectories(cfg.dataDir());
        return new MiniNode(id, role, port, peerPort, Store.open(cfg), settings);
    }

    static int[] freePorts(int n) {
        return dev.pbkv.testkit.FreePorts.take(n);
    }

    String address() {
        return "127.0.0.1:" + port;
    }

    /** Starts (or restarts) the replicator and the server. */
    MiniNode start() throws IOException {
        String connect = coordinatorConnect;
        replicator = new PairReplicator(
                store,
                id,
                role,
                peerAddress,
                this::address,
                settings,
                Clock.systemUTC(),
                connect == null
                        ? dev.pbkv.server.coordinator.PairCoordinator.OFF
                        : new dev.pbkv.server.coordinator.ZooKeeperCoordinator(
                                connect, "/pbkv/test/pairs/p", id, sessionTimeoutMs));
        startServer();
        replicator.start();
        return this;
    }

    /**
     * Binds the node's port, trying again for a while: a restart right after a crash found the
     * port still in use once in verify (the old listener's close is asynchronous), which is not
     * what the tests that restart nodes are about.
     */
    void startServer() throws IOException {
        server = await().atMost(Duration.ofSeconds(10))
                .pollInterval(Duration.ofMillis(100))
                .ignoreExceptionsMatching(e -> e instanceof IOException && e.getCause() instanceof BindException)
                .until(
                        () -> NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", port))
                                .addService(replicator.service())
                                .build()
                                .start(),
                        Objects::nonNull);
    }

    /** Stops listening (the peer sees connections fail) but leaves the replicator running. */
    void stopServer() {
        Server s = server;
        if (s != null) {
            s.shutdownNow();
            try {
                s.awaitTermination(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            server = null;
        }
    }

    /**
     * As if the process died: the replicator stops first (a dead process acknowledges nothing
     * more), then connections drop; the store stays as a restart would recover it.
     */
    void crash() {
        PairReplicator r = replicator;
        if (r != null) {
            r.close();
        }
        stopServer();
    }

    WriteResult put(String key, String value) throws Exception {
        return write(Mutation.of(Op.PUT, bytes(key), bytes(value)));
    }

    WriteResult write(Mutation m) throws Exception {
        try {
            return replicator.write(m).get(10, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof Exception ex) {
                throw ex;
            }
            throw e;
        } catch (TimeoutException e) {
            throw new AssertionError(id + ": write did not complete: " + replicator, e);
        }
    }

    String get(String key) {
        byte[] v = store.lookup(bytes(key)).value();
        return v == null ? null : new String(v, StandardCharsets.UTF_8);
    }

    ContentDigest digest() {
        return ContentDigest.ofMap(store);
    }

    NodeState state() {
        return replicator.state();
    }

    static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public void close() {
        crash();
        try {
            store.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public String toString() {
        return id + "@" + port + " " + replicator;
    }
}
