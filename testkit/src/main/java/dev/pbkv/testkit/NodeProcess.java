package dev.pbkv.testkit;

import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.ByteString;
import dev.pbkv.proto.AdminGrpc;
import dev.pbkv.proto.DumpRequest;
import dev.pbkv.proto.NodeState;
import dev.pbkv.proto.Role;
import dev.pbkv.proto.StatusRequest;
import dev.pbkv.proto.StatusResponse;
import io.grpc.ChannelCredentials;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.TlsChannelCredentials;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/**
 * The one way pbkv starts real nodes outside bin/start_server: the integration tests, the
 * tester's IT and the benchmarks (through {@link NodeLauncher}) all use it. A node is a separate
 * JVM running {@code dev.pbkv.server.Main} on free ports with its own data directory, stdout and
 * stderr in {@code <data-dir>/node.log}, its PID in {@code <data-dir>/pbkv.pid} ({@link PidFile}).
 * It waits (Awaitility) until the node serves, kills it ({@code kill -9}) or stops it
 * (SIGTERM, then SIGKILL) by PID, restarts it on the same directory, and always stops it in
 * {@link #close()}; a JVM shutdown hook kills any node a crashed test left behind (unless it was
 * {@link #detach() detached} to outlive this JVM, as the benchmarks' nodes are).
 *
 * <pre>{@code
 * try (NodeProcess node = NodeProcess.primary(tempDir).start()) {
 *     KeyValueGrpc.newBlockingStub(node.channel()).put(...);
 * }
 * try (NodeProcess.Pair pair = NodeProcess.pair(tempDir).start()) { ... }
 * }</pre>
 *
 * <p>The classpath is {@link Builder#classpath(String)}, else the system property
 * {@code pbkv.node.classpath} (e.g. server/target/pbkv-server.jar), else this JVM's own (a test
 * classpath that holds the server). The node gets this JVM's {@code java.io.tmpdir} (under
 * {@code target/} in a Maven build), and no hsperfdata file in /tmp ({@code -XX:-UsePerfData}).
 * The JVM itself is launched, stopped and reaped by {@link ServerJvm}, as the coordinator's is
 * ({@link CoordinatorProcess}).
 */
public final class NodeProcess implements AutoCloseable {
    /** How long a node may take to start or stop on a busy machine. */
    public static final Duration START_TIMEOUT = Duration.ofSeconds(60);

    public static final Duration STOP_TIMEOUT = Duration.ofSeconds(30);
    private static final ObjectMapper JSON = new ObjectMapper();

    /** What "started" means: the primary serves (health SERVING), or the node is up (Admin health SERVING). */
    public enum Readiness {
        SERVING(""),
        UP("pbkv.v1.Admin");

        final String healthService;

        Readiness(String healthService) {
            this.healthService = healthService;
        }
    }

    private final String role;
    private final Path dataDir;
    private final Readiness readiness;
    private final ServerJvm jvm;
    private ManagedChannel channel;
    /** The TLS files the node serves with (ca, cert, key), or null: the test channel is plaintext. */
    private final Path[] tls;

    private int grpcPort;
    private boolean detached;

    private NodeProcess(
            String role,
            Path dataDir,
            List<String> args,
            List<String> jvmArgs,
            Readiness readiness,
            String classpath,
            Path[] tls) {
        this.tls = tls;
        this.role = role;
        this.dataDir = dataDir;
        this.readiness = readiness;
        this.jvm = new ServerJvm(role, dataDir, dataDir.resolve("node.log"), classpath, jvmArgs, args);
    }

    /** A node with this role ("primary" or "backup") in exactly this data directory. */
    public static Builder node(String role, Path dataDir) {
        Builder b = new Builder(role, dataDir);
        return role.equals("backup") ? b.readiness(Readiness.UP) : b;
    }

    /** A primary without a peer in {@code dir/primary}, every port free (0). */
    public static Builder primary(Path dir) {
        return node("primary", dir.resolve("primary"));
    }

