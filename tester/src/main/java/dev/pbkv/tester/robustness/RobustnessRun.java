package dev.pbkv.tester.robustness;

import static org.awaitility.Awaitility.await;

import dev.pbkv.tester.history.History;
import dev.pbkv.tester.history.Op;
import dev.pbkv.tester.linearizability.LinearizabilityChecker;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.awaitility.core.ConditionTimeoutException;

/**
 * One robustness run (docs/tester.md, "Robustness"): start the coordinator (if any) and a pair
 * behind proxies, run recording clients, inject the scenario's faults one at a time (each healed,
 * then the pair given time to be healthy again), stop the clients, heal everything, read every key
 * and dump the primary, stop every process by its PID, then check the history.
 */
public final class RobustnessRun {
    private final RobustnessOptions options;
    private final Coordinator coordinator;
    private final PrintStream out;

    public RobustnessRun(RobustnessOptions options, Coordinator coordinator, PrintStream out) {
        this.options = options;
        this.coordinator = coordinator;
        this.out = out;
    }

    public RobustnessReport run() {
        if (options.seconds() <= 0 && options.faults() <= 0) {
            throw new IllegalArgumentException("give --seconds or --faults (or both)");
        }
        List<Fault> faults = options.scenario().faults(coordinator.available());
        if (faults.isEmpty()) {
            throw new IllegalArgumentException("scenario " + options.scenario().label()
                    + " needs a coordinator, and this run has none (coordinator.connect = off)");
        }
        try {
            Files.createDirectories(options.dir());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        RunLog log = new RunLog(out);
        Random rnd = new Random(options.seed());
        History history = new History();
        log.line(
                "robustness %s: coordinator %s, seed %d, %d clients, %d keys, faults %s; in %s",
                options.scenario().label(),
                coordinator.available() ? "on" : "off",
                options.seed(),
                options.clients(),
                options.keys(),
                faults.stream().map(Fault::label).toList(),
                options.dir());
        List<Nemesis.Injected> injected = new ArrayList<>();
        Map<String, String> addresses = new HashMap<>();
        String problem = "";
        FinalReads.Result finals;
        List<RoleMonitor.Change> changes;
        int bothPrimary;
        try (Cluster cluster = Cluster.start(
                options.dir(),
                coordinator,
                new Cluster.Options(options.classpath(), options.sessionTimeoutMs(), options.nodeArgs()))) {
            cluster.nodes().forEach(n -> addresses.put(n.name, n.address()));
            if (!awaitHealthy(cluster, log)) {
                problem = "the pair was not healthy " + options.recoverySeconds() + " s after its start:\n"
                        + cluster.describe();
            }
            try (NodeChannels nodes = new NodeChannels(cluster.addresses());
                    RoleMonitor monitor = new RoleMonitor(cluster, log).start()) {
                ExecutorService pool = Executors.newFixedThreadPool(options.clients(), named("robustness-client-"));
                AtomicBoolean stop = new AtomicBoolean();
                for (int c = 0; c < options.clients(); c++) {
                    pool.execute(new RecordingClient(
                            c,
                            nodes,
                            history,
                            new OpMix(options.keys()),
                            options.opTimeoutMillis(),
                            20,
                            rnd.nextLong(),
                            stop::get));
                }
                Nemesis nemesis = new Nemesis(
                        cluster,
                        faults,
                        new Random(rnd.nextLong()),
                        options.holdMinMillis(),
                        options.holdMaxMillis(),
                        log);
                long end = options.seconds() > 0
                        ? System.nanoTime() + TimeUnit.SECONDS.toNanos(options.seconds())
                        : Long.MAX_VALUE;
                sleep(options.quietMillis());
                while (problem.isEmpty()
                        && System.nanoTime() < end
                        && (options.faults() <= 0 || injected.size() < options.faults())) {
                    Nemesis.Injected f = nemesis.injectOne();
                    injected.add(f);
                    if (!awaitHealthy(cluster, log)) {
                        problem = "the pair was not healthy " + options.recoverySeconds() + " s after fault "
                                + f.number() + " (" + f.fault().label() + ") was healed:\n" + cluster.describe();
                        break;
                    }
                    sleep(options.quietMillis() / 2 + rnd.nextLong(options.quietMillis() + 1));
                    if (!f.note().isEmpty()) {
                        log.line("fault %d: %s", f.number(), f.note());
                    }
                }
                stop.set(true);
                pool.shutdown();
                if (!pool.awaitTermination(options.opTimeoutMillis() + 10_000, TimeUnit.MILLISECONDS)) {
                    pool.shutdownNow();
                }
                log.line(
                        "clients stopped after %d ops; healing everything for the final reads",
                        history.ops().size());
                cluster.healAll(false);
                if (!awaitHealthy(cluster, log) && problem.isEmpty()) {
                    problem = "the pair was not healthy " + options.recoverySeconds() + " s after the last heal:\n"
                            + cluster.describe();
                }
                finals = FinalReads.run(cluster, nodes, history, options.keys(), options.clients(), log);
                log.line("final reads: %d keys, dump of %d insert-once keys", finals.keysRead(), finals.onceKeys());
                monitor.close();
                changes = monitor.changes();
                bothPrimary = monitor.bothPrimarySamples();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
        log.line("every process stopped; checking %d ops", history.ops().size());
        List<Op> ops = history.ops();
        try {
            history.writeJsonLines(options.dir().resolve("history.jsonl"));
        } catch (IOException e) {
            log.line("could not write history.jsonl: %s", e);
        }
        long t0 = System.nanoTime();
        LinearizabilityChecker.Result check = new LinearizabilityChecker().check(ops);
        double checkSeconds = (System.nanoTime() - t0) / 1e9;
        List<FailoverTiming> filled = new ArrayList<>();
        for (Nemesis.Injected f : injected) {
            if (f.fault() == Fault.KILL_PRIMARY) {
                filled.add(FailoverTiming.of(ops, f.startNanos(), addresses.getOrDefault(f.target(), "")));
            }
        }
        return new RobustnessReport(
                options,
                coordinator.available(),
                (System.nanoTime() - log.startNanos()) / 1e9,
                ops,
                injected,
                changes.size(),
                bothPrimary,
                finals,
                check,
                checkSeconds,
                problem,
                filled);
    }

    private boolean awaitHealthy(Cluster cluster, RunLog log) {
        try {
            await("a healthy pair")
                    .atMost(Duration.ofSeconds(options.recoverySeconds()))
                    .pollInterval(Duration.ofMillis(100))
                    .until(cluster::healthy);
            return true;
        } catch (ConditionTimeoutException e) {
            log.line("the pair is not healthy:\n%s", cluster.describe());
            return false;
        }
    }

    private static java.util.concurrent.ThreadFactory named(String prefix) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, prefix + n.getAndIncrement());
            t.setDaemon(true);
            return t;
        };
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
