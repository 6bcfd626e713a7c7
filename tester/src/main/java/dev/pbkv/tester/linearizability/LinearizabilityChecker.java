package dev.pbkv.tester.linearizability;

import dev.pbkv.tester.history.Op;
import dev.pbkv.tester.history.OpKind;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Checks a history key by key (linearizability is local: a history is linearizable if and only if
 * each key's sub-history is), every key starting absent. For each key that fails it finds the
 * smallest failing window: the shortest prefix (by invocation) that fails, then the latest start
 * from which that prefix's tail still fails from every initial state.
 */
public final class LinearizabilityChecker {
    /** Steps one key's search may take before it is called inconclusive. */
    public static final long DEFAULT_MAX_STEPS = 20_000_000;

    private final long maxSteps;

    public LinearizabilityChecker() {
        this(DEFAULT_MAX_STEPS);
    }

    public LinearizabilityChecker(long maxSteps) {
        this.maxSteps = maxSteps;
    }

    /** The result of a whole history. */
    public record Result(int keys, int ops, List<KeyVerdict> failures) {
        public boolean linearizable() {
            return failures.isEmpty();
        }
    }

    public Result check(List<Op> history) {
        Map<String, List<Op>> byKey = new TreeMap<>();
        for (Op op : history) {
            byKey.computeIfAbsent(op.key(), k -> new ArrayList<>()).add(op);
        }
        List<KeyVerdict> failures = new ArrayList<>();
        for (Map.Entry<String, List<Op>> e : byKey.entrySet()) {
            KeyVerdict v = checkKey(e.getKey(), e.getValue());
            if (v != null) {
                failures.add(v);
            }
        }
        return new Result(byKey.size(), history.size(), failures);
    }

    /** Null when the key's ops are linearizable from absent; else what failed. */
    public KeyVerdict checkKey(String key, List<Op> keyOps) {
        List<Op> ops = new ArrayList<>(KeySearch.relevant(keyOps));
        ops.sort((a, b) -> a.callNanos() != b.callNanos()
                ? Long.compare(a.callNanos(), b.callNanos())
                : Long.compare(a.id(), b.id()));
        KeySearch.Verdict v = KeySearch.check(ops, null, maxSteps);
        if (v == KeySearch.Verdict.LINEARIZABLE) {
            return null;
        }
        if (v == KeySearch.Verdict.INCONCLUSIVE) {
            return new KeyVerdict(key, true, List.of(), false);
        }
        int end = smallestFailingPrefix(ops);
        List<Op> prefix = ops.subList(0, end);
        // The latest start whose tail of the prefix fails from every state it could start in.
        for (int start = end - 1; start > 0; start--) {
            List<Op> tail = prefix.subList(start, end);
            if (failsFromEveryState(tail, ops)) {
                return new KeyVerdict(key, false, List.copyOf(tail), true);
            }
            if (end - start > 200) {
                break; // too long to be read anyway: show the prefix
            }
        }
        return new KeyVerdict(key, false, List.copyOf(prefix), false);
    }

    /** The smallest n such that the first n ops fail (bisection, then a linear check upwards). */
    private int smallestFailingPrefix(List<Op> ops) {
        int lo = 1;
        int hi = ops.size(); // ops[0, hi) fails
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (fails(ops.subList(0, mid), null)) {
                hi = mid;
            } else {
                lo = mid + 1;
            }
        }
        // Prefixes need not fail monotonically (a later write can explain an earlier read): make
        // sure the one found fails, else walk up to the first that does.
        int n = lo;
        while (n < ops.size() && !fails(ops.subList(0, n), null)) {
            n++;
        }
        return n;
    }

    private boolean fails(List<Op> ops, String initial) {
        return KeySearch.check(ops, initial, maxSteps) == KeySearch.Verdict.NOT_LINEARIZABLE;
    }

    private boolean failsFromEveryState(List<Op> window, List<Op> all) {
        Set<String> states = new LinkedHashSet<>();
        states.add(null);
        for (Op op : all) {
            if (op.value() != null && (op.kind() != OpKind.DELETE)) {
                states.add(op.value());
            }
        }
        for (String s : states) {
            if (!fails(window, s)) {
                return false;
            }
        }
        return true;
    }

    /** The failures as text, one block per key, times in ms from the window's first call. */
    public static String describe(KeyVerdict v) {
        StringBuilder sb = new StringBuilder();
        if (v.inconclusive()) {
            sb.append("key ")
                    .append(v.key())
                    .append(": INCONCLUSIVE (the search ran out of steps; too many concurrent unknown writes?)\n");
            return sb.toString();
        }
        sb.append("key ")
                .append(v.key())
                .append(": NOT LINEARIZABLE; smallest failing window (")
                .append(v.window().size())
                .append(" ops")
                .append(v.fromAnyState() ? ", from any initial value" : ", from the key's first op")
                .append("; the last op is where no order explains the history):\n");
        long t0 = v.window().isEmpty() ? 0 : v.window().get(0).callNanos();
        for (Op op : v.window()) {
            sb.append(String.format(
                    "  [%9.3f ms .. %s] %s%n",
                    (op.callNanos() - t0) / 1e6,
                    op.outcome() == dev.pbkv.tester.history.Outcome.UNKNOWN
                            ? "     unknown"
                            : String.format("%9.3f ms", (op.returnNanos() - t0) / 1e6),
                    op.describe()));
        }
        return sb.toString();
    }
}