    /** A backup in {@code dir/backup}; without a running primary it only comes UP, never SERVING. */
    public static Builder backup(Path dir) {
        return node("backup", dir.resolve("backup"));
    }

    /** Two nodes that know each other's gRPC address (fixed free ports, so restarts keep them). */
    public static PairBuilder pair(Path dir) {
        return new PairBuilder(dir);
    }

    public static final class Builder {
        private final String role;
        private final Path dataDir;
        private final List<String> args = new ArrayList<>();
        private final List<String> jvmArgs =
                new ArrayList<>(List.of("-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xshare:auto"));
        private Readiness readiness = Readiness.SERVING;
        private int grpcPort;
        private String peer;
        private String memory = "32m";
        private Path[] tls;
        private String classpath = System.getProperty("pbkv.node.classpath", System.getProperty("java.class.path"));

        private Builder(String role, Path dataDir) {
            this.role = role;
            this.dataDir = dataDir;
        }

        /** A fixed gRPC port instead of a free one picked by the node. */
        public Builder grpcPort(int port) {
            this.grpcPort = port;
            return this;
        }

        /** store.memory (default here 32m, to keep many test nodes small; null: the node's own setting). */
        public Builder memory(String size) {
            this.memory = size;
            return this;
        }

        public Builder peer(String hostPort) {
            this.peer = hostPort;
            return this;
        }

        /** {@code --set key=value} on the node's command line. */
        public Builder set(String key, String value) {
            args.add("--set");
            args.add(key + "=" + value);
            return this;
        }

        /**
         * Serves TLS with this certificate and key, trusting ca (tls.cert-file, key-file, ca-file);
         * the test's own channel then talks TLS too, trusting ca and presenting the same certificate.
         */
        public Builder tls(Path ca, Path cert, Path key) {
            this.tls = new Path[] {ca, cert, key};
            return set("tls.cert-file", cert.toString())
                    .set("tls.key-file", key.toString())
                    .set("tls.ca-file", ca.toString());
        }

        /** Any other flag of the node, e.g. "--fsync", "always". */
        public Builder args(String... more) {
            args.addAll(Arrays.asList(more));
            return this;
        }

        /** Replaces the default JVM flags (small heap, fast start). */
        public Builder jvmArgs(String... flags) {
            jvmArgs.clear();
            jvmArgs.addAll(Arrays.asList(flags));
            return this;
        }

        public Builder readiness(Readiness r) {
            this.readiness = r;
            return this;
        }

        /** Where dev.pbkv.server.Main is: e.g. server/target/pbkv-server.jar. */
        public Builder classpath(String cp) {
            this.classpath = cp;
            return this;
        }

        public NodeProcess build() {
            List<String> all = new ArrayList<>(List.of(
                    "--role",
                    role,
                    "--data-dir",
                    dataDir.toString(),
                    "--grpc-port",
                    Integer.toString(grpcPort),
                    "--resp-port",
                    "0",
                    "--http-port",
                    "0"));
            if (memory != null) {
                all.add("--memory");
                all.add(memory);
            }
            if (peer != null) {
                all.add("--peer");
                all.add(peer);
            }
            all.addAll(args);
            return new NodeProcess(role, dataDir, all, jvmArgs, readiness, classpath, tls);
        }

        /** Builds, starts and waits until ready. */
        public NodeProcess start() {
            return build().start();
        }
    }

    /** Launches the node and waits until it is ready; on failure the exception carries its log tail. */
    public NodeProcess start() {
        startNoWait();
        awaitReady();
        return this;
    }

    /** Launches the node without waiting (see {@link #awaitReady()}). */
    public NodeProcess startNoWait() {
        if (isAlive()) {
            throw new IllegalStateException(role + " is already running (pid " + pid() + ")");
        }
        try {
            Files.createDirectories(dataDir);
            Files.deleteIfExists(dataDir.resolve("node.json")); // left by a killed run
        } catch (IOException e) {
            throw new UncheckedIOException("could not start " + role, e);
        }
        jvm.launch();
        return this;
    }

