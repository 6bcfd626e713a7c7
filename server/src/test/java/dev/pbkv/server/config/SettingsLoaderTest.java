package dev.pbkv.server.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pbkv.server.role.Role;
import dev.pbkv.store.FsyncPolicy;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SettingsLoaderTest {

    @Test
    void defaultsMatchTheDocumentedValues() {
        Settings s = SettingsLoader.withDefaults().build(Role.PRIMARY);
        assertThat(s.limits().maxKeyBytes()).isEqualTo(1024);
        assertThat(s.limits().maxValueBytes()).isEqualTo(1 << 20);
        assertThat(s.limits().maxScanLimit()).isEqualTo(10000);
        assertThat(s.store().memoryBytes()).isEqualTo(256L << 20);
        assertThat(s.store().fsync()).isEqualTo(FsyncPolicy.ALWAYS);
        assertThat(s.self().grpcPort()).isEqualTo(7001);
        assertThat(s.peerAddress()).isEqualTo("127.0.0.1:7002");
        assertThat(s.self().dataDir().isAbsolute()).isTrue();
        assertThat(s.self().dataDir().endsWith(Path.of("data", "primary"))).isTrue();
        assertThat(s.limits().connectionLimits()).isEqualTo(dev.pbkv.server.net.ConnectionLimits.DEFAULTS);
        assertThat(s.limits().grpcMaxConcurrentCallsPerConnection()).isEqualTo(1024);
        assertThat(s.limits().grpcFlowControlWindow()).isEqualTo(1 << 20);
    }

    @Test
    void watchBufferBytesHasADefaultIsReadAsASizeAndNamedWhenWrong() {
        assertThat(SettingsLoader.withDefaults().build(Role.PRIMARY).watchBufferBytes())
                .isEqualTo(Settings.DEFAULT_WATCH_BUFFER_BYTES);
        assertThat(SettingsLoader.withDefaults()
                        .set("watch.buffer-bytes", "64k")
                        .build(Role.PRIMARY)
                        .watchBufferBytes())
                .isEqualTo(64 * 1024);
        assertThatThrownBy(() -> SettingsLoader.withDefaults()
                        .set("watch.buffer-bytes", "100")
                        .build(Role.PRIMARY))
                .isInstanceOf(SettingsException.class)
                .hasMessageContaining("watch.buffer-bytes must be >= 1024");
    }

    @Test
    void connectionLimitsAreCheckedTogether() {
        assertThatThrownBy(() -> SettingsLoader.withDefaults()
                        .set("limits.output-buffer-high-water", "4m")
                        .set("limits.output-buffer-hard-limit", "1m")
                        .set("limits.max-connections", "0")
                        .build(Role.PRIMARY))
                .isInstanceOf(SettingsException.class)
                .hasMessageContaining("limits.output-buffer-hard-limit must be 0 (off) or at least")
                .hasMessageContaining("limits.max-connections");
        Settings off = SettingsLoader.withDefaults()
                .set("limits.output-buffer-hard-limit", "0")
                .set("limits.idle-timeout-ms", "5000")
                .build(Role.PRIMARY);
        assertThat(off.limits().connectionLimits().outputHardLimit()).isZero();
        assertThat(off.limits().connectionLimits().idleTimeoutMillis()).isEqualTo(5000);
    }

    @Test
    void theRepositorySettingsFileHasTheDefaultsShape() throws IOException {
        Path conf = Path.of("..", "conf", "settings.conf");
        Settings s = SettingsLoader.withDefaults().file(conf).build(Role.BACKUP);
        assertThat(s.nodeId()).isEqualTo("backup");
        assertThat(s.peerAddress()).isEqualTo(s.primary().grpcAddress());
        // Same keys as the built-in defaults: a key added to one must be added to the other.
        assertThat(keysOf(new com.fasterxml.jackson.databind.ObjectMapper().readTree(conf.toFile()), ""))
                .containsExactlyInAnyOrderElementsOf(keysOf(SettingsLoader.defaults(), ""));
    }

    private static java.util.List<String> keysOf(com.fasterxml.jackson.databind.JsonNode node, String prefix) {
        java.util.List<String> keys = new java.util.ArrayList<>();
        node.fields().forEachRemaining(e -> {
            if (e.getValue().isObject()) {
                keys.addAll(keysOf(e.getValue(), prefix + e.getKey() + "."));
            } else {
                keys.add(prefix + e.getKey());
            }
        });
        return keys;
    }

    @Test
    void fileThenSetOverridesAndSizesParse(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("s.conf");
        Files.writeString(file, "{\"store\":{\"memory\":\"64m\"},\"limits\":{\"max-key-bytes\":16},\"extra\":1}");
        Settings s = SettingsLoader.withDefaults()
                .file(file)
                .set("limits.max-key-bytes", "32")
                .set("replication.require-backup", "true")
                .set("store.fsync", "everysec")
                .set("nodes.primary.grpc-port", "0")
                .peer("127.0.0.12:9000")
                .build(Role.PRIMARY);
        assertThat(s.store().memoryBytes()).isEqualTo(64L << 20);
        assertThat(s.limits().maxKeyBytes()).isEqualTo(32);
        assertThat(s.replication().requireBackup()).isTrue();
        assertThat(s.store().fsync()).isEqualTo(FsyncPolicy.EVERYSEC);
        assertThat(s.self().grpcPort()).isZero();
        assertThat(s.peerAddress()).isEqualTo("127.0.0.12:9000");
    }

    @Test
    void badValuesAreReportedTogetherNamingTheirKeys() {
        SettingsLoader loader = SettingsLoader.withDefaults()
                .set("limits.max-key-bytes", "0")
                .set("store.memory", "lots")
                .set("store.fsync", "sometimes")
                .set("nodes.backup.grpc-port", "70000")
                .set("replication.peer-timeout-ms", "150");
        assertThatThrownBy(() -> loader.build(Role.PRIMARY))
                .isInstanceOf(SettingsException.class)
                .hasMessageContaining("limits.max-key-bytes must be >= 1")
                .hasMessageContaining("store.memory: 'lots' is not a size")
                .hasMessageContaining("store.fsync must be one of always, everysec, no")
                .hasMessageContaining("nodes.backup.grpc-port must be between 0 and 65535")
                .hasMessageContaining("replication.peer-timeout-ms must be at least twice replication.heartbeat-ms");
    }

    @Test
    void theCoordinatorIsOffByDefaultAndTheRepositoryFileNamesTheEmbeddedOne() throws IOException {
        CoordinatorSettings off =
                SettingsLoader.withDefaults().build(Role.PRIMARY).coordinator();
        assertThat(off.off()).isTrue();
        assertThat(off.sessionTimeoutMs()).isEqualTo(3000);
        CoordinatorSettings conf = SettingsLoader.withDefaults()
                .file(Path.of("..", "conf", "settings.conf"))
                .build(Role.PRIMARY)
                .coordinator();
        assertThat(conf.connect()).isEqualTo("127.0.0.1:2181");
        assertThat(conf.pairPath()).isEqualTo("/pbkv/local/pairs/pair-1");
        assertThat(conf.dataDir().endsWith(Path.of("data", "coordinator"))).isTrue();
    }

    @Test
    void badCoordinatorValuesAreRefusedNamingTheirKeys() {
        SettingsLoader loader = SettingsLoader.withDefaults()
                .set("coordinator.connect", "zk-one zk-two")
                .set("coordinator.session-timeout-ms", "999")
                .set("coordinator.pair", "a/b");
        assertThatThrownBy(() -> loader.build(Role.PRIMARY))
                .isInstanceOf(SettingsException.class)
                .hasMessageContaining("coordinator.connect must be \"off\" or host:port")
                .hasMessageContaining("coordinator.session-timeout-ms must be between 1000 and 600000, was 999")
                .hasMessageContaining("coordinator.pair may hold only letters");
        assertThat(SettingsLoader.withDefaults()
                        .set("coordinator.connect", "127.0.0.1:2181,127.0.0.1:2182,127.0.0.1:2183")
                        .build(Role.BACKUP)
                        .coordinator()
                        .off())
                .isFalse();
    }

    @Test
    void unknownSetKeyIsRefused() {
        assertThatThrownBy(() -> SettingsLoader.withDefaults().set("limits.max-kee-bytes", "1"))
                .isInstanceOf(SettingsException.class)
                .hasMessageContaining("unknown setting 'limits.max-kee-bytes'");
    }

    @Test
    void malformedFileNamesTheFile(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("broken.conf");
        Files.writeString(file, "{\"store\": ");
        assertThatThrownBy(() -> SettingsLoader.withDefaults().file(file))
                .isInstanceOf(SettingsException.class)
                .hasMessageContaining("broken.conf is not valid JSON");
    }

    @Test
    void bothNodesMayNotShareADataDir() {
        assertThatThrownBy(() -> SettingsLoader.withDefaults()
                        .set("nodes.backup.data-dir", "data/primary")
                        .build(Role.PRIMARY))
                .hasMessageContaining("must differ");
    }

    @Test
    void byteSizesUseBinaryUnits() {
        assertThat(ByteSize.parse("0")).isZero();
        assertThat(ByteSize.parse("512k")).isEqualTo(512L << 10);
        assertThat(ByteSize.parse("1G")).isEqualTo(1L << 30);
        assertThat(ByteSize.parse("3mb")).isEqualTo(3L << 20);
        assertThatThrownBy(() -> ByteSize.parse("-1m")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> ByteSize.parse("99999999999999999999")).isInstanceOf(IllegalArgumentException.class);
    }
}
