package dev.pbkv.server.command;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pbkv.server.auth.Access;
import dev.pbkv.server.auth.Principal;
import dev.pbkv.server.config.Settings;
import dev.pbkv.server.config.SettingsLoader;
import dev.pbkv.server.replication.SoloReplicator;
import dev.pbkv.server.role.Role;
import dev.pbkv.store.Store;
import dev.pbkv.store.StoreConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The command layer's backup: where it writes, who may take one, which names, and on which node. */
class BackupCommandsTest {
    @TempDir
    Path dir;

    private Settings settings(Role role) {
        return SettingsLoader.withDefaults()
                .set("nodes.primary.data-dir", dir.resolve("p").toString())
                .set("nodes.backup.data-dir", dir.resolve("b").toString())
                .build(role);
    }

    @Test
    void primaryWritesIntoDataDirBackupsOnlyForAdmins() throws Exception {
        try (Store store = Store.open(StoreConfig.defaults(dir.resolve("store")))) {
            SoloReplicator replicator = new SoloReplicator(store, Role.PRIMARY, () -> "127.0.0.1:7001");
            replicator.start();
            try (CommandLayer commands = new CommandLayer(
                    store, replicator, settings(Role.PRIMARY), skip -> CompletableFuture.completedFuture(false))) {
                commands.put("a".getBytes(), "1".getBytes(), WriteTag.NONE).join();
                Reply<BackupAck> done = commands.backup("one.pbkb").join();
                assertThat(done).isInstanceOf(Reply.Success.class);
                BackupAck ack = ((Reply.Success<BackupAck>) done).value();
                assertThat(Path.of(ack.path()))
                        .isEqualTo(dir.resolve("p/backups/one.pbkb").toAbsolutePath());
                assertThat(ack.offset()).isEqualTo(1);
                assertThat(ack.keys()).isEqualTo(1);
                assertThat(ack.bytes()).isEqualTo(Files.size(Path.of(ack.path())));
                assertThat(commands.lastBackupSeconds()).isPositive();

                assertThat(code(commands.backup("one.pbkb"))).isEqualTo(ErrorCode.ALREADY_EXISTS);
                assertThat(code(commands.backup("../escape.pbkb"))).isEqualTo(ErrorCode.INVALID_ARGUMENT);
                assertThat(code(commands.backup("a/b"))).isEqualTo(ErrorCode.INVALID_ARGUMENT);
                Commands writer = commands.as(new Principal("w", Access.WRITE));
                assertThat(code(writer.backup(""))).isEqualTo(ErrorCode.PERMISSION_DENIED);
                assertThat(commands.as(new Principal("root", Access.ADMIN))
                                .backup("")
                                .join())
                        .isInstanceOf(Reply.Success.class);
            }
        }
    }

    /** Three backups at once of a store big enough that they overlap, with one slot. */
    private java.util.List<Reply<BackupAck>> threeAtOnce(boolean waitWhenBusy) throws Exception {
        Path d = dir.resolve("wait-" + waitWhenBusy);
        try (Store store = Store.open(StoreConfig.defaults(d.resolve("store")))) {
            SoloReplicator replicator = new SoloReplicator(store, Role.PRIMARY, () -> "127.0.0.1:7001");
            replicator.start();
            Settings s = SettingsLoader.withDefaults()
                    .set("nodes.primary.data-dir", d.resolve("p").toString())
                    .set("backup.max-concurrent", "1")
                    .set("backup.wait-when-busy", Boolean.toString(waitWhenBusy))
                    .build(Role.PRIMARY);
            try (CommandLayer commands =
                    new CommandLayer(store, replicator, s, skip -> CompletableFuture.completedFuture(false))) {
                byte[] value = new byte[200];
                java.util.List<CompletableFuture<?>> writes = new java.util.ArrayList<>();
                for (int i = 0; i < 100_000; i++) {
                    writes.add(commands.put(("k" + i).getBytes(), value, WriteTag.NONE));
                }
                CompletableFuture.allOf(writes.toArray(CompletableFuture[]::new))
                        .join();
                java.util.List<CompletableFuture<Reply<BackupAck>>> backups = new java.util.ArrayList<>();
                for (int i = 0; i < 3; i++) {
                    backups.add(commands.backup("b" + i + ".pbkb"));
                }
                return backups.stream().map(CompletableFuture::join).toList();
            }
        }
    }

    @Test
    void pastMaxConcurrentABackupIsRefusedOrWaitsWhenSoConfigured() throws Exception {
        // Refused: the three overlap, so one slot turns at least one away.
        assertThat(threeAtOnce(false))
                .anySatisfy(r -> assertThat(r)
                        .isInstanceOfSatisfying(
                                Reply.Failure.class,
                                f -> assertThat(f.code()).isEqualTo(ErrorCode.RESOURCE_EXHAUSTED)));
        // backup.wait-when-busy: the same three queue for the slot, and every one is written.
        assertThat(threeAtOnce(true)).allSatisfy(r -> assertThat(r).isInstanceOf(Reply.Success.class));
    }

    @Test
    void backupNodeRefusesWithUnavailable() throws Exception {
        try (Store store = Store.open(StoreConfig.defaults(dir.resolve("store")))) {
            SoloReplicator replicator = new SoloReplicator(store, Role.BACKUP, () -> "127.0.0.1:7001");
            try (CommandLayer commands = new CommandLayer(store, replicator, settings(Role.BACKUP), skip -> null)) {
                Reply<BackupAck> r = commands.backup("").join();
                assertThat(r).isInstanceOf(Reply.Failure.class);
                assertThat(((Reply.Failure<BackupAck>) r).code()).isEqualTo(ErrorCode.UNAVAILABLE);
                assertThat(((Reply.Failure<BackupAck>) r).message())
                        .contains("backups are taken on the serving primary");
            }
        }
    }

    private static ErrorCode code(CompletableFuture<Reply<BackupAck>> f) {
        Reply<BackupAck> r = f.join();
        assertThat(r).isInstanceOf(Reply.Failure.class);
        return ((Reply.Failure<BackupAck>) r).code();
    }
}
