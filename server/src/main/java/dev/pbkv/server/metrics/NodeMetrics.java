package dev.pbkv.server.metrics;

import dev.pbkv.server.command.NodeStatus;
import dev.pbkv.server.role.NodeState;
import dev.pbkv.server.role.Role;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.IntSupplier;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import java.util.function.ToDoubleFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A node's metrics, in one Micrometer registry that GET /metrics renders in the Prometheus text
 * format: request counts and latencies per door and command (every door records through
 * {@link #requestMeter}), and gauges read from the command layer's {@link NodeStatus}: keys,
 * memory, role, state, epoch, offsets and replication lag. One instance per node; close it with
 * the node.
 */
public final class NodeMetrics implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(NodeMetrics.class);

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final Supplier<NodeStatus> statusSource;
    private final JvmGcMetrics gcMetrics = new JvmGcMetrics();
    /** Done once the JVM's meters are in the registry. */
    private final CompletableFuture<Void> jvmMetricsBound;
    /** Meters by "door/command"; created once, then only read. */
    private final ConcurrentHashMap<String, RequestMeter> meters = new ConcurrentHashMap<>();
    /** The status the gauges show: refreshed once per scrape, so one scrape is one consistent view. */
    private volatile NodeStatus lastStatus;

    public NodeMetrics(Supplier<NodeStatus> statusSource) {
        this.statusSource = statusSource;
        // The JVM's meters take about 0.05 s to bind (their classes, the management beans): off the
        // start's critical path, on a pool thread; a scrape and close wait for it.
        this.jvmMetricsBound = CompletableFuture.runAsync(() -> {
            new JvmMemoryMetrics().bindTo(registry);
            new JvmThreadMetrics().bindTo(registry);
            new ProcessorMetrics().bindTo(registry);
            gcMetrics.bindTo(registry);
        });
        statusGauge("pbkv.keys", "keys in the store", null, s -> s.keyCount());
        statusGauge("pbkv.keys.expiring", "keys in the store that have a deadline", null, s -> s.expiringKeyCount());
        statusGauge("pbkv.memory.used", "bytes of the store's arena in use", "bytes", s -> s.memoryUsedBytes());
        statusGauge("pbkv.memory.capacity", "bytes of the store's arena", "bytes", s -> s.memoryCapacityBytes());
        statusGauge("pbkv.epoch", "the node's epoch, raised on every promotion", null, s -> s.epoch());
        offsetGauge("last", s -> s.lastOffset());
        offsetGauge("durable", s -> s.durableOffset());
        offsetGauge("committed", s -> s.committedOffset());
        offsetGauge("peer_acked", s -> s.peerAckedOffset());
        statusGauge(
                "pbkv.replication.lag",
                "log offsets the peer has not acknowledged (last - peer acked)",
                null,
                s -> Math.max(0, s.lastOffset() - s.peerAckedOffset()));
        statusGauge(
                "pbkv.peer.connected",
                "1 when the replication stream to the peer is up",
                null,
                s -> s.peerConnected() ? 1 : 0);
        statusGauge(
                "pbkv.coordinator.connected",
                "1 while the node's coordinator session is connected (0 when off or disconnected)",
                null,
                s -> s.coordinator().connection() == dev.pbkv.server.coordinator.Connection.CONNECTED ? 1 : 0);
        statusGauge(
                "pbkv.coordinator.in.sync",
                "members the coordinator's state names in in_sync (0 when off or unknown)",
                null,
                s -> s.coordinator().inSync().size());
        statusGauge(
                "pbkv.coordinator.state.version",
                "version of the coordinator's state znode last read (-1 when none)",
                null,
                s -> s.coordinator().stateVersion());
        statusGauge("pbkv.uptime", "seconds since the node started", "seconds", s -> s.uptimeMillis() / 1000.0);
        for (NodeState state : NodeState.values()) {
            Gauge.builder("pbkv.state", this, m -> m.status(s -> s.state() == state ? 1 : 0))
                    .description("1 for the node's current replication state")
                    .tag("state", state.name())
                    .register(registry);
        }
        for (Role role : Role.values()) {
            Gauge.builder("pbkv.role", this, m -> m.status(s -> s.role() == role ? 1 : 0))
                    .description("1 for the role the node plays now")
                    .tag("role", role.name())
                    .register(registry);
        }
    }

    /** The meter for one command on one door ("resp", "http", "grpc"); the same instance each time. */
    public RequestMeter requestMeter(String door, String command) {
        return meters.computeIfAbsent(
                door + '/' + command,
                k -> new RequestMeter(timer(door, command, "success"), timer(door, command, "failure")));
    }

    /** What the connection counters read; kept here because a FunctionCounter holds its source weakly. */
    private final java.util.List<LongSupplier> counterSources = new java.util.concurrent.CopyOnWriteArrayList<>();

    /**
     * The connection gauges of one door ("resp", "http", "grpc"): pbkv_connections (served now)
     * and pbkv_connections_refused_total (refused for limits.max-connections).
     */
    public void connectionGauges(String door, IntSupplier open, LongSupplier refused) {
        Gauge.builder("pbkv.connections", open, s -> s.getAsInt())
                .description("client connections a door serves now")
                .tag("door", door)
                .strongReference(true)
                .register(registry);
        FunctionCounter.builder("pbkv.connections.refused", refused, s -> s.getAsLong())
                .description("connections refused because the door served limits.max-connections")
                .tag("door", door)
                .register(registry);
        counterSources.add(refused); // the counter holds its source weakly
    }

    /** pbkv_auth_failures_total: failed authentications at every door (wrong user or password). */
    public void authenticationFailures(LongSupplier failures) {
        FunctionCounter.builder("pbkv.auth.failures", failures, s -> s.getAsLong())
                .description("failed authentications (wrong user name or password) at every door")
                .register(registry);
        counterSources.add(failures); // the counter holds its source weakly
    }

    /** The Prometheus text exposition of every meter. */
    public String scrape() {
        jvmMetricsBound.join();
        refreshStatus();
        return registry.scrape();
    }

    /** The content type of {@link #scrape()}. */
    public static String contentType() {
        return "text/plain; version=0.0.4; charset=utf-8";
    }

    public MeterRegistry registry() {
        jvmMetricsBound.join();
        return registry;
    }

    @Override
    public void close() {
        jvmMetricsBound.join();
        gcMetrics.close();
        registry.close();
    }

    private Timer timer(String door, String command, String outcome) {
        return Timer.builder("pbkv.requests")
                .description("requests answered, by door, command and outcome, with their latency")
                .tag("door", door)
                .tag("command", command)
                .tag("outcome", outcome)
                .publishPercentileHistogram()
                .minimumExpectedValue(Duration.ofNanos(10_000))
                .maximumExpectedValue(Duration.ofSeconds(10))
                .register(registry);
    }

    private void statusGauge(String name, String description, String unit, ToDoubleFunction<NodeStatus> value) {
        Gauge.Builder<NodeMetrics> builder =
                Gauge.builder(name, this, m -> m.status(value)).description(description);
        if (unit != null) {
            builder.baseUnit(unit);
        }
        builder.register(registry);
    }

    private void offsetGauge(String kind, ToDoubleFunction<NodeStatus> value) {
        Gauge.builder("pbkv.offset", this, m -> m.status(value))
                .description("log offsets: last written, durable on disk, committed, acknowledged by the peer")
                .tag("kind", kind)
                .register(registry);
    }

    private double status(ToDoubleFunction<NodeStatus> value) {
        NodeStatus status = lastStatus;
        if (status == null) {
            status = refreshStatus();
        }
        return status == null ? Double.NaN : value.applyAsDouble(status);
    }

    private NodeStatus refreshStatus() {
        try {
            NodeStatus status = statusSource.get();
            lastStatus = status;
            return status;
        } catch (RuntimeException e) {
            LOG.warn("node status unavailable for metrics: {}", e.toString());
            return lastStatus;
        }
    }
}
