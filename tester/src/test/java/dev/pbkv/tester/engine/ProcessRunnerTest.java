package dev.pbkv.tester.engine;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ProcessRunnerTest {
    @TempDir
    Path dir;

    @Test
    void exitCodeAndOutputAreKept() {
        CommandOutcome o = new ProcessRunner(dir, dir.resolve("logs"))
                .shell("echo out; echo err >&2; exit 4", Duration.ofSeconds(10));
        assertThat(o.exitCode()).isEqualTo(4);
        assertThat(o.output()).contains("out").contains("err");
        assertThat(o.describe()).isEqualTo("exit code 4: out | err");
    }

    @Test
    void aProgramThatOverrunsIsStopped() {
        long t0 = System.nanoTime();
        CommandOutcome o = new ProcessRunner(dir, dir.resolve("logs")).shell("sleep 30", Duration.ofMillis(300));
        assertThat(o.timedOut()).isTrue();
        assertThat(o.succeeded()).isFalse();
        assertThat((System.nanoTime() - t0) / 1_000_000).isLessThan(10_000);
    }

    @Test
    void aBackgroundChildKeepingTheOutputOpenDoesNotHangTheCommand() {
        // A start script leaves its server running with the script's output: the command must still end.
        CommandOutcome o =
                new ProcessRunner(dir, dir.resolve("logs")).shell("(sleep 3 &) ; echo started", Duration.ofSeconds(2));
        assertThat(o.succeeded()).isTrue();
        assertThat(o.output()).contains("started");
    }

    @Test
    void aMissingProgramIsAnOutcomeNotAnException() {
        CommandOutcome o =
                new ProcessRunner(dir, dir.resolve("logs")).run(List.of("/no/such/program"), Duration.ofSeconds(2));
        assertThat(o.exitCode()).isEqualTo(-1);
        assertThat(o.describe()).startsWith("could not run");
    }
}
