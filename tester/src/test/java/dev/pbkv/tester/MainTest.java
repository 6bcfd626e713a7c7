package dev.pbkv.tester;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pbkv.proto.Role;
import dev.pbkv.tester.fake.FakeGrpcNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** bin/test's command line: exit codes and the summary line. */
class MainTest {
    @TempDir
    Path dir;

    private FakeGrpcNode node;
    private final ByteArrayOutputStream stdout = new ByteArrayOutputStream();
    private PrintStream savedOut;

    @BeforeEach
    void start() throws IOException {
        node = new FakeGrpcNode(Role.PRIMARY);
        savedOut = System.out;
        System.setOut(new PrintStream(stdout, true, StandardCharsets.UTF_8));
    }

    @AfterEach
    void stop() throws InterruptedException {
        System.setOut(savedOut);
        node.close();
    }

    private int run(String... args) {
        return new CommandLine(new Main()).execute(args);
    }

    private Path config() throws IOException {
        Path c = dir.resolve("test.conf");
        Files.writeString(
                c,
                "{\"servers\": {\"primary\": {\"grpc\": \"" + node.address() + "\","
                        + " \"start\": \"true\", \"stop\": \"true\"}}}");
        return c;
    }

    @Test
    void allPassedExitsZero() throws IOException {
        Path ok = dir.resolve("1.test");
        Files.writeString(ok, "insert a b\nget a expect b\n");
        assertThat(run("--root", dir.toString(), "--config", config().toString(), ok.toString()))
                .isZero();
        assertThat(stdout.toString(StandardCharsets.UTF_8)).endsWith("1 passed, 0 failed, 0 skipped\n");
    }

    @Test
    void aFailureExitsOne() throws IOException {
        Path bad = dir.resolve("2.test");
        Files.writeString(bad, "get nothing expect something\n");
        assertThat(run("--root", dir.toString(), "--config", config().toString(), bad.toString()))
                .isEqualTo(1);
        assertThat(stdout.toString(StandardCharsets.UTF_8))
                .contains("2.test:1: get nothing expect something")
                .endsWith("0 passed, 1 failed, 0 skipped\n");
    }

    @Test
    void theCaseDirectoryIsTheDefault() throws IOException {
        Files.createDirectories(dir.resolve("test-cases"));
        Files.writeString(dir.resolve("test-cases/0.test"), "countkey\n");
        assertThat(run("--root", dir.toString(), "--config", config().toString()))
                .isZero();
    }

    @Test
    void theDefaultConfigIsPbkvTestConfAndAddressesComeFromSettings() throws IOException {
        Files.createDirectories(dir.resolve("conf"));
        String port = node.address().substring(node.address().lastIndexOf(':') + 1);
        Files.writeString(
                dir.resolve("conf/settings.conf"),
                "{\"nodes\": {\"primary\": {\"host\": \"127.0.0.1\", \"grpc-port\": " + port + "}}}");
        Files.writeString(
                dir.resolve("conf/pbkv-test.conf"),
                "{\"servers\": {\"primary\": {\"start\": \"true\", \"stop\": \"true\"}}}");
        Path ok = dir.resolve("1.test");
        Files.writeString(ok, "insert a b\nget a expect b\n");
        assertThat(run("--root", dir.toString(), ok.toString())).isZero();
        assertThat(stdout.toString(StandardCharsets.UTF_8)).endsWith("1 passed, 0 failed, 0 skipped\n");
    }

    @Test
    void theCourseContractIsHttp() throws IOException {
        Path ok = dir.resolve("1.test");
        Files.writeString(ok, "countkey\n");
        assertThat(run(
                        "--root",
                        dir.toString(),
                        "--config",
                        config().toString(),
                        "--contract",
                        "course",
                        "--driver",
                        "grpc",
                        ok.toString()))
                .isEqualTo(2);
        assertThat(run("--root", dir.toString(), "--config", config().toString(), "--contract", "gold", ok.toString()))
                .isEqualTo(2);
    }

    @Test
    void configAndUsageErrorsExitTwo() throws IOException {
        Path broken = dir.resolve("broken.conf");
        Files.writeString(broken, "{\"servers\": 3}");
        assertThat(run("--root", dir.toString(), "--config", broken.toString())).isEqualTo(2);
        assertThat(run(
                        "--root",
                        dir.toString(),
                        "--config",
                        dir.resolve("none.conf").toString()))
                .isEqualTo(2);
        assertThat(run("--root", dir.toString(), "--config", config().toString(), "no-such.test"))
                .isEqualTo(2);
        assertThat(run("--root", dir.toString(), "--config", config().toString(), "--driver", "smtp"))
                .isEqualTo(2);
        assertThat(run("--frobnicate")).isEqualTo(2);
    }
}
