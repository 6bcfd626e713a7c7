package dev.pbkv.tester.engine;

import java.time.Duration;
import java.util.List;

/**
 * How one {@code .test} file went.
 *
 * @param failures the failed steps, at most a bounded number of them
 * @param failureCount every failed step, including those not kept
 * @param syntaxError the parse error when the file did not parse, else null
 */
public record CaseResult(String name, Duration time, List<StepFailure> failures, int failureCount, String syntaxError) {

    public CaseResult {
        failures = List.copyOf(failures);
    }

    public boolean passed() {
        return failureCount == 0 && syntaxError == null;
    }
}
