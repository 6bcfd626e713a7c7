package dev.pbkv.tester.bench;

import dev.pbkv.tester.robustness.Coordinator;
import dev.pbkv.tester.robustness.Coordinators;
import dev.pbkv.tester.robustness.RobustnessOptions;
import dev.pbkv.tester.robustness.RobustnessReport;
import dev.pbkv.tester.robustness.RobustnessRun;
import dev.pbkv.tester.robustness.Scenario;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Arrays;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The measuring half of {@code bin/bench failover} (bin/lib/bench-failover.sh): the robustness
 * tier's kill-primary scenario with the coordinator, N kills, each held long enough for the
 * backup to take over by itself; prints, from the recorded history, the time from each kill to
 * the first write the new primary accepted (median, max), the pause a client saw (from its last
 * acknowledged write before the kill to its first after), and the acknowledged writes lost (must
 * be 0), with the run's linearizability verdict.
 */
@Command(name = "bin/bench failover", mixinStandardHelpOptions = true)
public final class FailoverBench implements Callable<Integer> {
    @Option(names = "--kills", paramLabel = "N", description = "kills of the primary (default 5)")
    int kills = 5;

    @Option(
            names = "--session-timeout-ms",
            paramLabel = "MS",
            description = "the nodes' coordinator session timeout (default 1500)")
    long sessionTimeoutMs = 1500;

    @Option(names = "--clients", paramLabel = "C", description = "writers and readers running meanwhile (default 4)")
    int clients = 4;

    @Option(names = "--root", paramLabel = "DIR", description = "the checkout (default: the current directory)")
    Path root = Path.of("").toAbsolutePath();

    @Option(
            names = "--server-jar",
            paramLabel = "JAR",
            description = "the nodes' jar (default <root>/server/target/pbkv-server.jar)")
    Path serverJar;

    @Option(names = "--seed", paramLabel = "S", description = "seed (default 1)")
    long seed = 1;

    @Option(names = "--coordinator", paramLabel = "auto|embedded", description = "the coordinator (default auto)")
    String coordinator = "auto";

    @Override
    public Integer call() throws Exception {
        String stamp = LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"));
        Path dir = root.resolve("target/bench/failover-" + stamp);
        Path jar = serverJar != null ? serverJar : root.resolve("server/target/pbkv-server.jar");
        Coordinator c = Coordinators.create(coordinator, dir.resolve("coordinator"), jar.toString());
        if (!c.available()) {
            System.err.println("bin/bench failover: the pair fails over only through the coordinator,"
                    + " which is not in this build yet (issue 10)");
            return 2;
        }
        // Held past the session timeout, so that the backup takes over before the old primary is back.
        long hold = 2 * sessionTimeoutMs + 2000;
        RobustnessOptions o = RobustnessOptions.defaults(Scenario.KILL_PRIMARY, dir)
                .withSeconds(0)
                .withFaults(kills)
                .withLoad(seed, clients, 8)
                .withHold(hold, hold)
                .withTimings(1500, 1000, sessionTimeoutMs)
                .withClasspath(jar.toString());
        RobustnessReport r = new RobustnessRun(o, c, System.err).run();
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(buf, true, StandardCharsets.UTF_8);
        r.print(out);
        double[] k = r.killToNewPrimaryWriteMillis();
        double[] p = r.clientPauseMillis();
        out.printf(
                "failover: %d kills, session timeout %d ms, load average %s%n"
                        + "  kill -> first write accepted by the new primary: median %.0f ms, max %.0f ms (%d measured) %s%n"
                        + "  kills after which the old primary, restarted, accepted the first write (no failover): %d%n"
                        + "  client-visible pause: median %.0f ms, max %.0f ms%n"
                        + "  acknowledged writes lost: %d; linearizable: %s%n%s%n",
                r.faultCount(),
                sessionTimeoutMs,
                loadAverage(),
                median(k),
                max(k),
                k.length,
                Arrays.toString(Arrays.stream(k).mapToLong(Math::round).toArray()),
                r.killsWithoutFailover(),
                median(p),
                max(p),
                r.lostAcknowledgedWrites(),
                r.check().linearizable() ? "yes" : "NO",
                r.passed() && r.killsWithoutFailover() == 0 ? "PASS" : "FAIL");
        String text = buf.toString(StandardCharsets.UTF_8);
        System.out.print(text);
        Files.createDirectories(root.resolve("target/bench"));
        Files.writeString(root.resolve("target/bench/failover-" + stamp + ".txt"), text);
        return r.passed() && r.lostAcknowledgedWrites() == 0 && r.killsWithoutFailover() == 0 ? 0 : 1;
    }

    private static double median(double[] sorted) {
        if (sorted.length == 0) {
            return Double.NaN;
        }
        int m = sorted.length / 2;
        return sorted.length % 2 == 1 ? sorted[m] : (sorted[m - 1] + sorted[m]) / 2;
    }

    private static double max(double[] sorted) {
        return sorted.length == 0 ? Double.NaN : sorted[sorted.length - 1];
    }

    private static String loadAverage() {
        try {
            return String.join(
                    " ",
                    Arrays.copyOf(
                            Files.readAllLines(Path.of("/proc/loadavg")).get(0).split(" "), 3));
        } catch (Exception e) {
            return "unknown";
        }
    }

    public static void main(String[] args) {
        System.exit(new CommandLine(new FailoverBench()).execute(args));
    }
}
