package dev.pbkv.tester.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TestConfigTest {
    private static final Path ROOT = Path.of("/repo");

    @Test
    void defaultsFillWhatIsNotSaid() throws ConfigException {
        TestConfig c = TestConfig.parse("t.conf", """
        {"servers": {"primary": {"grpc": "127.0.0.1:7001"}, "backup": {"http": "http://h:8002/"}}}
        """, ROOT);
        assertThat(c.driver()).isEqualTo(DriverKind.GRPC);
        assertThat(c.withErrMsg()).isTrue();
        assertThat(c.concurNum()).isEqualTo(8);
        assertThat(c.workdir()).isEqualTo(ROOT);
        ServerConfig p = c.servers().get("primary");
        assertThat(p.start()).isEqualTo("bin/start_server -p");
        assertThat(p.stop()).isEqualTo("bin/stop_server -p");
        assertThat(p.kill()).isEqualTo("kill -9 $(cat data/primary/pbkv.pid)");
        assertThat(p.clean()).isEqualTo("rm -rf data/primary");
        assertThat(c.servers().get("backup").start()).isEqualTo("bin/start_server -b");
        assertThat(c.servers().get("backup").http()).isEqualTo("http://h:8002");
        assertThat(c.servers().keySet()).containsExactly("primary", "backup");
        assertThat(c.contract()).isEqualTo(Contract.PBKV);
        assertThat(c.timeouts().request()).isEqualTo(Duration.ofSeconds(10));
        assertThat(c.raise("request_ms")).isEqualTo("raise timeouts.request_ms in t.conf");
    }

    private static final String SETTINGS = """
            {"nodes": {"primary": {"host": "127.0.0.1", "grpc-port": 7101, "http-port": 8101},
                       "backup": {"host": "0.0.0.0", "grpc-port": 7102, "http-port": 8102}}}
            """;

    @Test
    void addressesComeFromTheServerSettingsUnlessTheTestConfigNamesThem(@TempDir Path root)
            throws ConfigException, IOException {
        Files.createDirectories(root.resolve("conf"));
        Files.writeString(root.resolve("conf/settings.conf"), SETTINGS);
        TestConfig c = TestConfig.parse("t.conf", "{}", root);
        assertThat(c.servers().keySet()).containsExactly("primary", "backup");
        assertThat(c.servers().get("primary").grpc()).isEqualTo("127.0.0.1:7101");
        assertThat(c.servers().get("primary").http()).isEqualTo("http://127.0.0.1:8101");
        assertThat(c.servers().get("backup").grpc()).isEqualTo("127.0.0.1:7102"); // a wildcard host: loopback
        assertThat(c.servers().get("primary").start()).isEqualTo("bin/start_server -p");

        // A node that names an address keeps exactly what it names (another team's: no gRPC).
        TestConfig other = TestConfig.parse(
                "t.conf", "{\"servers\": {\"primary\": {\"http\": \"http://10.0.0.9:8088\"}, \"backup\": {}}}", root);
        assertThat(other.servers().get("primary").grpc()).isNull();
        assertThat(other.servers().get("primary").http()).isEqualTo("http://10.0.0.9:8088");
        assertThat(other.servers().get("backup").http()).isEqualTo("http://127.0.0.1:8102");
    }

    @Test
    void anotherSettingsFileIsPassedOnToTheDefaultCommands(@TempDir Path root) throws ConfigException, IOException {
        Files.createDirectories(root.resolve("conf"));
        Files.writeString(root.resolve("conf/course.conf"), SETTINGS.replace("8101", "8088"));
        TestConfig c =
                TestConfig.parse("t.conf", "{\"settings\": \"conf/course.conf\", \"contract\": \"course\"}", root);
        assertThat(c.contract()).isEqualTo(Contract.COURSE);
        assertThat(c.servers().get("primary").http()).isEqualTo("http://127.0.0.1:8088");
        assertThat(c.servers().get("primary").start()).isEqualTo("bin/start_server -p --config conf/course.conf");
        assertThat(c.servers().get("backup").stop()).isEqualTo("bin/stop_server -b --config conf/course.conf");
        assertThatThrownBy(() -> TestConfig.parse(
                        "t.conf", "{\"settings\": \"conf/course.conf\", \"servers\": {\"third\": {}}}", root))
                .hasMessageContaining("which has no nodes.third");
    }

    @Test
    void everyKeyIsRead() throws ConfigException {
        TestConfig c = TestConfig.parse("t.conf", """
        {"driver": "http", "with_err_msg": false, "concur_num": 3, "workdir": "other",
         "timeouts": {"request_ms": 100, "start_ms": 200, "stop_ms": 300, "wait_ms": 400, "command_ms": 500},
         "servers": {"a": {"http": "http://x", "start": "s", "stop": "t", "kill": "k", "clean": "c"}}}
        """, ROOT);
        assertThat(c.driver()).isEqualTo(DriverKind.HTTP);
        assertThat(c.withErrMsg()).isFalse();
        assertThat(c.concurNum()).isEqualTo(3);
        assertThat(c.workdir()).isEqualTo(ROOT.resolve("other"));
        assertThat(c.timeouts())
                .isEqualTo(new Timeouts(
                        Duration.ofMillis(100),
                        Duration.ofMillis(200),
                        Duration.ofMillis(300),
                        Duration.ofMillis(400),
                        Duration.ofMillis(500)));
        assertThat(c.servers().get("a")).isEqualTo(new ServerConfig("a", null, "http://x", "s", "t", "k", "c"));
    }

    @Test
    void mistakesNameTheKey() {
        assertThatThrownBy(() -> TestConfig.parse("t.conf", "{\"servers\": {}, \"conccur_num\": 2}", ROOT))
                .hasMessageContaining("t.conf: conccur_num: unknown key");
        assertThatThrownBy(() -> TestConfig.parse("t.conf", "{\"driver\": \"smtp\", \"servers\": {\"p\": {}}}", ROOT))
                .hasMessage("t.conf: driver: expected \"grpc\" or \"http\", found \"smtp\"");
        assertThatThrownBy(() -> TestConfig.parse("t.conf", "{\"servers\": {\"primary\": {\"grpc\": 7}}}", ROOT))
                .hasMessage("t.conf: servers.primary.grpc: expected a string");
        assertThatThrownBy(() -> TestConfig.parse("t.conf", "{\"servers\": {\"x\": {\"grpc\": \"h:1\"}}}", ROOT))
                .hasMessageContaining("required for a node not named primary or backup");
        assertThatThrownBy(() -> TestConfig.parse("t.conf", "{\"servers\": {\"primary\": {}}}", ROOT))
                .hasMessage("t.conf: servers.primary names no address (grpc or http), so they are taken from"
                        + " conf/settings.conf, and there is no such file (/repo/conf/settings.conf)");
        assertThatThrownBy(() -> TestConfig.parse("t.conf", "{\"contract\": \"gold\"}", ROOT))
                .hasMessage("t.conf: contract: expected \"course\", \"pbkv\" or \"pbkv-strict\", found \"gold\"");
        assertThatThrownBy(() -> TestConfig.parse("t.conf", "{\"timeouts\": {\"wait_ms\": -1}, \"servers\": {}}", ROOT))
                .hasMessage("t.conf: timeouts.wait_ms: expected a positive number of milliseconds");
        assertThatThrownBy(() -> TestConfig.parse("t.conf", "{\"servers\": ", ROOT))
                .hasMessageStartingWith("t.conf: not valid JSON at line 1");
    }
}
