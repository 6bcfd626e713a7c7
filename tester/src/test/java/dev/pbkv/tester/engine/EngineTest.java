package dev.pbkv.tester.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pbkv.proto.NodeState;
import dev.pbkv.proto.Role;
import dev.pbkv.tester.config.Contract;
import dev.pbkv.tester.config.DriverKind;
import dev.pbkv.tester.config.ServerConfig;
import dev.pbkv.tester.config.TestConfig;
import dev.pbkv.tester.config.Timeouts;
import dev.pbkv.tester.fake.FakeGrpcNode;
import java.io.ByteArrayOutputStream;
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
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The engine against two in-memory fake nodes whose "commands" flip them up and down. */
class EngineTest {
    @TempDir
    Path dir;

    private FakeGrpcNode primary;
    private FakeGrpcNode backup;
    private FakeControl control;

    @BeforeEach
    void start() throws Exception {
        primary = new FakeGrpcNode(Role.PRIMARY);
        backup = primary.sharing(Role.BACKUP);
        control = new FakeControl(Map.of("primary", primary, "backup", backup));
    }

    @AfterEach
    void stop() throws Exception {
        primary.close();
        backup.close();
    }

    /** Start/stop/kill flip a fake node up/down; clean empties its map; any can be made to fail. */
    static final class FakeControl implements NodeControl {
        private final Map<String, FakeGrpcNode> nodes;
        final List<String> log = Collections.synchronizedList(new ArrayList<>());
        final Set<String> failing = ConcurrentHashMap.newKeySet();

        FakeControl(Map<String, FakeGrpcNode> nodes) {
            this.nodes = nodes;
        }

        @Override
        public CommandOutcome run(ServerConfig server, Command command) {
            log.add(command + " " + server.name());
            if (failing.contains(command + " " + server.name())) {
                return new CommandOutcome(1, "it did not work", false);
            }
            FakeGrpcNode n = nodes.get(server.name());
            switch (command) {
                case START -> n.setUp(true);
                case STOP, KILL, PAUSE -> n.setUp(false);
                case RESUME -> n.setUp(true);
                case CLEAN -> n.data().clear();
            }
            return new CommandOutcome(0, "", false);
        }
    }

    private TestConfig config(String primaryAddress, String backupAddress) {
        Map<String, ServerConfig> servers = new LinkedHashMap<>();
        servers.put("primary", new ServerConfig("primary", primaryAddress, null, "x", "x", "x", "x"));
        servers.put("backup", new ServerConfig("backup", backupAddress, null, "x", "x", "x", "x"));
        Timeouts t = new Timeouts(
                Duration.ofSeconds(2),
                Duration.ofSeconds(3),
                Duration.ofSeconds(3),
                Duration.ofSeconds(2),
                Duration.ofSeconds(10));
        return new TestConfig(DriverKind.GRPC, true, 4, dir, t, servers);
    }

    private record Outcome(TestRun.Summary summary, String output) {}

    private Outcome run(String... nameThenText) throws IOException {
        return runWith(config(primary.address(), backup.address()), nameThenText);
    }

    private Outcome runWith(TestConfig cfg, String... nameThenText) throws IOException {
        List<Path> files = new ArrayList<>();
        for (int n = 0; n < nameThenText.length; n += 2) {
            Path f = dir.resolve(nameThenText[n]);
            Files.writeString(f, nameThenText[n + 1]);
            files.add(f);
        }
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
        ProcessRunner programs = new ProcessRunner(dir, dir.resolve("logs"));
        TestRun.Summary s = new TestRun(cfg, control, programs, out, false).run(files);
        return new Outcome(s, bytes.toString(StandardCharsets.UTF_8));
    }

    private static Set<String> keys(FakeGrpcNode node) {
        Set<String> out = new java.util.TreeSet<>();
        node.data().keySet().forEach(k -> out.add(k.toStringUtf8()));
        return out;
    }

    private static String lastLine(String output) {
        String[] lines = output.strip().split("\n");
        return lines[lines.length - 1];
    }

    @Test
    void aPassingCaseExercisesEveryStatement() throws IOException {
        Outcome o = run("0.test", """
        # every kind of statement, against a fake pair sharing one map
        reset
        wait primary SYNC 2s
        wait backup BACKUP
        insert k1 v1
        insert k1 v2 expect ALREADY_EXISTS
        get k1 expect v1
        update k1 "v 2"
        get k1 expect "v 2"
        update nope x expect missing
        put k2 v
        exists k2 expect true
        delete k2
        exists k2 expect false
        get k2 expect missing
        countkey expect 1
        dump expect { k1 "v 2" }
        concurrent 3 {
          repeat 5 {
            put w${worker}_${i} v${i}
          }
        }
        concurrent { get w0_4 expect v4 }
        countkey expect 16
        get w2_3 on backup expect v3
        consistent 1s
        verify
        verify on backup
        sleep 10ms
        run bash -c "exit 3" expect 3
        stop backup
        wait backup DOWN
        start backup
        restart primary
        pause backup
        get k1 on backup expect fail
        resume backup
        wait primary SERVING
        insert big ${fill:100000}
        get big expect ${fill:100000}
        stop backup
        clean backup
        """);
        assertThat(o.output()).contains("0.test").contains(" pass ");
        assertThat(lastLine(o.output())).isEqualTo("1 passed, 0 failed, 0 skipped");
        assertThat(o.summary().failed()).isZero();
        assertThat(control.log)
                .containsSubsequence(
                        "RESUME backup",
                        "STOP backup",
                        "RESUME primary",
                        "STOP primary",
                        "CLEAN primary",
                        "CLEAN backup");
        assertThat(control.log).contains("START primary", "START backup", "PAUSE backup", "RESUME backup");
        assertThat(control.log.get(control.log.size() - 5)).isEqualTo("CLEAN backup");
    }

