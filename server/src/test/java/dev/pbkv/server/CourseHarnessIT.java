package dev.pbkv.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.pbkv.testkit.FreePorts;
import dev.pbkv.testkit.PidFile;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The scripts driven the way harnesses written for the course servers drive them: in the
 * background ({@code bin/start_server -p "" &}, with the empty argument they append), then HTTP
 * requests on the course contract, in strict mode. What such a harness checks after its one
 * second sleep must hold: the primary answers, the pair takes writes once the backup started, and
 * a primary whose backup is being stopped refuses writes (and applies nothing it refused). The
 * times are printed, not asserted (the machine is shared); {@code bin/bench startup} measures them.
 */
class CourseHarnessIT {
    static final Path ROOT = Path.of("..").toAbsolutePath().normalize();

    @TempDir
    Path dir;

    Path settings;
    int primaryHttp;
    final HttpClient http =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    final List<Process> scripts = new ArrayList<>();

    @AfterEach
    void stopEverything() throws InterruptedException {
        for (Process p : scripts) {
            p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
        PidFile.kill(dir.resolve("p"));
        PidFile.kill(dir.resolve("b"));
    }

    /** bin/NAME ROLE "" --config SETTINGS in the background, as the harness runs it. */
    Process background(String name, String role) throws IOException {
        Process p = new ProcessBuilder(
                        ROOT.resolve("bin").resolve(name).toString(), role, "", "--config", settings.toString())
                .directory(dir.toFile())
                .redirectErrorStream(true)
                .redirectOutput(dir.resolve(name + role + ".out").toFile())
                .start();
        scripts.add(p);
        return p;
    }

    /** The answer's body, or null when the node did not answer (not listening, timed out). */
    String send(String path, String form) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + primaryHttp + path))
                .timeout(Duration.ofSeconds(2));
        if (form != null) {
            b.header("Content-Type", "application/x-www-form-urlencoded")
                    .POST(HttpRequest.BodyPublishers.ofString(form));
        }
        try {
            return http.send(b.build(), HttpResponse.BodyHandlers.ofString()).body();
        } catch (IOException e) {
            System.out.println(path + ": no answer: " + e);
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    /** The insert's answer, or null when there was none (its outcome is then unknown). */
    String insert(String key, String value) {
        return send(
                "/kv/insert",
                "key=" + URLEncoder.encode(key, StandardCharsets.UTF_8) + "&value="
                        + URLEncoder.encode(value, StandardCharsets.UTF_8));
    }

    boolean inserted(String key, String value) {
        String body = insert(key, value);
        return body != null && body.contains("\"success\":\"true\"");
    }

    /**
     * Answered, and the answer is a refusal of a write not applied: no answer (a timeout) and
     * OUTCOME_UNKNOWN are not refusals, the write may have been applied.
     */
    boolean refused(String key, String value) {
        String body = insert(key, value);
        return body != null && body.contains("\"success\":\"false\"") && !body.contains("OUTCOME_UNKNOWN");
    }

    /** The get's answer, waiting for the node to answer at all (a busy machine may time one out). */
    String answerTo(String path) {
        String[] body = new String[1];
        await().atMost(Duration.ofSeconds(30)).until(() -> (body[0] = send(path, null)) != null);
        return body[0];
    }

    static long since(long startNanos) {
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos);
    }

    @Test
    void theScriptsRunInTheBackgroundServeAStrictPair() throws Exception {
        int[] ports = FreePorts.take(6);
        primaryHttp = ports[2];
        settings = dir.resolve("settings.conf");
        Files.writeString(settings, """
                {"nodes": {
                   "primary": {"grpc-port": %d, "resp-port": %d, "http-port": %d, "data-dir": "%s"},
                   "backup":  {"grpc-port": %d, "resp-port": %d, "http-port": %d, "data-dir": "%s"}},
                 "store": {"memory": "16m"},
                 "replication": {"require-backup": true},
                 "coordinator": {"connect": "off"}}
                """.formatted(
                ports[0], ports[1], ports[2], dir.resolve("p"), ports[3], ports[4], ports[5], dir.resolve("b")));

        long t = System.nanoTime();
        Process startPrimary = background("start_server", "-p");
        await().atMost(Duration.ofSeconds(30)).until(() -> send("/kvman/countkey", null) != null);
        long primaryAnswers = since(t);
        // Strict, without its backup: refused, and nothing applied.
        assertThat(refused("a", "1")).isTrue();
        assertThat(startPrimary.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(startPrimary.exitValue()).isZero();

        t = System.nanoTime();
        Process startBackup = background("start_server", "-b");
        // A fresh key each try: a try that timed out may still have been applied.
        AtomicInteger tries = new AtomicInteger();
        await().atMost(Duration.ofSeconds(30)).until(() -> inserted("a" + tries.incrementAndGet(), "1"));
        String accepted = "a" + tries.get();
        long pairTakesWrites = since(t);
        assertThat(startBackup.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(startBackup.exitValue()).isZero();

        t = System.nanoTime();
        Process stopBackup = background("stop_server", "-b");
        await().atMost(Duration.ofSeconds(30)).until(() -> refused("b" + tries.incrementAndGet(), "2"));
        String refused = "b" + tries.get();
        long primaryRefuses = since(t);
        assertThat(stopBackup.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(stopBackup.exitValue()).isZero();
        assertThat(answerTo("/kv/get?key=" + refused))
                .as("a refused insert is not applied")
                .doesNotContain("\"value\":\"2\"");
        assertThat(answerTo("/kv/get?key=" + accepted)).contains("\"value\":\"1\"");

        Process stopPrimary = background("stop_server", "-p");
        assertThat(stopPrimary.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(stopPrimary.exitValue()).isZero();
        assertThat(PidFile.in(dir.resolve("p"))).doesNotExist();
        assertThat(PidFile.in(dir.resolve("b"))).doesNotExist();
        System.out.printf(
                "course harness timings: primary answers %d ms after start_server -p &, the pair takes writes"
                        + " %d ms after start_server -b &, the primary refuses writes %d ms after stop_server -b &%n",
                primaryAnswers, pairTakesWrites, primaryRefuses);
    }
}
