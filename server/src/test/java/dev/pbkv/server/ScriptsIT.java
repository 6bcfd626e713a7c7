package dev.pbkv.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.pbkv.testkit.PidFile;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
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
 * bin/start_server and bin/stop_server against a settings file with free ports and temporary
 * data directories: starting twice and stopping twice are both fine, and a node that cannot
 * start is reported with its log. Every node started here is stopped by its PID at the end.
 */
class ScriptsIT {
    static final Path ROOT = Path.of("..").toAbsolutePath().normalize();

    @TempDir
    Path dir;

    Path settings;

    record Run(int exit, String output) {}

    Run script(String name, String... args) throws IOException, InterruptedException {
        List<String> cmd =
                new ArrayList<>(List.of(ROOT.resolve("bin").resolve(name).toString()));
        cmd.addAll(List.of(args));
        cmd.addAll(List.of("--config", settings.toString()));
        Process p = new ProcessBuilder(cmd)
                .directory(dir.toFile())
                .redirectErrorStream(true)
                .start();
        p.getOutputStream().close();
        byte[] out = p.getInputStream().readAllBytes();
        assertThat(p.waitFor(180, TimeUnit.SECONDS)).isTrue();
        return new Run(p.exitValue(), new String(out, StandardCharsets.UTF_8));
    }

    void writeSettings(int primaryGrpcPort) throws IOException {
        settings = dir.resolve("settings.conf");
        Files.writeString(settings, """
                {"nodes": {
                   "primary": {"grpc-port": %d, "resp-port": 0, "http-port": 0, "data-dir": "%s"},
                   "backup":  {"grpc-port": 0, "resp-port": 0, "http-port": 0, "data-dir": "%s"}},
                 "store": {"memory": "16m"}}
                """.formatted(primaryGrpcPort, dir.resolve("p"), dir.resolve("b")));
    }

    @AfterEach
    void killLeftovers() {
        for (String node : List.of("p", "b")) {
            PidFile.kill(dir.resolve(node));
        }
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
        // Gone, or a zombie for the moment it takes init to reap it.
        await().atMost(Duration.ofSeconds(10))
                .until(() -> ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false), alive -> !alive);
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
}