    /**
     * Launches the node and waits only until it is up (Admin health SERVING), whatever role it
     * ends in: e.g. an old primary that must rejoin as backup after a promotion.
     */
    public NodeProcess startUp() {
        startNoWait();
        return awaitReady(Readiness.UP);
    }

    /** Waits until node.json names the gRPC port and health says the node is ready. */
    public NodeProcess awaitReady() {
        return awaitReady(readiness);
    }

    private NodeProcess awaitReady(Readiness readiness) {
        await("pbkv " + role + " ready")
                .atMost(START_TIMEOUT)
                .pollInterval(Duration.ofMillis(100))
                .until(() -> {
                    jvm.checkAlive("while starting");
                    return nodeInfo()
                            .map(n -> n.path("grpc").asInt(0))
                            .filter(p -> p > 0)
                            .map(p -> {
                                usePort(p);
                                return isServing(readiness);
                            })
                            .orElse(false);
                });
        return this;
    }

    private void usePort(int port) {
        if (port != grpcPort || channel == null) {
            closeChannel();
            grpcPort = port;
            channel = Grpc.newChannelBuilderForAddress("127.0.0.1", port, credentials())
                    .build();
        }
    }

    private ChannelCredentials credentials() {
        if (tls == null) {
            return InsecureChannelCredentials.create();
        }
        try {
            return TlsChannelCredentials.newBuilder()
                    .trustManager(tls[0].toFile())
                    .keyManager(tls[1].toFile(), tls[2].toFile())
                    .build();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the TLS files " + Arrays.toString(tls), e);
        }
    }

    /** Whether health answers SERVING for the given readiness. */
    public boolean isServing(Readiness r) {
        try {
            return HealthGrpc.newBlockingStub(channel)
                            .withDeadlineAfter(2, TimeUnit.SECONDS)
                            .check(HealthCheckRequest.newBuilder()
                                    .setService(r.healthService)
                                    .build())
                            .getStatus()
                    == HealthCheckResponse.ServingStatus.SERVING;
        } catch (StatusRuntimeException e) {
            return false;
        }
    }

