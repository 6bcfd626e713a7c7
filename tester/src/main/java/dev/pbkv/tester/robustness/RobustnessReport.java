package dev.pbkv.tester.robustness;

import dev.pbkv.tester.history.Op;
import dev.pbkv.tester.history.Outcome;
import dev.pbkv.tester.linearizability.KeyVerdict;
import dev.pbkv.tester.linearizability.LinearizabilityChecker;
import java.io.PrintStream;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * What a robustness run found, and its verdict: PASS when the pair recovered after every fault,
 * the final reads ran, the history is linearizable per key, no acknowledged write is lost, no
 * write answered as failed is present, and the replicas hold the same data at the end.
 */
public record RobustnessReport(
        RobustnessOptions options,
        boolean coordinator,
        double seconds,
        List<Op> history,
        List<Nemesis.Injected> faults,
        int failovers,
        int bothPrimarySamples,
        FinalReads.Result finals,
        LinearizabilityChecker.Result check,
        double checkSeconds,
        String problem,
        List<FailoverTiming> kills) {

    public boolean passed() {
        return problem.isEmpty() && finals.clean() && check.linearizable();
    }

    public int ops() {
        return history.size();
    }

    long count(Outcome o, boolean writesOnly) {
        return history.stream()
                .filter(op -> op.outcome() == o && (!writesOnly || op.isWrite()))
                .count();
    }

    public long acknowledgedWrites() {
        return history.stream().filter(Op::isAcknowledgedWrite).count();
    }

    public long unknownWrites() {
        return count(Outcome.UNKNOWN, true);
    }

    public int lostAcknowledgedWrites() {
        return finals.lost().size();
    }

    public int faultCount() {
        return faults.size();
    }

    /** Medians and maxima of the kill-primary timings, ms; NaN when there was none. */
    public double[] killToFirstWriteMillis() {
        return kills.stream()
                .mapToDouble(FailoverTiming::killToFirstWriteMillis)
                .filter(d -> d >= 0)
                .sorted()
                .toArray();
    }

    /** Like {@link #killToFirstWriteMillis()}, only the kills after which the other node accepted the first write. */
    public double[] killToNewPrimaryWriteMillis() {
        return kills.stream()
                .filter(FailoverTiming::byOtherNode)
                .mapToDouble(FailoverTiming::killToFirstWriteMillis)
                .filter(d -> d >= 0)
                .sorted()
                .toArray();
    }

    /** Kills after which no write was accepted, or the first was accepted by the restarted node itself. */
    public long killsWithoutFailover() {
        return kills.stream()
                .filter(t -> t.firstAcceptedNanos() == 0 || !t.byOtherNode())
                .count();
    }

    public double[] clientPauseMillis() {
        return kills.stream()
                .mapToDouble(FailoverTiming::clientPauseMillis)
                .filter(d -> d >= 0)
                .sorted()
                .toArray();
    }

    static double median(double[] sorted) {
        if (sorted.length == 0) {
            return Double.NaN;
        }
        int m = sorted.length / 2;
        return sorted.length % 2 == 1 ? sorted[m] : (sorted[m - 1] + sorted[m]) / 2;
    }

    static double max(double[] sorted) {
        return sorted.length == 0 ? Double.NaN : sorted[sorted.length - 1];
    }

    public void print(PrintStream out) {
        String label = options.scenario().label();
        Map<String, Long> byFault = new TreeMap<>(
                faults.stream().collect(Collectors.groupingBy(f -> f.fault().label(), Collectors.counting())));
        out.printf(
                "robustness %s: %.0f s, seed %d, %d clients, %d keys, coordinator %s, data in %s%n",
                label,
                seconds,
                options.seed(),
                options.clients(),
                options.keys(),
                coordinator ? "on" : "off",
                options.dir());
        out.printf(
                "  ops %d: ok %d, failed %d, unknown %d (writes %d); acknowledged writes %d%n",
                ops(),
                count(Outcome.OK, false),
                count(Outcome.FAIL, false),
                count(Outcome.UNKNOWN, false),
                unknownWrites(),
                acknowledgedWrites());
        out.printf(
                "  faults %d %s, failovers %d, samples with two nodes saying PRIMARY %d%n",
                faultCount(), byFault, failovers, bothPrimarySamples);
        double[] k = killToFirstWriteMillis();
        if (k.length > 0) {
            double[] p = clientPauseMillis();
            out.printf(
                    "  kill of the primary to the first accepted write: median %.0f ms, max %.0f ms (%d kills);"
                            + " client-visible pause median %.0f ms, max %.0f ms%n",
                    median(k), max(k), k.length, median(p), max(p));
        }
        out.printf(
                "  final reads: %d keys, %d insert-once keys (%d acknowledged): acknowledged writes lost %d,"
                        + " refused writes present %d, keys differing between the replicas %d%n",
                finals.keysRead(),
                finals.onceKeys(),
                finals.acknowledgedOnce(),
                finals.lost().size(),
                finals.failedButPresent().size(),
                finals.replicaDifferences());
        finals.lost().stream().limit(10).forEach(l -> out.println("    lost: " + l));
        finals.failedButPresent().stream().limit(10).forEach(l -> out.println("    refused yet present: " + l));
        out.printf(
                "  linearizable per key: %s (%d keys, %d ops, checked in %.2f s)%n",
                check.linearizable() ? "yes" : "NO, " + check.failures().size() + " key(s)",
                check.keys(),
                check.ops(),
                checkSeconds);
        for (KeyVerdict v :
                check.failures().subList(0, Math.min(5, check.failures().size()))) {
            out.print(LinearizabilityChecker.describe(v).indent(2));
        }
        if (!finals.problem().isEmpty()) {
            out.println("  final reads: " + finals.problem());
        }
        if (!problem.isEmpty()) {
            out.print(("problem: " + problem).indent(2));
        }
        out.println((passed() ? "PASS" : "FAIL") + " robustness " + label);
        out.flush();
    }

    @Override
    public String toString() {
        return "RobustnessReport[" + options.scenario().label() + " " + (passed() ? "PASS" : "FAIL") + ", ops "
                + ops() + ", faults " + faultCount() + ", lost " + lostAcknowledgedWrites() + ", "
                + Arrays.toString(killToFirstWriteMillis()) + "]";
    }
}
