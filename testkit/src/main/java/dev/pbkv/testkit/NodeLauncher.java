package dev.pbkv.testkit;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@link NodeProcess} for shell scripts (the benchmarks under bin/lib/): start a node or a pair
 * on free loopback ports, print where they listen as shell assignments to {@code eval}, and stop
 * them later through their PID files. A started node outlives this command; its PID is in
 * {@code <data-dir>/pbkv.pid}.
 *
 * <pre>
 * eval "$(java -cp tester/target/pbkv-tester.jar dev.pbkv.testkit.NodeLauncher start-pair --dir "$work/pair")"
 * ... "$primary_grpc" "$backup_grpc" ...
 * java -cp ... dev.pbkv.testkit.NodeLauncher stop "$primary_dir" "$backup_dir"
 * </pre>
 */
@Command(
        name = "node-launcher",
        mixinStandardHelpOptions = true,
        subcommands = {
            NodeLauncher.FreePortsCommand.class,
            NodeLauncher.StartCommand.class,
            NodeLauncher.StartPairCommand.class,
            NodeLauncher.StopCommand.class
        },
        description = "Starts and stops pbkv nodes for scripts (see NodeProcess).")
public final class NodeLauncher {

    public static void main(String[] args) {
        CommandLine cl = new CommandLine(new NodeLauncher()).setCaseInsensitiveEnumValuesAllowed(true);
        // A node that does not start: its log tail, not a stack trace of this launcher.
        cl.setExecutionExceptionHandler((e, line, parsed) -> {
            line.getErr().println("node-launcher: " + e.getMessage());
            return 1;
        });
        System.exit(cl.execute(args));
    }

    /** How every node started here is launched. */
    static final class LaunchOptions {
        @Option(
                names = "--server-jar",
                paramLabel = "JAR",
                description = "the runnable node (default: ${DEFAULT-VALUE})")
        Path serverJar = Path.of("server/target/pbkv-server.jar");

        @Option(
                names = "--jvm-opts",
                paramLabel = "FLAGS",
                description = "the node JVM's flags, space separated"
                        + " (default: none, the JVM's defaults; not the test kit's small heap)")
        String jvmOpts = "";

        @Option(names = "--memory", paramLabel = "SIZE", description = "store.memory (default: the node's own setting)")
        String memory;

        @Option(
                names = "--tls-ca",
                paramLabel = "FILE",
                description = "serve TLS (with --tls-cert and --tls-key): tls.ca-file; the launcher's own"
                        + " readiness checks then talk TLS too, trusting FILE")
        Path tlsCa;

        @Option(names = "--tls-cert", paramLabel = "FILE", description = "tls.cert-file (with --tls-ca)")
        Path tlsCert;

        @Option(names = "--tls-key", paramLabel = "FILE", description = "tls.key-file (with --tls-ca)")
        Path tlsKey;

        @Parameters(
                paramLabel = "NODE_FLAG",
                description = "after --: more flags of the node (--config FILE, --fsync no, ...)")
        List<String> nodeFlags = new ArrayList<>();

        NodeProcess.Builder apply(NodeProcess.Builder b) {
            if (tlsCa != null || tlsCert != null || tlsKey != null) {
                if (tlsCa == null || tlsCert == null || tlsKey == null) {
                    throw new IllegalArgumentException("--tls-ca, --tls-cert and --tls-key go together");
                }
                b.tls(tlsCa.toAbsolutePath(), tlsCert.toAbsolutePath(), tlsKey.toAbsolutePath());
            }
            b.classpath(serverJar.toAbsolutePath().toString()).memory(memory).args(nodeFlags.toArray(String[]::new));
            return b.jvmArgs(Arrays.stream(jvmOpts.trim().split("\\s+"))
                    .filter(s -> !s.isEmpty())
                    .toArray(String[]::new));
        }
    }

    /** NAME_pid, NAME_dir, NAME_log, NAME_grpc (host:port), NAME_grpc_port, NAME_resp, NAME_http. */
    static String assignments(String name, NodeProcess node, boolean ready) {
        List<String> lines = new ArrayList<>();
        lines.add(name + "_pid=" + node.pid());
        lines.add(name + "_dir=" + quote(node.dataDir().toString()));
        lines.add(name + "_log=" + quote(node.logFile().toString()));
        if (ready) {
            lines.add(name + "_grpc=" + node.grpcAddress());
            lines.add(name + "_grpc_port=" + node.grpcPort());
            node.nodeInfo().ifPresent(info -> {
                lines.add(name + "_resp=" + info.path("resp").asText(""));
                lines.add(name + "_http=" + info.path("http").asText(""));
            });
        }
        return lines.stream().collect(Collectors.joining("\n"));
    }

