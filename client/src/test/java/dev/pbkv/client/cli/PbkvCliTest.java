package dev.pbkv.client.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import dev.pbkv.client.FakeNode;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Runs the CLI in-process through picocli against fake nodes on real sockets. */
class PbkvCliTest {

    private FakeNode primary;
    private FakeNode backup;

    /** One run: exit code, stdout and stderr. */
    record Run(int code, String out, String err) {}

    @BeforeEach
    void start() throws IOException {
        primary = new FakeNode("primary", true);
        backup = new FakeNode("backup", false).backupOf(primary.address());
    }

    @AfterEach
    void stop() {
        primary.close();
        backup.close();
    }

    private Run runWith(Map<String, String> env, byte[] stdin, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PbkvCli cli = new PbkvCli(
                new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8),
                new ByteArrayInputStream(stdin),
                env);
        int code = PbkvCli.commandLine(cli).execute(args);
        return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    /** A run against the pair (primary first), with a short timeout. */
    private Run pbkv(String... args) {
        List<String> all = new ArrayList<>(
                List.of("--server", backup.address(), "--server", primary.address(), "--timeout", "10s"));
        all.addAll(List.of(args));
        return runWith(Map.of(), new byte[0], all.toArray(new String[0]));
    }

    private static int closedPort() {
        return dev.pbkv.testkit.FreePorts.take();
    }

    @Test
    void putThenGetPrintsTheValueAndANewline() {
        Run put = pbkv("put", "a", "hello world");
        assertThat(put).isEqualTo(new Run(0, "OK\n", ""));
        assertThat(pbkv("get", "a")).isEqualTo(new Run(0, "hello world\n", ""));
    }

    @Test
    void watchNeedsEitherAKeyOrAPrefix() {
        Run neither = pbkv("watch");
        assertThat(neither.code()).isEqualTo(PbkvCli.USAGE);
        assertThat(neither.err()).startsWith("pbkv: give either KEY or --prefix P");
        Run both = pbkv("watch", "k", "--prefix", "p");
        assertThat(both.code()).isEqualTo(PbkvCli.USAGE);
        assertThat(pbkv("watch", "k", "--from", "-1").code()).isEqualTo(PbkvCli.USAGE);
    }

    @Test
    void getOfAnAbsentKeyExitsOneWithOneLineOnStderr() {
        assertThat(pbkv("get", "nope")).isEqualTo(new Run(1, "", "pbkv: key 'nope' not found\n"));
    }

    @Test
    void insertUpdateDeleteExitOneForTheStoresNo() {
        assertThat(pbkv("insert", "k", "1").code()).isZero();
        assertThat(pbkv("insert", "k", "2")).isEqualTo(new Run(1, "", "pbkv: key 'k' already exists\n"));
        assertThat(pbkv("update", "k", "3")).isEqualTo(new Run(0, "OK\n", ""));
        assertThat(pbkv("update", "zz", "3")).isEqualTo(new Run(1, "", "pbkv: key 'zz' not found\n"));
        assertThat(pbkv("delete", "zz").code()).isEqualTo(1);
        assertThat(pbkv("delete", "k")).isEqualTo(new Run(0, "OK\n", ""));
        assertThat(primary.data).isEmpty();
    }

    @Test
    void putWithoutAValueReadsStandardInput() {
        Run run = runWith(
                Map.of(), "from stdin".getBytes(StandardCharsets.UTF_8), "--server", primary.address(), "put", "s");
        assertThat(run.code()).isZero();
        assertThat(primary.data.get(ByteString.copyFromUtf8("s")).toStringUtf8())
                .isEqualTo("from stdin");
    }

    @Test
    void existsPrintsTrueOrFalseAndExitsZeroOrOne() {
        primary.put("k", "v");
        assertThat(pbkv("exists", "k")).isEqualTo(new Run(0, "true\n", ""));
        assertThat(pbkv("exists", "x")).isEqualTo(new Run(1, "false\n", ""));
    }

    @Test
    void countScanAndDumpPrintLines() {
        primary.put("b1", "x");
        primary.put("a2", "y");
        primary.put("a1", "z");
        assertThat(pbkv("count")).isEqualTo(new Run(0, "3\n", ""));
        assertThat(pbkv("scan")).isEqualTo(new Run(0, "a1\tz\na2\ty\nb1\tx\n", ""));
        assertThat(pbkv("scan", "--prefix", "a")).isEqualTo(new Run(0, "a1\tz\na2\ty\n", ""));
        assertThat(pbkv("scan", "--limit", "1")).isEqualTo(new Run(0, "a1\tz\n", ""));
        Run dump = pbkv("dump");
        assertThat(dump.code()).isZero();
        assertThat(dump.out().lines()).containsExactlyInAnyOrder("a1\tz", "a2\ty", "b1\tx");
    }

