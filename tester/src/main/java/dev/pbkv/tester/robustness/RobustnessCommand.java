package dev.pbkv.tester.robustness;

import dev.pbkv.tester.history.History;
import dev.pbkv.tester.linearizability.KeyVerdict;
import dev.pbkv.tester.linearizability.LinearizabilityChecker;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Option;

/** The options of {@code bin/test --robustness SCENARIO ...} and {@code bin/test --check-history FILE}. */
public final class RobustnessCommand {
    @Option(
            names = "--robustness",
            paramLabel = "SCENARIO",
            description =
                    "run a robustness scenario instead of .test files: kill-primary, kill-backup, kill-any,"
                            + " pause-primary, pause-backup, partition-nodes, partition-coordinator, restart-coordinator, mixed")
    public String scenario;

    @Option(
            names = "--seconds",
            paramLabel = "N",
            description = "robustness: seconds of faults (default 30; 0 with --faults: until done)")
    Long seconds;

    @Option(
            names = "--faults",
            paramLabel = "N",
            description = "robustness: stop after N faults (default: as many as fit)")
    int faults;

    @Option(
            names = "--seed",
            paramLabel = "S",
            description = "robustness: seed of the clients and the nemesis (default 1)")
    long seed = 1;

    @Option(names = "--clients", paramLabel = "C", description = "robustness: concurrent clients (default 4)")
    int clients = 4;

    @Option(names = "--keys", paramLabel = "K", description = "robustness: shared keys (default 8)")
    int keys = 8;

    @Option(
            names = "--dir",
            paramLabel = "DIR",
            description = "robustness: where data, logs and history.jsonl go"
                    + " (default <root>/target/robustness/<scenario>-<time>)")
    Path dir;

    @Option(
            names = "--server-jar",
            paramLabel = "JAR",
            description = "robustness: the nodes' jar (default <root>/server/target/pbkv-server.jar)")
    Path serverJar;

    @Option(
            names = "--hold-ms",
            paramLabel = "MIN[-MAX]",
            description = "robustness: how long each fault is held (default 1000-3000)")
    String hold = "1000-3000";

    @Option(
            names = "--quiet-ms",
            paramLabel = "MS",
            description = "robustness: mean pause between a recovery and the next fault (default 1000)")
    long quietMs = 1000;

    @Option(
            names = "--op-timeout-ms",
            paramLabel = "MS",
            description = "robustness: a client's deadline per operation (default 1000)")
    long opTimeoutMs = 1000;

    @Option(
            names = "--session-timeout-ms",
            paramLabel = "MS",
            description = "robustness: the nodes' coordinator session timeout (default 1500)")
    long sessionTimeoutMs = 1500;

    @Option(
            names = "--coordinator",
            paramLabel = "auto|off|embedded|in-process",
            description = "robustness: the coordinator: the embedded process, one inside the tester's JVM,"
                    + " or none (default auto: embedded when built, else in-process)")
    String coordinator = "auto";

    @Option(
            names = "--node-opt",
            paramLabel = "ARG",
            description = "robustness: an extra flag for both nodes (repeatable), e.g. --node-opt=--fsync=always")
    List<String> nodeOpts = new ArrayList<>();

    @Option(
            names = "--check-history",
            paramLabel = "FILE",
            description = "check a recorded history.jsonl again and print the verdict")
    public Path checkHistory;

    /** Runs the scenario; 0 PASS, 1 FAIL, 2 usage. */
    public int run(Path root, PrintStream out, PrintStream err) throws IOException {
        Scenario s;
        try {
            s = Scenario.parse(scenario);
        } catch (IllegalArgumentException e) {
            err.println("bin/test: --robustness: " + e.getMessage());
            return 2;
        }
        long[] holdRange;
        try {
            String[] parts = hold.split("-");
            holdRange = new long[] {Long.parseLong(parts[0]), Long.parseLong(parts[parts.length - 1])};
        } catch (NumberFormatException e) {
            err.println("bin/test: --hold-ms: expected MIN or MIN-MAX in ms, found " + hold);
            return 2;
        }
        Path runDir = dir != null
                ? dir
                : root.resolve("target/robustness")
                        .resolve(s.label() + "-"
                                + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));
        Path jar = serverJar != null ? serverJar : root.resolve("server/target/pbkv-server.jar");
        if (!Files.isRegularFile(jar)) {
            err.println(
                    "bin/test: no server jar at " + jar + " (build it: mvn -B -q -DskipTests package -pl server -am)");
            return 2;
        }
        RobustnessOptions o;
        Coordinator c;
        try {
            o = RobustnessOptions.defaults(s, runDir)
                    .withSeconds(seconds != null ? seconds : (faults > 0 ? 0 : 30))
                    .withFaults(faults)
                    .withLoad(seed, clients, keys)
                    .withHold(holdRange[0], holdRange[1])
                    .withTimings(quietMs, opTimeoutMs, sessionTimeoutMs)
                    .withClasspath(jar.toString())
                    .withNodeArgs(nodeOpts);
            c = Coordinators.create(coordinator, runDir.resolve("coordinator"), jar.toString());
        } catch (IllegalArgumentException e) {
            err.println("bin/test: " + e.getMessage());
            return 2;
        }
        if (o.seconds() <= 0 && o.faults() <= 0) {
            err.println("bin/test: give --seconds or --faults (or both)");
            return 2;
        }
        if (!c.available() && !s.runsWithoutCoordinator()) {
            err.println("bin/test: scenario " + s.label() + " needs a coordinator; this run has none ("
                    + "--coordinator off" + ")");
            return 2;
        }
        RobustnessReport report = new RobustnessRun(o, c, out).run();
        report.print(out);
        return report.passed() ? 0 : 1;
    }

    /** Checks a saved history; 0 linearizable, 1 not. */
    public int check(PrintStream out) throws IOException {
        History h = History.readJsonLines(checkHistory);
        LinearizabilityChecker.Result r = new LinearizabilityChecker().check(h.ops());
        for (KeyVerdict v : r.failures()) {
            out.print(LinearizabilityChecker.describe(v));
        }
        out.printf(
                "%s: %d keys, %d ops: %s%n",
                checkHistory,
                r.keys(),
                r.ops(),
                r.linearizable()
                        ? "linearizable"
                        : "NOT linearizable (" + r.failures().size() + " keys)");
        return r.linearizable() ? 0 : 1;
    }
}