    private static String quote(String s) {
        return "'" + s.replace("'", "'\\''") + "'";
    }

    @Command(
            name = "free-ports",
            mixinStandardHelpOptions = true,
            description = "Prints N distinct free loopback ports, space separated.")
    static final class FreePortsCommand implements Callable<Integer> {
        @Parameters(paramLabel = "N", defaultValue = "1")
        int count;

        @Override
        public Integer call() {
            System.out.println(Arrays.stream(FreePorts.take(count))
                    .mapToObj(Integer::toString)
                    .collect(Collectors.joining(" ")));
            return 0;
        }
    }

    @Command(
            name = "start",
            mixinStandardHelpOptions = true,
            description = {
                "Starts one node in the background, waits until it is ready (unless --no-wait)",
                "and prints shell assignments NAME_pid, NAME_dir, NAME_log, NAME_grpc, NAME_grpc_port,",
                "NAME_resp, NAME_http, NAME_launched_ms (epoch ms of the launch).",
                "Exit 1 (with the node's log tail) if it does not start."
            })
    static final class StartCommand implements Callable<Integer> {
        @Option(names = "--role", required = true, description = "primary or backup")
        String role;

        @Option(names = "--data-dir", required = true, paramLabel = "DIR")
        Path dataDir;

        @Option(names = "--name", description = "prefix of the printed variables (default: the role)")
        String name;

        @Option(names = "--grpc-port", description = "a fixed gRPC port (default 0: the node picks a free one)")
        int grpcPort;

        @Option(names = "--peer", paramLabel = "HOST:PORT")
        String peer;

        @Option(
                names = "--readiness",
                description = "SERVING (health of the KV service) or UP (Admin answers);"
                        + " default: SERVING for a primary, UP for a backup")
        NodeProcess.Readiness readiness;

        @Option(names = "--no-wait", description = "print the PID and return at once")
        boolean noWait;

        @CommandLine.Mixin
        LaunchOptions launch;

        @Override
        public Integer call() {
            NodeProcess.Builder b = launch.apply(
                    NodeProcess.node(role, dataDir.toAbsolutePath()).grpcPort(grpcPort));
            if (peer != null) {
                b.peer(peer);
            }
            if (readiness != null) {
                b.readiness(readiness);
            }
            NodeProcess node = b.build();
            long launched = System.currentTimeMillis();
            node.startNoWait();
            if (!noWait) {
                node.awaitReady();
            }
            node.detach();
            System.out.println(assignments(name != null ? name : role, node, !noWait));
            System.out.println((name != null ? name : role) + "_launched_ms=" + launched);
            return 0;
        }
    }

    @Command(
            name = "start-pair",
            mixinStandardHelpOptions = true,
            description = {
                "Starts a primary in DIR/primary and a backup in DIR/backup on free ports, each",
                "knowing the other, waits until the primary serves and the backup is up, and prints",
                "primary_* and backup_* assignments (as start does)."
            })
    static final class StartPairCommand implements Callable<Integer> {
        @Option(names = "--dir", required = true, paramLabel = "DIR")
        Path dir;

        @CommandLine.Mixin
        LaunchOptions launch;

        @Override
        public Integer call() {
            NodeProcess.Pair pair =
                    NodeProcess.pair(dir.toAbsolutePath()).each(launch::apply).start();
            pair.primary().detach();
            pair.backup().detach();
            System.out.println(assignments("primary", pair.primary(), true));
            System.out.println(assignments("backup", pair.backup(), true));
            return 0;
        }
    }

    @Command(
            name = "stop",
            mixinStandardHelpOptions = true,
            description = {
                "Stops the node of each data directory through its pbkv.pid: SIGTERM (a graceful",
                "shutdown), SIGKILL after --grace seconds. A node that is not running is not an error."
            })
    static final class StopCommand implements Callable<Integer> {
        @Option(names = "--grace", description = "seconds between SIGTERM and SIGKILL (default ${DEFAULT-VALUE})")
        long graceSeconds = 30;

        @Option(names = "--kill", description = "SIGKILL at once")
        boolean kill;

        @Parameters(paramLabel = "DATA_DIR", arity = "1..*")
        List<Path> dirs;

        @Override
        public Integer call() {
            for (Path d : dirs) {
                if (kill) {
                    PidFile.kill(d);
                } else {
                    PidFile.stop(d, Duration.ofSeconds(graceSeconds));
                }
            }
            return 0;
        }
    }
}
