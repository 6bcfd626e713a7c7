package dev.pbkv.tester.robustness;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Every robustness scenario, briefly (two faults each, at most 10 s of faults), with the
 * coordinator (the embedded process once it is in the build, until then the in-process one,
 * {@link Coordinators}), and the node faults once more without one ({@code coordinator.connect =
 * off}): real node processes behind real proxies, recorded clients, the per-key check. About 3
 * minutes on a busy 2-core machine.
 */
class RobustnessIT {
    @TempDir
    Path tmp;

    private static RobustnessReport run(Scenario scenario, Path dir, String coordinatorMode) {
        RobustnessOptions options = RobustnessOptions.defaults(scenario, dir.resolve(scenario.label()))
                .withFaults(2)
                .withSeconds(10)
                .withHold(1000, 2500)
                .withTimings(500, 1000, 1500);
        Coordinator c = Coordinators.create(coordinatorMode, dir.resolve("coordinator"), null);
        RobustnessReport report = new RobustnessRun(options, c, System.out).run();
        report.print(System.out);
        return report;
    }

    private static void assertPassed(RobustnessReport report) {
        assertThat(report.faultCount()).as("faults injected").isGreaterThan(0);
        assertThat(report.acknowledgedWrites()).as("acknowledged writes").isGreaterThan(0);
        assertThat(report.lostAcknowledgedWrites())
                .as("acknowledged writes lost")
                .isZero();
        assertThat(report.check().failures())
                .as("keys that are not linearizable")
                .isEmpty();
        assertThat(report.passed())
                .as("the run's verdict; see its report above")
                .isTrue();
    }

    @ParameterizedTest
    @EnumSource(Scenario.class)
    void withTheCoordinatorEveryScenarioKeepsEveryAcknowledgedWriteAndIsLinearizable(Scenario scenario) {
        assertPassed(run(scenario, tmp, "auto"));
    }

    @Test
    void withoutACoordinatorNodeFaultsLoseNothing() {
        RobustnessReport report = run(Scenario.MIXED, tmp, "off");
        assertThat(report.coordinator()).isFalse();
        assertThat(report.failovers())
                .as("no role change by itself without a coordinator")
                .isZero();
        assertPassed(report);
    }
}