    @Test
    void staleReadsReachTheBackup() {
        backup.put("old", "1");
        Run run = runWith(Map.of(), new byte[0], "--server", backup.address(), "--stale", "get", "old");
        assertThat(run).isEqualTo(new Run(0, "1\n", ""));
    }

    @Test
    void statusPrintsOneFieldPerLineForEachNode() {
        Run run = pbkv("status");
        assertThat(run.code()).isZero();
        assertThat(run.out()).contains("server: " + backup.address() + "\nnode_id: backup\n");
        assertThat(run.out()).contains("server: " + primary.address() + "\nnode_id: primary\n");
        assertThat(run.out()).contains("role: BACKUP\n", "role: PRIMARY\n", "state: SYNC\n");
        assertThat(run.out()).contains("\ncoordinator.connection: ", "\ncoordinator.in_sync: ");
        assertThat(run.out().lines().filter(l -> !l.isEmpty())).allMatch(l -> l.matches("[a-z_.]+: .*"));
    }

    @Test
    void statusWithNoNodeAnsweringExitsThree() throws IOException {
        Run run = runWith(Map.of(), new byte[0], "--server", "127.0.0.1:" + closedPort(), "status");
        assertThat(run.code()).isEqualTo(3);
        assertThat(run.out()).contains("error: ");
        assertThat(run.err()).isEqualTo("pbkv: no node answered\n");
    }

    @Test
    void promoteActsOnTheReachableBackupAndRefusalExitsOne() {
        Run run = pbkv("promote");
        assertThat(run.code()).isZero();
        assertThat(run.out()).isEqualTo("promoted " + backup.address() + " to primary, epoch 2\n");
        Run refused = runWith(Map.of(), new byte[0], "--server", primary.address(), "promote");
        assertThat(refused.code()).isEqualTo(1);
        assertThat(refused.err())
                .startsWith("pbkv: promotion of " + primary.address() + " refused")
                .contains("already primary")
                .endsWith("\n")
                .hasLineCount(1);
    }

    @Test
    void shutdownActsOnThePrimary() {
        Run run = pbkv("shutdown");
        assertThat(run.code()).isZero();
        assertThat(run.out()).isEqualTo("shutting down " + primary.address() + "\n");
        assertThat(primary.shutdowns.get()).isEqualTo(1);
        assertThat(backup.shutdowns.get()).isZero();
    }

    @Test
    void unreachableServerExitsThreeWithOneLine() throws IOException {
        Run run = runWith(
                Map.of(), new byte[0], "--server", "127.0.0.1:" + closedPort(), "--timeout", "200ms", "get", "a");
        assertThat(run.code()).isEqualTo(3);
        assertThat(run.out()).isEmpty();
        assertThat(run.err()).startsWith("pbkv: unavailable: ").hasLineCount(1).doesNotContain("Exception");
    }

    @Test
    void otherServerErrorsExitFour() {
        Run run = pbkv("put", "", "v");
        assertThat(run.code()).isEqualTo(4);
        assertThat(run.err()).contains("INVALID_ARGUMENT").contains("empty key").hasLineCount(1);
    }

    @Test
    void usageErrorsExitTwo() {
        assertThat(pbkv("frobnicate").code()).isEqualTo(2);
        assertThat(pbkv("get").code()).isEqualTo(2);
        assertThat(pbkv("scan", "--limit", "-3").code()).isEqualTo(2);
        Run badServer = runWith(Map.of(), new byte[0], "--server", "nocolon", "get", "a");
        assertThat(badServer.code()).isEqualTo(2);
        assertThat(badServer.err())
                .isEqualTo("pbkv: --server: endpoint 'nocolon' is not host:port (see pbkv --help)\n");
        Run badTimeout = runWith(Map.of(), new byte[0], "--timeout", "soon", "count");
        assertThat(badTimeout.code()).isEqualTo(2);
        assertThat(badTimeout.err()).startsWith("pbkv: ").contains("'soon' is not a duration");
    }

    @Test
    void helpListsTheExitCodes() {
        Run run = runWith(Map.of(), new byte[0], "--help");
        assertThat(run.code()).isZero();
        assertThat(run.out()).contains("Exit codes:", "3   server unavailable", "get", "promote");
    }