    private static final String EXTRAS_CASE = """
            reset
            insert k v
            requires pbkv {
              insert x y on backup expect fail
              repeat 3 { put ran${i} v }
              get k expect not-this-value
            }
            requires strict { put s v }
            get k expect v
            """;

    @Test
    void underTheCourseContractPbkvExtrasAreSkippedAndCounted() throws IOException {
        TestConfig course = config(primary.address(), backup.address()).withContract(Contract.COURSE);
        Outcome o = runWith(course, "extras.test", EXTRAS_CASE, "whole.test", """
                requires pbkv
                reset
                get k expect something-else
                """);
        // The block's three statements did not run: no write reached the node, the wrong one did not fail.
        assertThat(keys(primary)).doesNotContain("x", "ran0", "ran1", "ran2");
        assertThat(keys(primary)).contains("k", "s"); // strict is the course's: that block ran
        assertThat(o.output()).contains("extras.test").contains(" pass ").contains("(3 skipped)");
        assertThat(o.output())
                .contains("whole.test")
                .contains(" skip ")
                .contains("needs pbkv (not in the course contract)");
        assertThat(lastLine(o.output()))
                .isEqualTo("1 passed, 0 failed, 1 skipped (and 3 statements skipped in the cases that ran: contract"
                        + " course)");
        assertThat(o.summary().skipped()).isEqualTo(1);
        assertThat(o.summary().skippedStatements()).isEqualTo(3);
    }

    @Test
    void underPbkvsContractTheExtrasRun() throws IOException {
        Outcome o = run("extras.test", EXTRAS_CASE);
        assertThat(keys(primary)).contains("k", "ran0", "ran1", "ran2").doesNotContain("s");
        assertThat(o.output()).contains("extras.test:6: get k expect not-this-value: expected \"not-this-value\"");
        assertThat(lastLine(o.output()))
                .isEqualTo("0 passed, 1 failed, 0 skipped (and 1 statement skipped in the cases that ran: contract"
                        + " pbkv)");
    }

    @Test
    void aWrongExpectationShowsLineExpectedAndActual() throws IOException {
        Outcome o = run("w.test", """
        reset
        insert k v1
        get k expect v2
        countkey expect 7
        """);
        assertThat(o.output())
                .contains("w.test:3: get k expect v2: expected \"v2\", got \"v1\"")
                .contains("w.test:4: countkey expect 7: expected 7, got 1");
        assertThat(lastLine(o.output())).isEqualTo("0 passed, 1 failed, 0 skipped");
    }

    @Test
    void failuresInsideBlocksNameTheWorkerAndRepetition() throws IOException {
        Outcome o = run("b.test", """
        reset
        concurrent 2 {
          repeat 2 {
            get nothing${i} expect present
          }
        }
        """);
        assertThat(o.output())
                .contains(
                        "b.test:4: get nothing${i} expect present [worker 1, i=0]: expected \"present\", got missing");
        assertThat(o.summary().cases().get(0).failureCount()).isEqualTo(4);
    }

    @Test
    void aSyntaxErrorIsReportedWithItsPositionAndTheOtherCasesStillRun() throws IOException {
        Outcome o = run(
                "1.test", "reset\ninsert a b\n",
                "2.test", "reset\n  get k expect v extra\n",
                "3.test", "reset\nget a expect missing\n");
        assertThat(o.output()).contains("2.test:2:18: expected end of line, found 'extra'");
        assertThat(o.output()).doesNotContain("Exception");
        assertThat(lastLine(o.output())).isEqualTo("2 passed, 1 failed, 0 skipped");
    }

    @Test
    void withoutErrMsgOnlyTheCaseLinesArePrinted() throws IOException {
        Outcome o = runWith(
                config(primary.address(), backup.address()).withErrMsg(false), "q.test", "reset\nget k expect v\n");
        assertThat(o.output()).doesNotContain("expected");
        assertThat(o.output()).contains("q.test").contains(" fail ");
    }

