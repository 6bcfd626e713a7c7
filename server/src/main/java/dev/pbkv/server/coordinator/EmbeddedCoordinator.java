package dev.pbkv.server.coordinator;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalInt;
import java.util.Properties;
import org.apache.zookeeper.server.embedded.ExitHandler;
import org.apache.zookeeper.server.embedded.ZooKeeperServerEmbedded;
import org.apache.zookeeper.util.ServiceUtils;

/**
 * The embedded default coordinator: one standalone ZooKeeper server on a loopback address, its
 * snapshots and transaction log in a directory of its own. For a pair on one machine, and for the
 * tests; production runs an ensemble (docs/coordinator.md). bin/start_coordinator runs it in its
 * own process through {@code pbkv-server.jar coordinator}.
 *
 * <p>The tick is 200 ms: ZooKeeper expires sessions on tick boundaries, so the tick adds up to one
 * tick to every failover; sessions from {@value #MIN_SESSION_TIMEOUT_MS} ms are allowed (the bounds
 * are set explicitly rather than as ZooKeeper's default 2 to 20 ticks). Nothing else
 * listens: no admin server, and of the four-letter words only {@code ruok} and {@code srvr}.
 */
public final class EmbeddedCoordinator implements AutoCloseable {
    public static final int TICK_MS = 200;
    public static final int MIN_SESSION_TIMEOUT_MS = 1000;
    public static final int MAX_SESSION_TIMEOUT_MS = 60_000;
    /** How long start waits for the client port to be bound. */
    private static final long START_TIMEOUT_MS = 60_000;
    /** The name of the file ZooKeeper writes its generated configuration to at every start. */
    private static final String GENERATED_CONFIG = "zookeeper.configuration*.properties";

    private final String host;
    private final int port;
    private final Path dataDir;
    private final ZooKeeperServerEmbedded server;
    /**
     * The exit code ZooKeeper asked for when it failed (it then exits the process), or -1. Written
     * once by ZooKeeper's failing thread before it calls System.exit; read by the shutdown hook
     * that System.exit runs.
     */
    private static volatile int fatalExitCode = -1;

    private EmbeddedCoordinator(String host, int port, Path dataDir, ZooKeeperServerEmbedded server) {
        this.host = host;
        this.port = port;
        this.dataDir = dataDir;
        this.server = server;
    }

    /**
     * Starts the server on host:port (host must be a loopback address) with its data under
     * dataDir, and returns once the port is bound and the database loaded.
     */
    public static EmbeddedCoordinator start(String host, int port, Path dataDir) throws Exception {
        if (!EmbeddedPlan.isLoopback(host)) {
            throw new IllegalArgumentException("the embedded coordinator listens on loopback only, not " + host);
        }
        Path dir = dataDir.toAbsolutePath();
        Files.createDirectories(dir);
        ZooKeeperServerEmbedded server = ZooKeeperServerEmbedded.builder()
                .baseDir(dir)
                .configuration(configuration(host, port, dir))
                // A server that fails after start ends this process (the scripts see it exit), rather than
                // leaving a process that has a PID and serves nothing.
                .exitHandler(ExitHandler.EXIT)
                .build();
        // The builder parsed the file it generated; the file itself is only clutter, one per start.
        removeGeneratedConfig(dir);
        try {
            server.start(START_TIMEOUT_MS);
        } catch (Exception e) {
            server.close();
            throw e;
        }
        // ZooKeeper ends the process on a fatal error (ExitHandler.EXIT); remember the code first.
        ServiceUtils.setSystemExitProcedure(code -> {
            fatalExitCode = code;
            System.exit(code);
        });
        return new EmbeddedCoordinator(host, port, dir, server);
    }

    static Properties configuration(String host, int port, Path dir) {
        Properties p = new Properties();
        p.setProperty("dataDir", dir.toString());
        p.setProperty("clientPort", Integer.toString(port));
        p.setProperty("clientPortAddress", host);
        p.setProperty("tickTime", Integer.toString(TICK_MS));
        p.setProperty("minSessionTimeout", Integer.toString(MIN_SESSION_TIMEOUT_MS));
        p.setProperty("maxSessionTimeout", Integer.toString(MAX_SESSION_TIMEOUT_MS));
        p.setProperty("admin.enableServer", "false");
        p.setProperty("4lw.commands.whitelist", "ruok, srvr");
        // Old snapshots and logs are purged every hour, keeping the newest three.
        p.setProperty("autopurge.snapRetainCount", "3");
        p.setProperty("autopurge.purgeInterval", "1");
        return p;
    }

    private static void removeGeneratedConfig(Path dir) throws IOException {
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, GENERATED_CONFIG)) {
            for (Path f : files) {
                Files.deleteIfExists(f);
            }
        }
    }

    /** The exit code of a fatal ZooKeeper error that is ending this process, if one is. */
    public static OptionalInt fatalExitCode() {
        int code = fatalExitCode;
        return code < 0 ? OptionalInt.empty() : OptionalInt.of(code);
    }

    /** host:port, as a client's connect string names it. */
    public String connectString() {
        return host + ":" + port;
    }

    public int port() {
        return port;
    }

    public Path dataDir() {
        return dataDir;
    }

    /** Stops the server: its sessions end and its data stays in dataDir. */
    @Override
    public void close() {
        server.close();
    }
}