    @Test
    void thePairComesFromTheSettingsFileOfPbkvHomeOrOfConfig(@TempDir Path home) throws IOException {
        Path conf = home.resolve("conf/settings.conf");
        Files.createDirectories(conf.getParent());
        Files.writeString(
                conf,
                "{\"nodes\":{"
                        + "\"primary\":{\"host\":\"127.0.0.1\",\"grpc-port\":" + primary.port() + "},"
                        + "\"backup\":{\"host\":\"127.0.0.1\",\"grpc-port\":" + backup.port() + "}}}");
        primary.put("h", "home");
        assertThat(runWith(Map.of("PBKV_HOME", home.toString()), new byte[0], "get", "h"))
                .isEqualTo(new Run(0, "home\n", ""));
        assertThat(runWith(Map.of(), new byte[0], "--config", conf.toString(), "get", "h"))
                .isEqualTo(new Run(0, "home\n", ""));
        Run missing = runWith(Map.of("PBKV_HOME", home.resolve("nowhere").toString()), new byte[0], "get", "h");
        assertThat(missing.code()).isEqualTo(2);
        assertThat(missing.err()).startsWith("pbkv: no settings file at ").hasLineCount(1);
    }

    @Test
    void optionsAfterTheCommandWorkToo() {
        primary.put("k", "v");
        Run run = runWith(Map.of(), new byte[0], "get", "k", "--server", primary.address());
        assertThat(run).isEqualTo(new Run(0, "v\n", ""));
    }

    @Test
    void jobsRunsEveryJobFileAndPrintsOneLinePerFile(@TempDir Path jobs) throws IOException {
        Files.writeString(jobs.resolve("one.job"), "WRITE [(x,1)]\nREAD [x]\n");
        Files.writeString(jobs.resolve("two.job"), "# nothing but a read\nREAD [y]\n");
        Run run = pbkv("jobs", jobs.toString(), "--threads", "2");
        assertThat(run).isEqualTo(new Run(0, "one.job -> one.out (0 errors)\ntwo.job -> two.out (0 errors)\n", ""));
        assertThat(Files.readString(jobs.resolve("one.out"))).isEqualTo("WRITE x -> OK\nREAD x -> 1\n");
        assertThat(Files.readString(jobs.resolve("two.out"))).isEqualTo("READ y -> (missing)\n");
    }

    @Test
    void jobsExitsOneWhenALineDidNotParseOrItsOperationFailed(@TempDir Path jobs) throws IOException {
        // The fake node has no Admin.Backup (UNIMPLEMENTED), as a pair older than backups.
        Files.writeString(jobs.resolve("bad.job"), "READ [x\nBACKUP\nREAD [x]\n");
        Run run = pbkv("jobs", jobs.toString());
        assertThat(run.code()).isEqualTo(PbkvCli.NO);
        assertThat(run.out()).isEqualTo("bad.job -> bad.out (2 errors)\n");
        assertThat(run.err())
                .isEqualTo("pbkv: " + jobs.resolve("bad.job") + ":1: READ: missing ']' at the end of the line\n"
                        + "pbkv: " + jobs.resolve("bad.job") + ":2: BACKUP: backups are not available on this pair\n");
        assertThat(Files.readString(jobs.resolve("bad.out")))
                .isEqualTo("ERROR bad.job:1: READ: missing ']' at the end of the line\n"
                        + "ERROR bad.job:2: BACKUP: backups are not available on this pair\n"
                        + "READ x -> (missing)\n");
    }

    @Test
    void jobsNeedsADirectoryAndPositiveCounts(@TempDir Path jobs) {
        Run notADir = pbkv("jobs", jobs.resolve("nope").toString());
        assertThat(notADir.code()).isEqualTo(PbkvCli.USAGE);
        assertThat(notADir.err())
                .isEqualTo("pbkv: jobs: " + jobs.resolve("nope") + " is not a directory (see pbkv --help)\n");
        assertThat(pbkv("jobs", jobs.toString(), "--threads", "0").code()).isEqualTo(PbkvCli.USAGE);
        assertThat(pbkv("jobs", jobs.toString(), "--max-backups", "0").code()).isEqualTo(PbkvCli.USAGE);
        Run empty = pbkv("jobs", jobs.toString());
        assertThat(empty).isEqualTo(new Run(0, "", "pbkv: jobs: no .job files in " + jobs + "\n"));
    }
}
