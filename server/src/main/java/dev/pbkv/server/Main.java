package dev.pbkv.server;

import dev.pbkv.server.cli.CertsCommand;
import dev.pbkv.server.cli.CoordinatorCommand;
import dev.pbkv.server.cli.DataDirCommand;
import dev.pbkv.server.cli.PasswdCommand;
import dev.pbkv.server.cli.ProbeCommand;
import dev.pbkv.server.cli.ShutdownCommand;
import dev.pbkv.server.cli.StatusCommand;
import dev.pbkv.server.cli.WarmUpCommand;
import dev.pbkv.server.config.Settings;
import dev.pbkv.server.config.SettingsException;
import dev.pbkv.server.config.SettingsOptions;
import dev.pbkv.store.BackupInfo;
import dev.pbkv.store.Store;
import java.io.IOException;
import java.util.List;
import java.util.concurrent.Callable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/**
 * {@code java -jar pbkv-server.jar -p|-b [flags]} runs a node until it is shut down (exit 0),
 * fails to start (exit 1) or is misconfigured (exit 2). The subcommands are small tools: data-dir
 * for the scripts, probe, shutdown and status for operators and tests, passwd and certs for users
 * and TLS; {@code coordinator} runs the embedded coordinator, the hidden {@code warm-up} is the
 * build's class-data training start.
 */
@Command(
        name = "pbkv-server",
        mixinStandardHelpOptions = true,
        version = "pbkv-server 0.1.0",
        sortOptions = false,
        description = {"Runs one pbkv node. Flags override the settings file; see docs/configuration.md."},
        exitCodeListHeading = "Exit codes:%n",
        exitCodeList = {"0:stopped after a graceful shutdown", "1:could not start", "2:bad flags or settings"})
public final class Main implements Callable<Integer> {
    /** The subcommands, in the order the help lists them. */
    private static final List<Class<?>> SUBCOMMANDS = List.of(
            ProbeCommand.class,
            ShutdownCommand.class,
            StatusCommand.class,
            DataDirCommand.class,
            CoordinatorCommand.class,
            PasswdCommand.class,
            CertsCommand.class,
            WarmUpCommand.class);

    @Mixin
    SettingsOptions options;

    /** Set for a node run: the start's one-time initialization, begun before the flags are parsed. */
    private StartupWarmer warmer;

    public static void main(String[] args) {
        StartupWarmer warmer = isNodeRun(args) ? StartupWarmer.start() : null;
        CommandLine cli = commandLine(warmer, args);
        cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
            if (e instanceof SettingsException || e instanceof IllegalArgumentException) {
                commandLine.getErr().println("pbkv-server: " + e.getMessage());
                return 2;
            }
            throw e;
        });
        System.exit(cli.execute(args));
    }

    /**
     * The command line for {@code args}. A node run (flags only, no help or version asked) gets no
     * subcommands: picocli reflects over every registered command when it is built, about 0.1 s of
     * a node's start (docs/performance.md, "Start and stop"), and a node needs none of them.
     */
    public static CommandLine commandLine(String... args) {
        return commandLine(null, args);
    }

    private static CommandLine commandLine(StartupWarmer warmer, String... args) {
        Main main = new Main();
        main.warmer = warmer;
        CommandLine cli = new CommandLine(main);
        if (!isNodeRun(args)) {
            SUBCOMMANDS.forEach(cli::addSubcommand);
        }
        return cli;
    }

    private static boolean isNodeRun(String... args) {
        if (args.length == 0 || !args[0].startsWith("-")) {
            return false; // a subcommand's name, a typo of one, or nothing (the usage)
        }
        for (String a : args) {
            if (a.equals("-h") || a.equals("--help") || a.equals("-V") || a.equals("--version")) {
                return false; // the help lists the subcommands
            }
        }
        return true;
    }

    @Override
    public Integer call() {
        if (warmer != null) {
            warmer.awaitLogging();
        }
        Settings settings = options.load();
        Logger log = LoggerFactory.getLogger(Main.class);
        if (options.restore() != null) {
            Integer refused = restore(settings, log);
            if (refused != null) {
                return refused;
            }
        }
        Node node = new Node(settings);
        Runtime.getRuntime()
                .addShutdownHook(new Thread(
                        () -> {
                            if (!node.isTerminated()) {
                                log.info("signal received: shutting down");
                                node.shutdown(false);
                                node.awaitTermination();
                                // A SIGTERM-triggered graceful stop is a normal exit, not 143.
                                Runtime.getRuntime().halt(0);
                            }
                        },
                        "pbkv-signal"));
        try {
            node.start();
        } catch (Exception e) {
            log.error("pbkv node failed to start", e);
            System.err.println("pbkv-server: could not start: " + e.getMessage());
            return 1;
        }
        node.awaitTermination();
        return 0;
    }

    /** --restore: seeds the empty store from the backup before the node opens it; an exit code when refused. */
    private Integer restore(Settings settings, Logger log) {
        if (settings.store().memoryOnly()) {
            System.err.println("pbkv-server: --restore needs store.persistence = log: a node without persistence"
                    + " empties its store at start");
            return 2;
        }
        try {
            BackupInfo r = Store.restoreBackup(options.restore(), Node.storeConfig(settings));
            log.info(
                    "restored {}: {} keys at offset {} (epoch {}) into {}",
                    r.file(),
                    r.keys(),
                    r.offset(),
                    r.epoch(),
                    Node.storeDir(settings));
            return null;
        } catch (IOException | RuntimeException e) {
            log.error("restore of {} refused: {}", options.restore(), e.getMessage());
            System.err.println("pbkv-server: restore refused: " + e.getMessage());
            return 1;
        }
    }
}
