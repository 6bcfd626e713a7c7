package dev.pbkv.tester;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.pbkv.tester.config.ConfigException;
import dev.pbkv.tester.config.Contract;
import dev.pbkv.tester.config.TestConfig;
import dev.pbkv.tester.engine.CaseFiles;
import dev.pbkv.tester.engine.ProcessRunner;
import dev.pbkv.tester.engine.ShellNodeControl;
import dev.pbkv.tester.engine.TestRun;
import dev.pbkv.testkit.FreePorts;
import dev.pbkv.testkit.PidFile;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Replays test-cases/ with the tester's engine against real pbkv nodes started from the built
 * jars by the repository's bin/start_server and bin/stop_server (the conf-driven start and stop
 * commands are what the tester tests), on free loopback ports from the test kit's
 * {@link FreePorts}, with temporary data directories; kill and pause go through the PID file
 * that bin/start_server writes ({@link PidFile}). Which cases: {@code -Dpbkv.test.cases=all} (default) or a list
 * such as {@code 0,1,8,13} (a name matches N.test and N-anything.test); which protocol:
 * {@code -Dpbkv.test.driver=grpc|http}; which contract: {@code -Dpbkv.test.contract=pbkv} (default),
 * {@code pbkv-strict} or {@code course} (both with replication.require-backup on; course over HTTP
 * only, the rest of the cases skipped). The settings keep conf/settings.conf's loopback
 * coordinator, but on a free port with its data under the temp dir: the first bin/start_server
 * starts it (bin/start_coordinator), as it does for a newcomer. Every node process and the
 * coordinator are stopped by their PIDs at the end; nothing uses conf's fixed ports.
 */
class TestCasesIT {
    private static final List<String> NODES = List.of("primary", "backup");

    @TempDir
    Path tmp;

    private final Path root = Path.of("").toAbsolutePath().getParent();

    @AfterEach
    void stopEveryNodeByPid() {
        // SIGKILL also ends a node that a failed case left paused (SIGSTOP).
        NODES.forEach(n -> PidFile.kill(dataDir(n)));
        PidFile.kill(coordinatorDir());
    }

    private Path coordinatorDir() {
        return tmp.resolve("data").resolve("coordinator");
    }

    private Path dataDir(String node) {
        return tmp.resolve("data").resolve(node);
    }

    @Test
    void everyCasePassesAgainstARealPair() throws IOException, ConfigException {
        replay(System.getProperty("pbkv.test.cases", "all").trim(), System.getProperty("pbkv.test.driver", "grpc"));
    }

    /**
     * The same files over the cross-team HTTP contract, as another team's tester would drive us.
     * A few cases by default (basic operations, the backup, missing keys) to keep the build short;
     * {@code -Dpbkv.test.http.cases=all} replays every case over HTTP.
     */
    @Test
    void casesPassOverTheHttpContract() throws IOException, ConfigException {
        replay(System.getProperty("pbkv.test.http.cases", "0,4,8").trim(), "http");
    }

    private void replay(String selection, String driver) throws IOException, ConfigException {
        assumeTrue(Files.isExecutable(root.resolve("bin/start_server")), "bin/start_server is not there yet");
        assumeTrue(Files.exists(root.resolve("server/target/pbkv-server.jar")), "the server jar is not built");
        assumeTrue(!selection.equals("none") && !selection.isEmpty(), "pbkv.test.cases=none");

        List<Path> cases = selectCases(selection);
        assertThat(cases).as("cases selected by pbkv.test.cases=" + selection).isNotEmpty();

        Contract contract = Contract.byWord(System.getProperty("pbkv.test.contract", "pbkv"));
        assertThat(contract)
                .as("pbkv.test.contract: course, pbkv or pbkv-strict")
                .isNotNull();
        Path settings = writeSettings(contract);
        Path testConf = writeTestConf(settings, contract == Contract.COURSE ? "http" : driver);
        TestConfig config = TestConfig.load(testConf, root).withContract(contract);

        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(new Tee(System.out, captured), true, StandardCharsets.UTF_8);
        ProcessRunner runner = new ProcessRunner(root, tmp.resolve("logs"));
        TestRun.Summary summary = new TestRun(
                        config, new ShellNodeControl(runner, config.timeouts().command()), runner, out, false)
                .run(cases);

        assertThat(summary.failed())
                .as(
                        "failed cases; tester output:%n%s%nnode logs: %s",
                        captured.toString(StandardCharsets.UTF_8), tmp.resolve("data"))
                .isZero();
        assertThat(summary.passed() + summary.skipped()).isEqualTo(cases.size());
    }

