package dev.pbkv.server;

import dev.pbkv.server.auth.TlsContexts;
import dev.pbkv.server.cli.NodeInfoFile;
import dev.pbkv.server.command.CommandLayer;
import dev.pbkv.server.command.Commands;
import dev.pbkv.server.command.DoorAddresses;
import dev.pbkv.server.config.Settings;
import dev.pbkv.server.grpc.GrpcDoor;
import dev.pbkv.server.http.HttpDoor;
import dev.pbkv.server.http.HttpSettings;
import dev.pbkv.server.metrics.NodeMetrics;
import dev.pbkv.server.net.Door;
import dev.pbkv.server.replication.Replicator;
import dev.pbkv.server.resp.RespDoor;
import dev.pbkv.server.resp.RespSettings;
import dev.pbkv.store.FsyncPolicy;
import dev.pbkv.store.Store;
import dev.pbkv.store.StoreConfig;
import dev.pbkv.store.map.MapConfig;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One pbkv node: wires settings, store, replicator, command layer and doors, and owns their
 * lifecycle.
 *
 * <p>Start: open the store (recovery), make the replicator, start the doors (gRPC first, with
 * the replicator's services), start the replicator, then write {@code <data-dir>/node.json}.
 * Shutdown (Admin.Shutdown, SHUTDOWN on RESP or HTTP, SIGTERM): the command layer stops admitting
 * requests (status SHUTTING_DOWN), those in flight finish, the replicator drains and may hand
 * the primary role over, the caller is answered, the doors close, the store flushes its log and
 * closes, node.json is removed. Runs once, on the "pbkv-shutdown" thread.
 */
public final class Node {
    private static final Logger log = LoggerFactory.getLogger(Node.class);
    private static final long DRAIN_TIMEOUT_MILLIS = 10_000;
    private static final long REPLICATOR_SHUTDOWN_TIMEOUT_MILLIS = 30_000;

    /** Builds a client-facing door on the command layer. */
    @FunctionalInterface
    public interface DoorFactory {
        /** tls: the node's TLS contexts, built once from the settings' tls block (OFF: plaintext). */
        Door create(Commands commands, Settings settings, NodeMetrics metrics, TlsContexts tls);
    }

    /** The client-facing doors beside gRPC, in start order: the Redis protocol, then HTTP. */
    public static List<DoorFactory> extraDoors() {
        return List.of(
                (commands, s, metrics, tls) -> new RespDoor(
                        commands,
                        new RespSettings(
                                        s.self().host(),
                                        s.self().respPort(),
                                        Math.toIntExact(s.limits().respMaxBulkBytes()),
                                        s.limits().respMaxArgs(),
                                        s.limits().respMaxInlineBytes())
                                .withConnections(s.limits().connectionLimits())
                                .withTls(tls.doors()),
                        metrics),
                (commands, s, metrics, tls) -> new HttpDoor(
                        commands,
                        new HttpSettings(
                                        s.self().host(),
                                        s.self().httpPort(),
                                        HttpSettings.DEFAULT_MAX_BODY_BYTES,
                                        HttpSettings.DEFAULT_MAX_URI_BYTES,
                                        0)
                                .withConnections(s.limits().connectionLimits())
                                .withTls(tls.doors()),
                        metrics));
    }

    private final Settings settings;
    private final ReplicatorFactory replicatorFactory;
    private final List<DoorFactory> doorFactories;
    private final List<Door> doors = new ArrayList<>();
    private final CompletableFuture<Void> terminated = new CompletableFuture<>();
    /** Completes when start() returns or throws: a shutdown (SIGTERM) waits for it, never racing the start. */
    private final CompletableFuture<Void> startFinished = new CompletableFuture<>();
    /** Whether closeEverything ran; guarded by this. */
    private boolean closed;
    /** Set once by {@link #shutdown}; every later call returns it. Guarded by this. */
    private CompletableFuture<Boolean> shutdown;

    private Store store;
    private Replicator replicator;
    private CommandLayer commands;
    private GrpcDoor grpcDoor;
    private NodeMetrics metrics;

    public Node(Settings settings, ReplicatorFactory replicatorFactory, List<DoorFactory> doorFactories) {
        this.settings = settings;
        this.replicatorFactory = replicatorFactory;
        this.doorFactories = List.copyOf(doorFactories);
    }

    /** Guards node.json: no write after the node closed and removed it. */
    private final Object nodeInfoLock = new Object();
    /** Guarded by nodeInfoLock: the doors listen and the node has not closed. */
    private boolean nodeInfoPublished;

    public Node(Settings settings) {
        this(settings, ReplicatorFactory.DEFAULT, extraDoors());
    }

    /** For the start's log lines: how much of a start is the JVM's and how much the node's. */
    private static long millisSinceJvmStart() {
        return ManagementFactory.getRuntimeMXBean().getUptime();
    }

    public void start() throws IOException {
        log.info("starting pbkv node ({} ms after the JVM started): {}", millisSinceJvmStart(), settings.describe());
        ReplicatorFactory.prepareInBackground(settings);
        Path dataDir = settings.self().dataDir();
        Files.createDirectories(dataDir);
        try {
            // First: a certificate or key that cannot be loaded stops the node before the store opens.
            TlsContexts tls = TlsContexts.of(settings.tls());
            if (settings.store().memoryOnly()) {
                // store.persistence = none: whatever an earlier run left (a kill -9 skips the clean-up) is never
                // replayed.
                deleteVolatileStore("at start");
            }
            store = Store.open(storeConfig(settings));
            log.info(
                    "store open at {}: {} keys, last offset {}, epoch {}",
                    storeDir(settings),
                    store.count(),
                    store.lastOffset(),
                    store.epoch());
            ReplicatorFactory.Replication replication =
                    replicatorFactory.create(settings, store, this::grpcAddress, tls);
            replicator = replication.replicator();
            commands = new CommandLayer(store, replicator, settings, this::shutdown);
            // One set of meters for every door, so /metrics shows gRPC, RESP and HTTP requests alike.
            metrics = new NodeMetrics(commands::status);
            metrics.authenticationFailures(commands::authenticationFailures);
            grpcDoor = new GrpcDoor(commands, settings, replication.services(), metrics, tls.grpcServer());
            grpcDoor.start();
            doors.add(grpcDoor);
            for (DoorFactory factory : doorFactories) {
                Door door = factory.create(commands, settings, metrics, tls);
                door.start();
                doors.add(door);
            }
            commands.setDoorAddresses(new DoorAddresses(grpcAddress(), addressOf("resp"), addressOf("http")));
            replicator.onStateChange(this::publishNodeInfo);
            replicator.start();
            synchronized (nodeInfoLock) {
                nodeInfoPublished = true;
            }
            publishNodeInfo();
            log.info(
                    "node {} up: grpc={} resp={} http={} state={} ({} ms after the JVM started)",
                    settings.nodeId(),
                    grpcAddress(),
                    addressOf("resp"),
                    addressOf("http"),
                    replicator.state(),
                    millisSinceJvmStart());
        } catch (IOException | RuntimeException e) {
            log.error("start failed: {}", e.toString());
            closeEverything();
            terminated.complete(null);
            throw e;
        } finally {
            startFinished.complete(null);
        }
    }

    /**
     * The store's directory: {@code <data-dir>/store}, or with {@code store.persistence = none}
     * {@code <data-dir>/volatile-store}, a directory of its own so that a node started without
     * persistence never deletes a persistent store.
     */
    static Path storeDir(Settings settings) {
        return settings.self().dataDir().resolve(settings.store().memoryOnly() ? VOLATILE_STORE_DIR : "store");
    }

    /** The directory a node without persistence keeps its log and snapshots in for the life of one process. */
    public static final String VOLATILE_STORE_DIR = "volatile-store";

    static StoreConfig storeConfig(Settings settings) {
        return new StoreConfig(
                storeDir(settings),
                new MapConfig(settings.store().buckets(), settings.store().memoryBytes()),
                // Without persistence nothing is kept for a restart: forcing the log to disk buys nothing.
                settings.store().memoryOnly()
                        ? FsyncPolicy.NO
                        : settings.store().fsync(),
                settings.store().snapshotLogBytes(),
                settings.store().retainedLogBytes());
    }

    /** The command layer (for in-process tests). */
    public Commands commands() {
        return commands;
    }

    /** This node's bound gRPC address, host:port, or null before the door started. */
    public String grpcAddress() {
        GrpcDoor door = grpcDoor;
        return door == null ? null : settings.self().host() + ":" + safePort(door);
    }

    private static int safePort(Door door) {
        try {
            return door.port();
        } catch (RuntimeException e) {
            return -1;
        }
    }

    private Integer portOf(String name) {
        return doors.stream()
                .filter(d -> d.name().equals(name))
                .findFirst()
                .map(Door::port)
                .orElse(null);
    }

    private String addressOf(String name) {
        Integer port = portOf(name);
        return port == null ? null : settings.self().host() + ":" + port;
    }

    /**
     * Starts the graceful shutdown once; completes, before the doors close, with whether the
     * primary role was handed over. {@link #awaitTermination} returns when everything is closed.
     */
    public synchronized CompletableFuture<Boolean> shutdown(boolean skipSwitchover) {
        if (shutdown == null) {
            shutdown = new CompletableFuture<>();
            Thread t = new Thread(() -> runShutdown(skipSwitchover), "pbkv-shutdown");
            t.start();
        }
        return shutdown;
    }

    private void runShutdown(boolean skipSwitchover) {
        startFinished.join();
        log.info("state -> SHUTTING_DOWN: shutdown requested (skip switchover: {})", skipSwitchover);
        boolean switched = false;
        try {
            // Hand over first: writes that arrive during the switchover are refused with the new
            // primary's address (a retrying client goes on), instead of a bare "shutting down".
            if (replicator != null) {
                try {
                    switched = replicator
                            .shutdown(skipSwitchover)
                            .get(REPLICATOR_SHUTDOWN_TIMEOUT_MILLIS, TimeUnit.MILLISECONDS);
                } catch (TimeoutException e) {
                    log.warn("replication did not stop within {} ms; going on", REPLICATOR_SHUTDOWN_TIMEOUT_MILLIS);
                }
            }
            if (commands != null) {
                try {
                    commands.closeAndDrain().get(DRAIN_TIMEOUT_MILLIS, TimeUnit.MILLISECONDS);
                } catch (TimeoutException e) {
                    log.warn(
                            "{} requests still in flight after {} ms; going on",
                            commands.inFlight(),
                            DRAIN_TIMEOUT_MILLIS);
                }
            }
        } catch (Exception e) {
            log.error("error while draining", e);
        } finally {
            shutdown.complete(switched);
            closeEverything();
            log.info("node {} stopped", settings.nodeId());
            terminated.complete(null);
        }
    }

    /** Closes doors (reverse start order), replicator, command layer and store, and removes node.json. */
    private void closeEverything() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
        }
        for (int i = doors.size() - 1; i >= 0; i--) {
            try {
                doors.get(i).close();
            } catch (RuntimeException e) {
                log.warn("closing door {} failed", doors.get(i).name(), e);
            }
        }
        if (replicator != null) {
            try {
                replicator.close();
            } catch (RuntimeException e) {
                log.warn("closing the replicator failed", e);
            }
        }
        if (metrics != null) {
            metrics.close();
        }
        if (commands != null) {
            commands.close();
        }
        if (store != null) {
            try {
                store.close();
                log.info("store closed at offset {}", store.lastOffset());
            } catch (IOException | RuntimeException e) {
                log.error("closing the store failed", e);
            }
        }
        if (settings.store().memoryOnly() && store != null) {
            deleteVolatileStore("at stop");
        }
        synchronized (nodeInfoLock) {
            nodeInfoPublished = false;
            try {
                NodeInfoFile.delete(settings.self().dataDir());
            } catch (IOException e) {
                log.warn("could not remove {}", NodeInfoFile.in(settings.self().dataDir()), e);
            }
        }
    }

    /**
     * Writes node.json with the bound ports and the current role and state: once the doors listen,
     * then after every state change, until the node closes (a small atomic file write, no fsync).
     */
    private void publishNodeInfo() {
        synchronized (nodeInfoLock) {
            if (!nodeInfoPublished) {
                return;
            }
            Replicator r = replicator;
            try {
                new NodeInfoFile(
                                ProcessHandle.current().pid(),
                                settings.nodeId(),
                                settings.self().host(),
                                portOf("grpc"),
                                portOf("resp"),
                                portOf("http"),
                                r.role().name(),
                                r.state().name())
                        .writeTo(settings.self().dataDir());
            } catch (IOException e) {
                log.warn("could not write {}", NodeInfoFile.in(settings.self().dataDir()), e);
            }
        }
    }

    /** store.persistence = none: removes the store's directory with everything in it. */
    private void deleteVolatileStore(String when) {
        Path dir = storeDir(settings);
        if (!Files.exists(dir)) {
            return;
        }
        try (var paths = Files.walk(dir)) {
            for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
            log.info("store.persistence is none: deleted {} {}", dir, when);
        } catch (IOException | java.io.UncheckedIOException e) {
            log.warn("store.persistence is none but {} could not be deleted {}: {}", dir, when, e.toString());
        }
    }

    /** Blocks until the node has stopped. */
    public void awaitTermination() {
        terminated.join();
    }

    public boolean isTerminated() {
        return terminated.isDone();
    }
}
