package dev.pbkv.server.cli;

import dev.pbkv.server.config.CoordinatorSettings;
import dev.pbkv.server.config.SettingsOptions;
import dev.pbkv.server.coordinator.EmbeddedCoordinator;
import dev.pbkv.server.coordinator.EmbeddedPlan;
import dev.pbkv.server.role.Role;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code pbkv-server.jar coordinator}: runs the embedded coordinator (one standalone ZooKeeper on
 * loopback, {@link EmbeddedCoordinator}) until SIGTERM. The port and data directory come from
 * --port and --data-dir, else from the settings' coordinator.connect and coordinator.data-dir.
 * bin/start_coordinator runs it, and first asks it with --dry-run what the settings name.
 */
@Command(
        name = "coordinator",
        mixinStandardHelpOptions = true,
        sortOptions = false,
        description = {
            "Runs the embedded coordinator: one standalone ZooKeeper on a loopback address, until SIGTERM.",
            "Without --port it serves the one loopback address coordinator.connect names; data in",
            "--data-dir, else coordinator.data-dir. It writes its PID to <data-dir>/pbkv.pid and logs",
            "'coordinator serving on HOST:PORT' once clients can connect. See docs/coordinator.md."
        },
        exitCodeListHeading = "Exit codes:%n",
        exitCodeList = {
            "0:stopped by SIGTERM (or --dry-run answered)",
            "1:could not start (port taken, another coordinator in the data directory, ...)",
            "2:bad flags or settings",
            "3:coordinator.connect is \"off\" (and no --port): nothing to run",
            "4:coordinator.connect names an ensemble or a host that is not loopback (and no --port)"
        })
public final class CoordinatorCommand implements Callable<Integer> {
    /** The PID file's name: the same file bin/ and the test kit use for nodes (one record of a PID). */
    public static final String PID_FILE = "pbkv.pid";

    static final int OFF = 3;
    static final int NOT_EMBEDDED = 4;

    @Option(
            names = "--config",
            paramLabel = "FILE",
            description = "Settings file (JSON). Default: conf/settings.conf if present, else built-in defaults.")
    Path config;

    @Option(
            names = "--set",
            paramLabel = "KEY=VALUE",
            description = "Overrides a setting by its dotted key, e.g. --set coordinator.connect=127.0.0.1:2191.")
    Map<String, String> sets = new LinkedHashMap<>();

    @Option(
            names = "--port",
            paramLabel = "PORT",
            description = "Serve on 127.0.0.1:PORT, whatever coordinator.connect says.")
    Integer port;

    @Option(names = "--data-dir", paramLabel = "DIR", description = "Overrides coordinator.data-dir.")
    Path dataDir;

    @Option(
            names = "--dry-run",
            description = {
                "Print what would run, one value per line (host, port, data directory), and exit;",
                "exit 3 or 4 (with the reason) when the settings name no embedded coordinator."
            })
    boolean dryRun;

    @Override
    public Integer call() throws Exception {
        EmbeddedPlan plan = plan();
        if (plan instanceof EmbeddedPlan.Off) {
            System.out.println("coordinator.connect is \"off\": no coordinator (give --port to run one anyway)");
            return OFF;
        }
        if (plan instanceof EmbeddedPlan.Ensemble ensemble) {
            System.out.println("coordinator.connect names " + ensemble.connect()
                    + ", not one loopback address: production names an ensemble; start it yourself");
            return NOT_EMBEDDED;
        }
        EmbeddedPlan.Embedded embedded = (EmbeddedPlan.Embedded) plan;
        if (dryRun) {
            System.out.println(embedded.host());
            System.out.println(embedded.port());
            System.out.println(embedded.dataDir().toAbsolutePath());
            return 0;
        }
        return run(embedded);
    }

    /** The flags first, then the settings (read only when a flag is missing). */
    private EmbeddedPlan plan() {
        if (port != null && dataDir != null) {
            return new EmbeddedPlan.Embedded("127.0.0.1", port, dataDir);
        }
        // Built as either role: the coordinator section does not depend on it.
        CoordinatorSettings settings =
                SettingsOptions.loader(config, sets).build(Role.PRIMARY).coordinator();
        Path dir = dataDir != null ? dataDir : settings.dataDir();
        if (port != null) {
            return new EmbeddedPlan.Embedded("127.0.0.1", port, dir);
        }
        EmbeddedPlan plan = EmbeddedPlan.of(settings);
        return plan instanceof EmbeddedPlan.Embedded e ? new EmbeddedPlan.Embedded(e.host(), e.port(), dir) : plan;
    }

    private int run(EmbeddedPlan.Embedded plan) throws Exception {
        Logger log = LoggerFactory.getLogger(CoordinatorCommand.class);
        Path dir = plan.dataDir().toAbsolutePath();
        Files.createDirectories(dir);
        Path pidFile = dir.resolve(PID_FILE);
        long self = ProcessHandle.current().pid();
        // A PID that another program has recycled is not a coordinator (the check of bin/lib/node-common.sh).
        Optional<ProcessHandle> other = readPid(pidFile)
                .filter(pid -> pid != self)
                .flatMap(ProcessHandle::of)
                .filter(ProcessHandle::isAlive)
                .filter(p -> p.info()
                        .commandLine()
                        .map(c -> c.contains("pbkv-server") || c.contains("dev.pbkv.server.Main"))
                        .orElse(true));
        if (other.isPresent()) {
            System.err.println("pbkv-server: a coordinator is already running in " + dir + " (pid "
                    + other.get().pid() + ")");
            return 1;
        }
        // Written before the port is bound, so a coordinator that hangs while starting can be stopped.
        Files.writeString(pidFile, self + "\n");
        String address = plan.host() + ":" + plan.port();
        // Set once start returns; the shutdown hook stops what has started (SIGTERM may come while starting).
        AtomicReference<EmbeddedCoordinator> started = new AtomicReference<>();
        Runtime.getRuntime()
                .addShutdownHook(new Thread(
                        () -> {
                            EmbeddedCoordinator c = started.get();
                            if (c != null) {
                                log.info("stopping coordinator on {}", address);
                                c.close();
                                log.info("coordinator stopped");
                            }
                            deleteIfOurs(pidFile, self);
                            // A SIGTERM is a normal stop (exit 0, not 143); a fatal ZooKeeper error keeps its code.
                            Runtime.getRuntime()
                                    .halt(EmbeddedCoordinator.fatalExitCode().orElse(c == null ? 1 : 0));
                        },
                        "pbkv-coordinator-signal"));
        try {
            started.set(EmbeddedCoordinator.start(plan.host(), plan.port(), dir));
        } catch (Exception e) {
            log.error("coordinator failed to start", e);
            System.err.println("pbkv-server: could not start the coordinator on " + address + ": " + e);
            return 1; // System.exit runs the hook, which removes the PID file
        }
        log.info("coordinator serving on {}, data in {} (pid {})", address, dir, self);
        // The process ends in the shutdown hook: on SIGTERM, or when ZooKeeper exits on a fatal error.
        new CountDownLatch(1).await();
        return 0;
    }

    private static Optional<Long> readPid(Path pidFile) {
        try {
            return Optional.of(Long.parseLong(Files.readString(pidFile).trim()));
        } catch (IOException | NumberFormatException e) {
            return Optional.empty();
        }
    }

    private static void deleteIfOurs(Path pidFile, long self) {
        if (readPid(pidFile).filter(p -> p == self).isPresent()) {
            try {
                Files.deleteIfExists(pidFile);
            } catch (IOException ignored) {
                // the launcher removes a stale file
            }
        }
    }
}
