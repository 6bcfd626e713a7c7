package dev.pbkv.tester.engine;

import java.time.Duration;
import java.util.List;

/**
 * How one {@code .test} file went.
 *
 * @param failures the failed steps, at most a bounded number of them
 * @param failureCount every failed step, including those not kept
 * @param syntaxError the parse error when the file did not parse, else null
 * @param skipped whether the whole case did not run: its header requires what the contract lacks
 * @param skippedStatements statements of {@code requires} blocks the contract lacks (not run)
 * @param skipReason why the case, or some of its statements, did not run ("needs pbkv ..."), or null
 */
public record CaseResult(
        String name,
        Duration time,
        List<StepFailure> failures,
        int failureCount,
        String syntaxError,
        boolean skipped,
        int skippedStatements,
        String skipReason) {

    public CaseResult {
        failures = List.copyOf(failures);
    }

    /** A case that ran every statement (or did not parse). */
    public CaseResult(String name, Duration time, List<StepFailure> failures, int failureCount, String syntaxError) {
        this(name, time, failures, failureCount, syntaxError, false, 0, null);
    }

    /** A case that did not run: its header requires what the contract lacks. */
    public static CaseResult skipped(String name, String reason) {
        return new CaseResult(name, Duration.ZERO, List.of(), 0, null, true, 0, reason);
    }

    public boolean passed() {
        return failureCount == 0 && syntaxError == null && !skipped;
    }

    public boolean failed() {
        return !passed() && !skipped;
    }
}