    private List<Path> selectCases(String selection) throws IOException {
        List<Path> all = CaseFiles.expand(List.of(root.resolve("test-cases")));
        if (selection.equalsIgnoreCase("all")) {
            return all;
        }
        Set<String> wanted =
                Arrays.stream(selection.split(",")).map(String::trim).collect(Collectors.toSet());
        List<Path> out = new ArrayList<>();
        for (Path p : all) {
            String name = p.getFileName().toString();
            String stem = name.substring(0, name.length() - ".test".length());
            String number = stem.split("-", 2)[0];
            if (wanted.contains(name) || wanted.contains(stem) || wanted.contains(number)) {
                out.add(p);
            }
        }
        return out;
    }

    /**
     * conf/settings.conf with every node port on a free port and data dirs under the temp dir; the
     * coordinator it names (the embedded one) moves to a free loopback port, its data under the temp dir.
     */
    private Path writeSettings(Contract contract) throws IOException {
        ObjectMapper json = new ObjectMapper();
        ObjectNode settings =
                (ObjectNode) json.readTree(root.resolve("conf/settings.conf").toFile());
        JsonNode nodes = settings.get("nodes");
        for (String n : NODES) {
            ObjectNode node = (ObjectNode) nodes.get(n);
            node.put("host", "127.0.0.1");
            List<String> portKeys = new ArrayList<>();
            Iterator<String> keys = node.fieldNames();
            keys.forEachRemaining(k -> {
                if (k.endsWith("-port")) {
                    portKeys.add(k);
                }
            });
            int[] ports = FreePorts.takeOutsideEphemeralRange(portKeys.size()); // nodes restart on them
            for (int i = 0; i < ports.length; i++) {
                node.put(portKeys.get(i), ports[i]);
            }
            node.put("data-dir", dataDir(n).toString());
        }
        ObjectNode coordinator = (ObjectNode) settings.get("coordinator");
        if (coordinator != null && !coordinator.path("connect").asText("off").equalsIgnoreCase("off")) {
            coordinator.put("connect", "127.0.0.1:" + FreePorts.takeOutsideEphemeralRange(1)[0]);
            coordinator.put("data-dir", coordinatorDir().toString());
        }
        if (contract != Contract.PBKV) {
            // The course's model and pbkv's strict mode: a primary refuses writes while alone.
            JsonNode replication = settings.get("replication");
            ObjectNode r = replication instanceof ObjectNode o ? o : settings.putObject("replication");
            r.put("require-backup", true);
        }
        Path file = tmp.resolve("settings.conf");
        json.writerWithDefaultPrettyPrinter().writeValue(file.toFile(), settings);
        return file;
    }

    private Path writeTestConf(Path settingsFile, String driver) throws IOException {
        ObjectMapper json = new ObjectMapper();
        JsonNode settings = json.readTree(settingsFile.toFile());
        ObjectNode conf = json.createObjectNode();
        conf.put("driver", driver.toLowerCase(Locale.ROOT));
        conf.put("with_err_msg", true);
        conf.put("concur_num", 8);
        conf.put("workdir", root.toString());
        ObjectNode t = conf.putObject("timeouts");
        // Two cores shared by a whole build: generous, so only a real fault fails a case.
        t.put("request_ms", 10_000);
        t.put("start_ms", 90_000);
        t.put("stop_ms", 60_000);
        t.put("wait_ms", 45_000);
        t.put("command_ms", 180_000);
        ObjectNode servers = conf.putObject("servers");
        String cfg = " --config " + quote(settingsFile.toString());
        for (String n : NODES) {
            JsonNode node = settings.get("nodes").get(n);
            String flag = n.equals("primary") ? "-p" : "-b";
            String pid = quote(PidFile.in(dataDir(n)).toString());
            ObjectNode s = servers.putObject(n);
            s.put("grpc", "127.0.0.1:" + node.get("grpc-port").asInt());
            s.put("http", "http://127.0.0.1:" + node.get("http-port").asInt());
            s.put("start", "bin/start_server " + flag + cfg);
            s.put("stop", "bin/stop_server " + flag + cfg);
            s.put("kill", "kill -9 $(cat " + pid + ")");
            s.put("clean", "rm -rf " + quote(dataDir(n).toString()));
            s.put("pause", "bin/lib/pause-pid.sh " + pid); // returns once the node has stopped
            s.put("resume", "kill -CONT $(cat " + pid + ")");
        }
        Path file = tmp.resolve("pbkv-test.conf");
        json.writerWithDefaultPrettyPrinter().writeValue(file.toFile(), conf);
        return file;
    }

    private static String quote(String path) {
        return "'" + path.replace("'", "'\\''") + "'";
    }

    /** Writes to the console and keeps a copy for the assertion message. */
    private static final class Tee extends OutputStream {
        private final OutputStream a;
        private final OutputStream b;

        Tee(OutputStream a, OutputStream b) {
            this.a = a;
            this.b = b;
        }

        @Override
        public void write(int c) throws IOException {
            a.write(c);
            b.write(c);
        }

        @Override
        public void write(byte[] buf, int off, int len) throws IOException {
            a.write(buf, off, len);
            b.write(buf, off, len);
        }

        @Override
        public void flush() throws IOException {
            a.flush();
            b.flush();
        }
    }
}
