package dev.pbkv.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.pbkv.testkit.FreePorts;
import dev.pbkv.testkit.PidFile;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * bin/start_server and bin/stop_server, bin/start_coordinator and bin/stop_coordinator against a
 * settings file with free ports and temporary data directories: starting twice and stopping twice
 * are both fine, a node or coordinator that cannot start is reported with its log, start_server
 * starts the loopback coordinator the settings name, and only the embedded one is ever started.
 * Every process started here is stopped by its PID at the end; none uses a fixed port.
 */
class ScriptsIT {
    static final Path ROOT = Path.of("..").toAbsolutePath().normalize();

    @TempDir
    Path dir;

    Path settings;

    record Run(int exit, String output) {}

    Run script(String name, String... args) throws IOException, InterruptedException {
        Process p = launch(name, args);
        byte[] out = p.getInputStream().readAllBytes();
        assertThat(p.waitFor(180, TimeUnit.SECONDS)).isTrue();
        return new Run(p.exitValue(), new String(out, StandardCharsets.UTF_8));
    }

    /** Runs bin/NAME --config SETTINGS ARGS... in dir, its output merged; the caller waits. */
    Process launch(String name, String... args) throws IOException {
        List<String> cmd =
                new ArrayList<>(List.of(ROOT.resolve("bin").resolve(name).toString(), "--config", settings.toString()));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd)
                .directory(dir.toFile())
                .redirectErrorStream(true)
                .start();
        p.getOutputStream().close();
        return p;
    }

    static void signal(String signal, long pid) throws IOException, InterruptedException {
        assertThat(new ProcessBuilder("kill", "-" + signal, Long.toString(pid))
                        .start()
                        .waitFor())
                .isZero();
    }

    void writeSettings(int primaryGrpcPort) throws IOException {
        writeSettings(primaryGrpcPort, "off");
    }

    /** Nodes on free ports; coordinator.connect as given, its data in dir/zk. */
    void writeSettings(int primaryGrpcPort, String connect) throws IOException {
        settings = dir.resolve("settings.conf");
        Files.writeString(settings, """
                {"nodes": {
                   "primary": {"grpc-port": %d, "resp-port": 0, "http-port": 0, "data-dir": "%s"},
                   "backup":  {"grpc-port": 0, "resp-port": 0, "http-port": 0, "data-dir": "%s"}},
                 "store": {"memory": "16m"},
                 "coordinator": {"connect": "%s", "data-dir": "%s"}}
                """.formatted(
                        primaryGrpcPort, dir.resolve("p"), dir.resolve("b"), connect, dir.resolve("zk")));
    }

    @AfterEach
    void killLeftovers() {
        for (String process : List.of("p", "b", "b2", "zk")) {
            PidFile.kill(dir.resolve(process));
        }
    }

    static boolean serving(int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 1000);
            s.setSoTimeout(2000);
            s.getOutputStream().write("srvr".getBytes(StandardCharsets.US_ASCII));
            return new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8)
                    .startsWith("Zookeeper version:");
        } catch (IOException e) {
            return false;
        }
    }

    static boolean deadOrZombie(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            return stat.substring(stat.lastIndexOf(')') + 2).startsWith("Z");
        } catch (IOException e) {
            return true;
        }
    }

    static void awaitGone(long pid) {
        // Gone, or a zombie for the moment it takes init to reap it.
        await().atMost(Duration.ofSeconds(10))
                .until(() -> ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false), alive -> !alive);
    }

    @Test
    void startTwiceThenStopTwice() throws Exception {
        writeSettings(0);
        Run first = script("start_server", "-p");
        assertThat(first.exit()).as(first.output()).isZero();
        // start_server names the role and state the node ended in (a primary alone: BOOTSTRAP)
        assertThat(first.output()).contains("pbkv primary running (now PRIMARY, BOOTSTRAP): pid");
        long pid = Long.parseLong(Files.readString(dir.resolve("p/pbkv.pid")).trim());
        assertThat(ProcessHandle.of(pid)).get().matches(ProcessHandle::isAlive);
        assertThat(dir.resolve("p/node.json")).exists();

        Run second = script("start_server", "-p");
        assertThat(second.exit()).as(second.output()).isZero();
        assertThat(second.output()).contains("already running (pid " + pid + ",");

        Run stop = script("stop_server", "-p");
        assertThat(stop.exit()).as(stop.output()).isZero();
        assertThat(stop.output()).contains("stopped (pid " + pid + ", graceful shutdown)");
        awaitGone(pid);
        assertThat(dir.resolve("p/pbkv.pid")).doesNotExist();
        assertThat(dir.resolve("p/node.json")).doesNotExist();

        Run again = script("stop_server", "-p");
        assertThat(again.exit()).as(again.output()).isZero();
        assertThat(again.output()).contains("is not running");
    }

    @Test
    void aNodeThatCannotStartIsReportedWithItsLog() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            writeSettings(taken.getLocalPort());
            Run r = script("start_server", "-p");
            assertThat(r.exit()).isEqualTo(1);
            assertThat(r.output()).contains("did not start").contains("could not start");
            assertThat(dir.resolve("p/pbkv.pid")).doesNotExist();
        }
        Files.writeString(settings, "{\"limits\": {\"max-key-bytes\": 0}}");
        Run bad = script("start_server", "-p");
        assertThat(bad.exit()).isEqualTo(2);
        assertThat(bad.output()).contains("limits.max-key-bytes must be >= 1");
    }

    @Test
    void startCoordinatorTwiceThenStopTwice() throws Exception {
        int port = FreePorts.take();
        writeSettings(0, "127.0.0.1:" + port);
        Run first = script("start_coordinator");
        assertThat(first.exit()).as(first.output()).isZero();
        assertThat(first.output()).contains("pbkv coordinator running: pid").contains("127.0.0.1:" + port);
        long pid = PidFile.read(dir.resolve("zk")).orElseThrow();
        assertThat(ProcessHandle.of(pid)).get().matches(ProcessHandle::isAlive);
        assertThat(serving(port)).isTrue();
        assertThat(dir.resolve("zk/version-2")).isDirectory();

        Run second = script("start_coordinator");
        assertThat(second.exit()).as(second.output()).isZero();
        assertThat(second.output()).contains("already running (pid " + pid + ",");

        // By hand on the same data directory, the coordinator itself refuses too.
        Process byHand = new ProcessBuilder(
                        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                        "-XX:-UsePerfData",
                        "-jar",
                        ROOT.resolve("server/target/pbkv-server.jar").toString(),
                        "coordinator",
                        "--port",
                        Integer.toString(FreePorts.take()),
                        "--data-dir",
                        dir.resolve("zk").toString())
                .redirectErrorStream(true)
                .start();
        String byHandOutput = new String(byHand.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(byHand.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(byHand.exitValue()).as(byHandOutput).isEqualTo(1);
        assertThat(byHandOutput).contains("a coordinator is already running in " + dir.resolve("zk") + " (pid " + pid);

        Run stop = script("stop_coordinator");
        assertThat(stop.exit()).as(stop.output()).isZero();
        assertThat(stop.output()).contains("pbkv coordinator stopped (pid " + pid + ", SIGTERM)");
        awaitGone(pid);
        assertThat(PidFile.in(dir.resolve("zk"))).doesNotExist();
        assertThat(serving(port)).isFalse();
        // A clean stop: ZooKeeper closed, not killed.
        assertThat(Files.readString(dir.resolve("zk/coordinator.log"))).contains("coordinator stopped");

        Run again = script("stop_coordinator");
        assertThat(again.exit()).as(again.output()).isZero();
        assertThat(again.output()).contains("pbkv coordinator is not running");
    }

    @Test
    void onlyTheEmbeddedCoordinatorIsStarted() throws Exception {
        writeSettings(0, "off");
        Run off = script("start_coordinator");
        assertThat(off.exit()).as(off.output()).isZero();
        assertThat(off.output()).contains("coordinator.connect is off: no coordinator to start");

        int[] ports = FreePorts.take(3);
        String ensemble = "127.0.0.1:%d,127.0.0.1:%d,127.0.0.1:%d".formatted(ports[0], ports[1], ports[2]);
        writeSettings(0, ensemble);
        Run refused = script("start_coordinator");
        assertThat(refused.exit()).as(refused.output()).isEqualTo(2);
        assertThat(refused.output()).contains("production names an ensemble; start it yourself");
        assertThat(PidFile.in(dir.resolve("zk"))).doesNotExist();
        for (int port : ports) {
            assertThat(serving(port)).isFalse();
        }
    }

    @Test
    void aCoordinatorThatCannotStartIsReportedWithItsLog() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            writeSettings(0, "127.0.0.1:" + taken.getLocalPort());
            Run r = script("start_coordinator");
            assertThat(r.exit()).as(r.output()).isEqualTo(1);
            assertThat(r.output()).contains("did not start").contains("Address already in use");
            assertThat(PidFile.in(dir.resolve("zk"))).doesNotExist();
        }
    }

    @Test
    void startServerStartsTheLoopbackCoordinatorAndStopServerLeavesIt() throws Exception {
        int port = FreePorts.take();
        writeSettings(0, "127.0.0.1:" + port);
        Run start = script("start_server", "-p");
        assertThat(start.exit()).as(start.output()).isZero();
        assertThat(start.output()).contains("pbkv coordinator running: pid").contains("pbkv primary running");
        long zk = PidFile.read(dir.resolve("zk")).orElseThrow();
        assertThat(serving(port)).isTrue();

        // The backup finds it answering and starts nothing more.
        Run backup = script("start_server", "-b");
        assertThat(backup.exit()).as(backup.output()).isZero();
        assertThat(backup.output()).doesNotContain("coordinator");
        assertThat(PidFile.read(dir.resolve("zk"))).contains(zk);

        assertThat(script("stop_server", "-b").exit()).isZero();
        assertThat(script("stop_server", "-p").exit()).isZero();
        assertThat(serving(port)).as("the coordinator outlives the nodes").isTrue();
        Run stop = script("stop_coordinator");
        assertThat(stop.exit()).as(stop.output()).isZero();
        awaitGone(zk);
    }

    @Test
    void emptyArgumentsAreIgnoredAndBadFlagsAnswerWithTheScriptsOwnHelp() throws Exception {
        writeSettings(0);
        // Harnesses written for the course servers append an empty argument.
        Run start = script("start_server", "-p", "");
        assertThat(start.exit()).as(start.output()).isZero();
        assertThat(start.output()).contains("pbkv primary running");
        long pid = PidFile.read(dir.resolve("p")).orElseThrow();
        Run stop = script("stop_server", "-p", "");
        assertThat(stop.exit()).as(stop.output()).isZero();
        assertThat(stop.output()).contains("stopped (pid " + pid + ", graceful shutdown)");
        awaitGone(pid);

        Run bad = script("start_server", "-p", "--bogus");
        assertThat(bad.exit()).as(bad.output()).isEqualTo(2);
        assertThat(bad.output())
                .contains("Unknown option: '--bogus'")
                .contains("see start_server --help")
                .doesNotContain("data-dir");
        assertThat(PidFile.in(dir.resolve("p"))).doesNotExist();
    }

    @Test
    void aStartThatFailsLateLeavesTheFileOfTheNodeStartedSince() throws Exception {
        writeSettings(0);
        // A peer that accepts connections and never answers: the first node, with a long peer
        // timeout, stays in COLD_START, so its start_server is still waiting when it is frozen.
        try (ServerSocket silentPeer = new ServerSocket(0, 8, InetAddress.getLoopbackAddress())) {
            String peer = "--set=nodes.backup.grpc-port=" + silentPeer.getLocalPort();
            Process first = launch("start_server", "-p", peer, "--set=replication.peer-timeout-ms=120000");
            await().atMost(Duration.ofSeconds(60))
                    .until(() -> PidFile.read(dir.resolve("p")).isPresent());
            long firstNode = PidFile.read(dir.resolve("p")).orElseThrow();
            signal("STOP", first.pid());
            try {
                signal("KILL", firstNode);
                // Its parent, the frozen script, cannot reap it yet: dead means gone or a zombie.
                await().atMost(Duration.ofSeconds(10)).until(() -> deadOrZombie(firstNode));
                Run second = script("start_server", "-p", peer);
                assertThat(second.exit()).as(second.output()).isZero();
                long secondNode = PidFile.read(dir.resolve("p")).orElseThrow();
                assertThat(secondNode).isNotEqualTo(firstNode);
            } finally {
                signal("CONT", first.pid());
            }
            String firstOutput = new String(first.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(first.waitFor(60, TimeUnit.SECONDS)).isTrue();
            assertThat(first.exitValue()).as(firstOutput).isEqualTo(1);
            assertThat(firstOutput).contains("pid " + firstNode + " exited");
            long secondNode = PidFile.read(dir.resolve("p")).orElseThrow();
            Run stop = script("stop_server", "-p");
            assertThat(stop.output()).contains("stopped (pid " + secondNode + ", graceful shutdown)");
            awaitGone(secondNode);
        }
    }

    @Test
    void theScriptsReadAChangedSettingsFileAgain() throws Exception {
        writeSettings(0);
        Run first = script("start_server", "-b");
        assertThat(first.exit()).as(first.output()).isZero();
        assertThat(first.output()).contains("data dir " + dir.resolve("b"));
        assertThat(script("stop_server", "-b").exit()).isZero();

        // The scripts keep what the jar answered for these flags and this file; a new file is asked again.
        Files.writeString(
                settings,
                Files.readString(settings)
                        .replace(dir.resolve("b").toString(), dir.resolve("b2").toString()));
        Run second = script("start_server", "-b");
        assertThat(second.exit()).as(second.output()).isZero();
        assertThat(second.output()).contains("data dir " + dir.resolve("b2"));
        long pid = PidFile.read(dir.resolve("b2")).orElseThrow();
        Run stop = script("stop_server", "-b");
        assertThat(stop.output()).contains("stopped (pid " + pid + ", graceful shutdown)");
        awaitGone(pid);
    }

    /**
     * The helper JVM that answers a script's launch plan answers for the other role of the same
     * flags too, so a harness starting -p and then -b of a new settings file runs one helper JVM,
     * not two: after only -p was asked, the plan naming the backup's data directory is kept.
     */
    @Test
    void oneHelperJvmAnswersForBothRoles() throws Exception {
        writeSettings(0);
        Run stop = script("stop_server", "-p");
        assertThat(stop.exit()).as(stop.output()).isZero();
        Path plans = ROOT.resolve("server/target/launch-plans");
        String backupDir = dir.resolve("b").toString();
        try (var files = Files.list(plans)) {
            assertThat(files.filter(f -> {
                        try {
                            return Files.readString(f).startsWith(backupDir + "\n");
                        } catch (IOException e) {
                            return false; // another test's plan, being renamed into place
                        }
                    }))
                    .as("a kept plan for -b with these settings")
                    .hasSize(1);
        }
        Run stopBackup = script("stop_server", "-b");
        assertThat(stopBackup.exit()).as(stopBackup.output()).isZero();
        assertThat(stopBackup.output()).contains("is not running");
    }

    /** bin/NAME ARGS... with PBKV_CONFIG naming the settings and no --config flag. */
    Run scriptWithPbkvConfig(String name, String... args) throws IOException, InterruptedException {
        List<String> cmd =
                new ArrayList<>(List.of(ROOT.resolve("bin").resolve(name).toString()));
        cmd.addAll(List.of(args));
        ProcessBuilder b = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true);
        b.environment().put("PBKV_CONFIG", settings.toString());
        Process p = b.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(180, TimeUnit.SECONDS)).isTrue();
        return new Run(p.exitValue(), out);
    }

    @Test
    void pbkvConfigNamesTheSettingsWhenNoConfigFlagIsGiven() throws Exception {
        writeSettings(0);
        Run start = scriptWithPbkvConfig("start_server", "-p", "");
        assertThat(start.exit()).as(start.output()).isZero();
        assertThat(start.output()).contains("data dir " + dir.resolve("p"));
        long pid = PidFile.read(dir.resolve("p")).orElseThrow();
        Run stop = scriptWithPbkvConfig("stop_server", "-p", "");
        assertThat(stop.output()).contains("stopped (pid " + pid + ", graceful shutdown)");
        awaitGone(pid);
    }

    @Test
    void aStartWhoseCoordinatorCannotStartFailsWithTheCoordinatorsLog() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            writeSettings(0, "127.0.0.1:" + taken.getLocalPort());
            Run r = script("start_server", "-p");
            assertThat(r.exit()).as(r.output()).isEqualTo(1);
            assertThat(r.output())
                    .contains("Address already in use")
                    .contains("the coordinator it needs did not start");
            assertThat(PidFile.in(dir.resolve("p"))).doesNotExist();
        }
    }
}