    /** {@code <data-dir>/node.json} as the node wrote it, if present. */
    public Optional<JsonNode> nodeInfo() {
        Path f = dataDir.resolve("node.json");
        try {
            return Files.exists(f) ? Optional.of(JSON.readTree(Files.readString(f))) : Optional.empty();
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /** A channel to the node's gRPC port (owned by this object; valid until the next restart). */
    public ManagedChannel channel() {
        if (channel == null) {
            throw new IllegalStateException(role + " has not been started");
        }
        return channel;
    }

    public int grpcPort() {
        return grpcPort;
    }

    /** The RESP port node.json names (the node picks a free one when started with port 0). */
    public int respPort() {
        return nodeInfo().orElseThrow().path("resp").asInt();
    }

    /** The HTTP port node.json names. */
    public int httpPort() {
        return nodeInfo().orElseThrow().path("http").asInt();
    }

    public String grpcAddress() {
        return "127.0.0.1:" + grpcPort;
    }

    public long pid() {
        return jvm.pid();
    }

    public Path dataDir() {
        return dataDir;
    }

    public Path logFile() {
        return dataDir.resolve("node.log");
    }

    public String logTail(int lines) {
        return jvm.logTail(lines);
    }

    /** Admin.Status of the running node. */
    public StatusResponse status() {
        return AdminGrpc.newBlockingStub(channel())
                .withDeadlineAfter(10, TimeUnit.SECONDS)
                .status(StatusRequest.getDefaultInstance());
    }

    /** Waits until Admin.Status shows this role and state (a node that exits while waiting fails the wait). */
    public NodeProcess awaitState(Role r, NodeState s, Duration atMost) {
        await(this.role + " " + r + " " + s)
                .atMost(atMost)
                .pollInterval(Duration.ofMillis(100))
                .ignoreException(StatusRuntimeException.class)
                .until(() -> {
                    if (!isAlive()) {
                        throw new IllegalStateException(this.role + " exited; log tail:\n" + logTail(40));
                    }
                    StatusResponse st = status();
                    return st.getRole() == r && st.getState() == s;
                });
        return this;
    }

    /** Admin.Dump (stale reads allowed, so a backup answers too): every entry, ordered by key bytes. */
    public TreeMap<ByteString, ByteString> dump() {
        TreeMap<ByteString, ByteString> all = new TreeMap<>(ByteString.unsignedLexicographicalComparator());
        AdminGrpc.newBlockingStub(channel())
                .withDeadlineAfter(120, TimeUnit.SECONDS)
                .dump(DumpRequest.newBuilder().setAllowStale(true).build())
                .forEachRemaining(page -> page.getEntriesList().forEach(e -> all.put(e.getKey(), e.getValue())));
        return all;
    }

    /** Whether the node's log (all its runs) contains this text. */
    public boolean logContains(String text) {
        try {
            return Files.readString(logFile()).contains(text);
        } catch (IOException e) {
            return false;
        }
    }

    public boolean isAlive() {
        return jvm.isAlive();
    }

    /** kill -9, then waits until the process is gone. */
    public void kill() {
        jvm.kill(STOP_TIMEOUT);
        closeChannel();
    }

    /** SIGTERM (a graceful shutdown), then SIGKILL if it takes longer than {@link #STOP_TIMEOUT}; returns the exit code. */
    public int stop() {
        int code = jvm.stop(STOP_TIMEOUT);
        closeChannel();
        return code;
    }

    /** Waits for the process to exit (after a shutdown it asked for itself); true if it did in time. */
    public boolean waitForExit(Duration timeout) {
        boolean exited = jvm.waitForExit(timeout);
        if (exited) {
            closeChannel();
        }
        return exited;
    }

    public int exitValue() {
        return jvm.exitValue();
    }

    /** Starts again on the same data directory and flags (after a stop or a kill). */
    public NodeProcess restart() {
        if (isAlive()) {
            stop();
        }
        return start();
    }

    private void closeChannel() {
        if (channel != null) {
            channel.shutdownNow();
            channel = null;
        }
    }

    @Override
    public void close() {
        if (detached) {
            return;
        }
        try {
            stop();
        } finally {
            closeChannel();
            jvm.detach();
        }
    }

    /**
     * Lets the node outlive this JVM (a benchmark script stops it later through its PID file):
     * the shutdown hook no longer kills it and {@link #close()} no longer stops it.
     */
    public void detach() {
        closeChannel();
        jvm.detach();
        detached = true;
    }

    public static final class PairBuilder {
        private final Builder primary;
        private final Builder backup;

        private PairBuilder(Path dir) {
            int[] ports = FreePorts.take(2);
            int p = ports[0];
            int b = ports[1];
            primary = NodeProcess.primary(dir).grpcPort(p).peer("127.0.0.1:" + b);
            backup = NodeProcess.backup(dir).grpcPort(b).peer("127.0.0.1:" + p);
        }

        /** Applies the same settings to both nodes (classpath, JVM flags, node flags...). */
        public PairBuilder each(java.util.function.Consumer<Builder> settings) {
            settings.accept(primary);
            settings.accept(backup);
            return this;
        }

        /** {@code --set key=value} on both nodes. */
        public PairBuilder set(String key, String value) {
            primary.set(key, value);
            backup.set(key, value);
            return this;
        }

        public Builder primary() {
            return primary;
        }

        public Builder backup() {
            return backup;
        }

        public Pair build() {
            return new Pair(primary.build(), backup.build());
        }

        /** Starts both nodes at once and waits until each is ready. */
        public Pair start() {
            Pair pair = build();
            try {
                pair.primary().startNoWait();
                pair.backup().startNoWait();
                pair.primary().awaitReady();
                pair.backup().awaitReady();
            } catch (RuntimeException e) {
                pair.close();
                throw e;
            }
            return pair;
        }
    }

    /** A primary and a backup that know each other; closing it stops both. */
    public record Pair(NodeProcess primary, NodeProcess backup) implements AutoCloseable {
        @Override
        public void close() {
            try {
                backup.close();
            } finally {
                primary.close();
            }
        }
    }
}
