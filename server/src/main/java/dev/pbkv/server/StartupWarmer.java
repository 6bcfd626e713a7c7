package dev.pbkv.server;

import io.netty.buffer.PooledByteBufAllocator;
import java.lang.management.ManagementFactory;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import org.slf4j.LoggerFactory;

/**
 * Does, on a daemon thread, the slow one-time initialization every node start needs, while the
 * main thread parses the flags (picocli, about 0.14 s) and then opens the store: Logback's
 * configuration, and the static initializers of the libraries the doors, the metrics and the
 * replication use. Each class is initialized by whichever thread reaches it first (the JVM makes
 * the other one wait), so this only moves work off the start's critical path, never changes it.
 * Figures: docs/performance.md, "Start and stop".
 */
final class StartupWarmer {
    /** Classes whose static initialization shows in a start's profile, in the order a start needs them. */
    private static final List<String> CLASSES = List.of(
            "com.fasterxml.jackson.databind.ObjectMapper",
            "io.netty.channel.MultiThreadIoEventLoopGroup",
            "io.netty.channel.nio.NioIoHandler",
            "io.grpc.netty.NettyServerBuilder",
            "io.grpc.internal.ServerImpl",
            "io.micrometer.prometheusmetrics.PrometheusMeterRegistry",
            "io.micrometer.core.instrument.Timer",
            "io.grpc.netty.NettyChannelBuilder",
            "org.apache.curator.framework.CuratorFrameworkFactory");

    private final CountDownLatch loggingReady = new CountDownLatch(1);

    private StartupWarmer() {}

    static StartupWarmer start() {
        StartupWarmer warmer = new StartupWarmer();
        // One thread: a second one made starts slower on two cores (the JIT's threads compete too).
        Thread t = new Thread(warmer::run, "pbkv-startup-warmer");
        t.setDaemon(true);
        t.start();
        return warmer;
    }

    /**
     * Waits until Logback is configured, so that the main thread's first logger is the real one,
     * not SLF4J's stand-in for a logger asked for while another thread configures it.
     */
    void awaitLogging() {
        try {
            loggingReady.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void run() {
        try {
            LoggerFactory.getILoggerFactory();
        } finally {
            loggingReady.countDown();
        }
        ClassLoader loader = StartupWarmer.class.getClassLoader();
        for (String name : CLASSES) {
            try {
                Class.forName(name, true, loader);
            } catch (ClassNotFoundException | LinkageError e) {
                // the start initializes it itself, and reports what is wrong
            }
        }
        ManagementFactory.getOperatingSystemMXBean();
        // Netty's pooled allocator runs 0.1 s of class initialization and interpreted code on the
        // first buffer any connection asks for (the peer channel's first HTTP/2 SETTINGS frame).
        PooledByteBufAllocator.DEFAULT.directBuffer(256).release();
    }
}
