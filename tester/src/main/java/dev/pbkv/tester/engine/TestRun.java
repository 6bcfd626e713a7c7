package dev.pbkv.tester.engine;

import dev.pbkv.tester.config.ServerConfig;
import dev.pbkv.tester.config.TestConfig;
import dev.pbkv.tester.driver.Driver;
import dev.pbkv.tester.driver.Drivers;
import dev.pbkv.tester.driver.NodeConnector;
import dev.pbkv.tester.driver.OpResult;
import dev.pbkv.tester.script.ParseException;
import dev.pbkv.tester.script.Parser;
import dev.pbkv.tester.script.Script;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A run of several {@code .test} files: one line per case, the failed steps under a failed case
 * (with {@code with_err_msg}), a progress line on a terminal, and {@code N passed, N failed} last.
 * At the end it stops every node it started.
 */
public final class TestRun {
    private final TestConfig config;
    private final NodeControl control;
    private final ProcessRunner programs;
    private final PrintStream out;
    private final boolean progress;
    /** Width of the name column: the longest case name of the run. */
    private int nameWidth = 20;

    public TestRun(TestConfig config, NodeControl control, ProcessRunner programs, PrintStream out, boolean progress) {
        this.config = config;
        this.control = control;
        this.programs = programs;
        this.out = out;
        this.progress = progress;
    }

    /**
     * The tally of a run.
     *
     * @param skipped cases that did not run at all (their header requires what the contract lacks)
     * @param skippedStatements statements not run in the cases that ran ({@code requires} blocks)
     */
    public record Summary(int passed, int failed, int skipped, int skippedStatements, List<CaseResult> cases) {}

    /** Parses and runs every file, in the order given. */
    public Summary run(List<Path> files) {
        Map<String, Driver> drivers = new LinkedHashMap<>();
        Set<String> started = ConcurrentHashMap.newKeySet();
        AtomicLong steps = new AtomicLong();
        List<CaseResult> results = new ArrayList<>();
        try {
            NodeConnector connector = new NodeConnector(config.security());
            for (ServerConfig s : config.servers().values()) {
                drivers.put(
                        s.name(),
                        Drivers.open(
                                config.driver(),
                                s,
                                config.timeouts().request(),
                                config.raise("request_ms"),
                                connector));
            }
            CaseRunner runner = new CaseRunner(config, drivers, control, programs, started, steps);
            for (Path file : files) {
                nameWidth = Math.max(nameWidth, file.getFileName().toString().length());
            }
            for (Path file : files) {
                CaseResult r = runOne(file, runner, steps);
                results.add(r);
                report(r);
            }
        } catch (IllegalArgumentException e) {
            out.println("cannot open a driver: " + e.getMessage());
            results.add(new CaseResult("(setup)", Duration.ZERO, List.of(), 1, e.getMessage()));
        } finally {
            stopStarted(started, drivers);
            drivers.values().forEach(Driver::close);
        }
        int passed = (int) results.stream().filter(CaseResult::passed).count();
        int skipped = (int) results.stream().filter(CaseResult::skipped).count();
        int failed = results.size() - passed - skipped;
        int skippedStatements =
                results.stream().mapToInt(CaseResult::skippedStatements).sum();
        out.println(passed + " passed, " + failed + " failed, " + skipped + " skipped"
                + (skippedStatements == 0
                        ? ""
                        : " (and " + skippedStatements + " statement" + (skippedStatements == 1 ? "" : "s")
                                + " skipped in the cases that ran: contract "
                                + config.contract().word() + ")"));
        out.flush();
        return new Summary(passed, failed, skipped, skippedStatements, results);
    }

    private CaseResult runOne(Path file, CaseRunner runner, AtomicLong steps) {
        String name = file.getFileName().toString();
        Script script;
        try {
            script = Parser.parse(name, Files.readString(file, StandardCharsets.UTF_8));
        } catch (ParseException e) {
            return new CaseResult(name, Duration.ZERO, List.of(), 0, e.getMessage());
        } catch (IOException e) {
            return new CaseResult(name, Duration.ZERO, List.of(), 0, file + ": cannot read: " + e.getMessage());
        }
        if (!progress) {
            return runner.run(script);
        }
        ScheduledExecutorService ticker =
                Executors.newSingleThreadScheduledExecutor(CaseRunner.named("pbkv-test-progress"));
        long t0 = System.nanoTime();
        long s0 = steps.get();
        ticker.scheduleAtFixedRate(
                () -> {
                    double secs = (System.nanoTime() - t0) / 1e9;
                    if (secs >= 1) {
                        out.print(String.format("\r  %s  running %.0fs, %d steps ", name, secs, steps.get() - s0));
                        out.flush();
                    }
                },
                1,
                1,
                TimeUnit.SECONDS);
        try {
            return runner.run(script);
        } finally {
            ticker.shutdownNow();
            try {
                ticker.awaitTermination(1, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            out.print("\r" + " ".repeat(60) + "\r");
        }
    }

    private void report(CaseResult r) {
        String note = r.skipped()
                ? "  " + r.skipReason()
                : r.skippedStatements() > 0 ? "  (" + r.skippedStatements() + " skipped)" : "";
        out.println(String.format(
                        "%-" + nameWidth + "s  %s  %7.2fs",
                        r.name(),
                        r.skipped() ? "skip" : r.passed() ? "pass" : "fail",
                        r.time().toMillis() / 1000.0)
                + note);
        if (r.syntaxError() != null) {
            out.println("  " + r.syntaxError());
        } else if (config.withErrMsg()) {
            for (StepFailure f : r.failures()) {
                out.println("  " + f.describe());
            }
            int more = r.failureCount() - r.failures().size();
            if (more > 0) {
                out.println("  ... and " + more + " more failed steps"
                        + (r.failureCount() >= CaseRunner.MAX_FAILURES ? " (case stopped)" : ""));
            }
        }
        out.flush();
    }

    /** Stops the nodes this run started: stop command, then kill if it still answers. */
    private void stopStarted(Set<String> started, Map<String, Driver> drivers) {
        // Backup first, as in reset: the primary then stops without a switchover.
        List<ServerConfig> stopOrder = new ArrayList<>(config.servers().values());
        Collections.reverse(stopOrder);
        for (ServerConfig s : stopOrder) {
            if (!started.contains(s.name())) {
                continue;
            }
            control.run(s, NodeControl.Command.RESUME); // in case a failed case left it paused
            control.run(s, NodeControl.Command.STOP);
            Driver d = drivers.get(s.name());
            if (d != null && !goesDown(d)) {
                control.run(s, NodeControl.Command.KILL);
            }
        }
    }

    private boolean goesDown(Driver d) {
        long deadline = System.nanoTime() + config.timeouts().stop().toNanos();
        while (System.nanoTime() - deadline < 0) {
            if (d.status() instanceof OpResult.Failed f && f.unreachable()) {
                return true;
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
        return false;
    }
}