    @Test
    void aDeadServerIsAFailedStepNeverACrash() throws Exception {
        TestConfig cfg = config(primary.address(), backup.address());
        primary.close();
        Outcome o = runWith(cfg, "3.test", """
        get k expect ok
        insert k v expect fail
        get k expect UNAVAILABLE
        concurrent 4 { put k${worker} v expect any }
        countkey expect fail
        consistent 200ms
        """);
        assertThat(o.output())
                .contains("3.test:1: get k expect ok: expected ok, got UNAVAILABLE")
                .contains(
                        "3.test:6: consistent 200ms: expected equal dumps of primary and backup within 200ms, got dump of primary: UNAVAILABLE");
        assertThat(o.summary().cases().get(0).failureCount()).isEqualTo(2);
        assertThat(lastLine(o.output())).isEqualTo("0 passed, 1 failed, 0 skipped");
    }

    @Test
    void aFailedControlStepStopsTheCase() throws IOException {
        control.failing.add("START backup");
        Outcome o = run("c.test", """
        stop backup
        start backup
        get never expect there
        """);
        assertThat(o.output())
                .contains(
                        "c.test:2: start backup: expected the start command of backup to succeed, got exit code 1: it did not work");
        assertThat(o.output()).doesNotContain("c.test:3");
    }

    @Test
    void aWaitThatTimesOutSaysWhatItLastSaw() throws IOException {
        primary.setState(NodeState.BOOTSTRAP);
        Outcome o = run("t.test", "wait primary SYNC 300ms\n");
        assertThat(o.output())
                .contains(
                        "t.test:1: wait primary SYNC 300ms: expected primary SYNC within 300ms, got state BOOTSTRAP, role PRIMARY");
    }

    @Test
    void promoteThenUseTheNewPrimary() throws IOException {
        Outcome o = run("p.test", """
        reset
        insert a 1
        kill primary
        insert b 2 expect UNAVAILABLE
        promote backup
        wait backup PRIMARY 1s
        use backup
        insert b 2
        get a expect 1
        verify
        promote backup expect FAILED_PRECONDITION
        """);
        assertThat(o.output()).contains(" pass ");
        assertThat(lastLine(o.output())).isEqualTo("1 passed, 0 failed, 0 skipped");
    }

    @Test
    void acknowledgedWritesOfAConcurrentBlockAreVerified() throws IOException {
        Outcome o = run("s.test", """
        reset
        concurrent 4 {
          repeat 30 { put k${worker}_${i} v${i} expect any }
        } alongside {
          sleep 20ms
          stop primary
        }
        promote backup
        verify on backup
        """);
        assertThat(lastLine(o.output())).isEqualTo("1 passed, 0 failed, 0 skipped");
    }

    @Test
    void verifyAndConsistentCatchALostWrite() throws Exception {
        try (FakeGrpcNode lonelyBackup = new FakeGrpcNode(Role.BACKUP)) {
            control = new FakeControl(Map.of("primary", primary, "backup", lonelyBackup));
            Outcome o = runWith(config(primary.address(), lonelyBackup.address()), "v.test", """
          reset
          insert k v
          delete k
          insert j w
          verify on backup
          consistent 200ms
          """);
            assertThat(o.output())
                    .contains(
                            "v.test:5: verify on backup: expected key \"j\" = \"w\", acknowledged at v.test:4, got missing")
                    .contains(
                            "v.test:6: consistent 200ms: expected equal dumps of primary and backup within 200ms,"
                                    + " got primary has 1 keys, backup 0; first difference at key \"j\": primary \"w\", backup missing");
            // the acknowledged delete of k agrees with the backup's absence of k
            assertThat(o.output()).doesNotContain("key \"k\"");
        }
    }

    @Test
    void runComparesTheExitCode() throws IOException {
        Outcome o = run("r.test", "run bash -c \"echo hello; exit 1\" expect 0\n");
        assertThat(o.output())
                .contains(
                        "r.test:1: run bash -c \"echo hello; exit 1\" expect 0: expected exit code 0, got exit code 1: hello");
    }

    @Test
    void addressVariablesComeFromTheConfig() throws IOException {
        Outcome o = run(
                "a.test",
                "run bash -c \"test $0 = " + backup.address() + "\" ${backup.grpc} expect 0\n"
                        + "put x ${nobody.grpc}\n");
        assertThat(o.output())
                .contains(
                        "a.test:2: put x ${nobody.grpc}: expected a node named in the test config, got no node named nobody");
        assertThat(o.summary().cases().get(0).failureCount()).isEqualTo(1);
    }

    @Test
    void nodesStartedByTheRunAreStoppedAtItsEnd() throws IOException {
        run("e.test", "reset\n");
        assertThat(primary.isUp()).isFalse();
        assertThat(backup.isUp()).isFalse();
        assertThat(control.log.subList(control.log.size() - 4, control.log.size()))
                .containsExactly("RESUME backup", "STOP backup", "RESUME primary", "STOP primary");
    }

    @Test
    void tooManyFailuresStopTheCase() throws IOException {
        Outcome o = run("m.test", "repeat 1000 { get none expect here }\n");
        CaseResult r = o.summary().cases().get(0);
        assertThat(r.failureCount()).isEqualTo(CaseRunner.MAX_FAILURES);
        assertThat(r.failures()).hasSize(CaseRunner.KEPT_FAILURES);
        assertThat(o.output()).contains("more failed steps (case stopped)");
    }
}
