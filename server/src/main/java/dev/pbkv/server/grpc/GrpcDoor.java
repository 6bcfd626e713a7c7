package dev.pbkv.server.grpc;

import com.google.common.util.concurrent.ThreadFactoryBuilder;
import dev.pbkv.proto.AdminGrpc;
import dev.pbkv.proto.KeyValueGrpc;
import dev.pbkv.server.command.Commands;
import dev.pbkv.server.command.NodeStatus;
import dev.pbkv.server.config.LimitSettings;
import dev.pbkv.server.config.Settings;
import dev.pbkv.server.metrics.NodeMetrics;
import dev.pbkv.server.net.Door;
import dev.pbkv.server.role.NodeState;
import dev.pbkv.server.role.Role;
import io.grpc.BindableService;
import io.grpc.Server;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import io.grpc.protobuf.services.ProtoReflectionServiceV1;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.ssl.SslContext;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The gRPC door: KeyValue and Admin, gRPC health and server reflection, and any extra services
 * the node registers (node-to-node replication), on one port.
 *
 * <p>Threads: one Netty boss thread accepts, "pbkv-grpc-io" event loops read and write and run
 * the KeyValue point operations (the command layer answers them with futures and does not block,
 * as for the RESP door); every other call (Scan, Admin, replication, health) runs on the
 * "pbkv-grpc" pool (see {@link HandlerPoolInterceptor}); answers are sent from whichever thread
 * completes the command's future.
 * Health is re-evaluated every 100 ms on "pbkv-grpc-health": the default service and
 * pbkv.v1.KeyValue are SERVING only while this node is a primary that serves (BOOTSTRAP or SYNC);
 * pbkv.v1.Admin is SERVING while the node is up and not shutting down (how a backup is probed).
 *
 * <p>Limits (docs/api.md): limits.max-connections through {@link ConnectionAdmission};
 * limits.grpc-max-concurrent-calls-per-connection as HTTP/2 MAX_CONCURRENT_STREAMS (a client's
 * further calls wait in its channel for a free stream); limits.grpc-flow-control-window per
 * stream; limits.idle-timeout-ms, when set, as maxConnectionIdle (a connection without calls that
 * long gets a GOAWAY). Outbound, the streaming calls wait for isReady (dump, scan), and unary
 * replies are bounded by the concurrent calls.
 */
public final class GrpcDoor implements Door {
    private static final Logger log = LoggerFactory.getLogger(GrpcDoor.class);
    private static final long GRACE_MILLIS = 5_000;

    private final Commands commands;
    private final Settings settings;
    private final List<BindableService> extraServices;
    private final SslContext tls;
    /** Where KeyValue and Admin calls are counted; null: not counted. */
    private final NodeMetrics metrics;

    private final HealthStatusManager health = new HealthStatusManager();
    private EventLoopGroup boss;
    private EventLoopGroup workers;
    private ExecutorService handlers;
    private ScheduledExecutorService healthPoller;
    private Server server;
    /** Counts the connections; set by start(). */
    private ConnectionAdmission admission;

    /** tls: the server context (TlsContexts.grpcServer()), or null for plaintext. */
    public GrpcDoor(
            Commands commands,
            Settings settings,
            List<BindableService> extraServices,
            NodeMetrics metrics,
            SslContext tls) {
        this.tls = tls;
        this.commands = commands;
        this.settings = settings;
        this.extraServices = List.copyOf(extraServices);
        this.metrics = metrics;
    }

    public GrpcDoor(Commands commands, Settings settings, List<BindableService> extraServices) {
        this(commands, settings, extraServices, null, null);
    }

    public GrpcDoor(Commands commands, Settings settings) {
        this(commands, settings, List.of());
    }

    @Override
    public String name() {
        return "grpc";
    }

    @Override
    public void start() throws IOException {
        int cores = Runtime.getRuntime().availableProcessors();
        boss = new MultiThreadIoEventLoopGroup(1, named("pbkv-grpc-accept-%d"), NioIoHandler.newFactory());
        workers = new MultiThreadIoEventLoopGroup(cores, named("pbkv-grpc-io-%d"), NioIoHandler.newFactory());
        handlers = Executors.newFixedThreadPool(Math.max(4, 2 * cores), named("pbkv-grpc-%d"));
        LimitSettings limits = settings.limits();
        admission = new ConnectionAdmission(limits.maxConnections());
        int maxMessage = Math.max(
                4 << 20, settings.limits().maxValueBytes() + settings.limits().maxKeyBytes() + (64 << 10));
        NettyServerBuilder builder = NettyServerBuilder.forAddress(new InetSocketAddress(
                        settings.self().host(), settings.self().grpcPort()))
                .bossEventLoopGroup(boss)
                .workerEventLoopGroup(workers)
                .channelType(NioServerSocketChannel.class)
                // Calls start on the event loops; HandlerPoolInterceptor moves all but the
                // KeyValue point operations onto the handlers pool (it saves a hop per call).
                .directExecutor()
                .maxInboundMessageSize(maxMessage)
                .maxConcurrentCallsPerConnection(limits.grpcMaxConcurrentCallsPerConnection())
                .flowControlWindow(Math.toIntExact(limits.grpcFlowControlWindow()))
                .addTransportFilter(admission)
                .addService(new KeyValueService(commands))
                .addService(new AdminService(commands))
                .addService(health.getHealthService())
                .addService(ProtoReflectionServiceV1.newInstance())
                .addService(reflectionV1Alpha());
        if (tls != null) {
            builder.sslContext(tls);
        }
        if (limits.idleTimeoutMs() > 0) {
            builder.maxConnectionIdle(limits.idleTimeoutMs(), TimeUnit.MILLISECONDS);
        }
        extraServices.forEach(builder::addService);
        if (metrics != null) {
            builder.intercept(new MeteringInterceptor(metrics));
            metrics.connectionGauges("grpc", admission::served, admission::refused);
        }
        builder.intercept(new HandlerPoolInterceptor(handlers)); // decides the thread of the calls it lets in
        builder.intercept(new AuthInterceptor(commands, handlers)); // who calls, before the call starts
        builder.intercept(admission); // outermost: a refused connection's calls end here, on the event loop
        updateHealth();
        server = builder.build().start();
        healthPoller = Executors.newSingleThreadScheduledExecutor(named("pbkv-grpc-health-%d"));
        healthPoller.scheduleWithFixedDelay(this::updateHealth, 100, 100, TimeUnit.MILLISECONDS);
        log.info("grpc door listening on {}:{}{}", settings.self().host(), port(), tls == null ? "" : " (TLS)");
    }

    /** The older reflection protocol, still the only one some grpcurl versions speak. */
    @SuppressWarnings("deprecation")
    private static BindableService reflectionV1Alpha() {
        return io.grpc.protobuf.services.ProtoReflectionService.newInstance();
    }

    private void updateHealth() {
        try {
            NodeStatus s = commands.status();
            boolean up = s.state() != NodeState.SHUTTING_DOWN;
            boolean serving =
                    up && s.role() == Role.PRIMARY && (s.state() == NodeState.BOOTSTRAP || s.state() == NodeState.SYNC);
            ServingStatus kv = serving ? ServingStatus.SERVING : ServingStatus.NOT_SERVING;
            health.setStatus(HealthStatusManager.SERVICE_NAME_ALL_SERVICES, kv);
            health.setStatus(KeyValueGrpc.SERVICE_NAME, kv);
            health.setStatus(AdminGrpc.SERVICE_NAME, up ? ServingStatus.SERVING : ServingStatus.NOT_SERVING);
        } catch (RuntimeException e) {
            log.warn("health update failed", e);
        }
    }

    @Override
    public int port() {
        return server.getPort();
    }

    /** Stops taking calls, lets those in flight finish for a grace period, then cancels the rest. */
    @Override
    public void close() {
        if (server == null) {
            return;
        }
        healthPoller.shutdownNow();
        health.enterTerminalState();
        server.shutdown();
        try {
            if (!server.awaitTermination(GRACE_MILLIS, TimeUnit.MILLISECONDS)) {
                log.warn("grpc calls still running after {} ms; cancelling them", GRACE_MILLIS);
                server.shutdownNow().awaitTermination(1, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            server.shutdownNow();
        }
        handlers.shutdown();
        boss.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        workers.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        boss.terminationFuture().awaitUninterruptibly(2, TimeUnit.SECONDS);
        workers.terminationFuture().awaitUninterruptibly(2, TimeUnit.SECONDS);
        log.info("grpc door closed");
    }

    private static java.util.concurrent.ThreadFactory named(String format) {
        return new ThreadFactoryBuilder().setNameFormat(format).setDaemon(true).build();
    }
}
