package dev.pbkv.server.command;

import static dev.pbkv.server.command.CommandLayerTest.b;
import static dev.pbkv.server.command.CommandLayerTest.failed;
import static dev.pbkv.server.command.CommandLayerTest.ok;
import static org.assertj.core.api.Assertions.assertThat;

import dev.pbkv.server.config.SettingsLoader;
import dev.pbkv.server.replication.SoloReplicator;
import dev.pbkv.server.role.Role;
import dev.pbkv.store.Effect;
import dev.pbkv.store.LogRecord;
import dev.pbkv.store.Store;
import dev.pbkv.store.StoreConfig;
import dev.pbkv.store.snapshot.SnapshotWriter;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Stale reads on a backup promise a consistent prefix of the history. After a fuzzy snapshot is
 * installed the map is not one until the log reaches the snapshot's end offset, so until then
 * the backup refuses them and names the primary.
 */
class StaleReadConsistentPrefixTest {
    private static final String PRIMARY = "127.0.0.11:7001";
    private static final long EPOCH = 1;

    @TempDir
    Path dir;

    Store store;
    CommandLayer onBackup;

    @BeforeEach
    void openBackup() throws IOException {
        store = Store.open(StoreConfig.defaults(dir.resolve("store")));
        SoloReplicator backup = new SoloReplicator(store, Role.BACKUP, () -> PRIMARY);
        backup.start();
        onBackup = new CommandLayer(
                store,
                backup,
                SettingsLoader.withDefaults()
                        .set("nodes.backup.data-dir", dir.resolve("b").toString())
                        .build(Role.BACKUP),
                skip -> null);
    }

    @AfterEach
    void close() throws IOException {
        onBackup.close();
        store.close();
    }

    /**
     * The history: 1 a=1, 2 b=1, 3 a=2, 4 b=2. A fuzzy snapshot taken at offset 2 copied a's bucket
     * before record 3 and b's after record 4: {a=1, b=2}, a state that never existed.
     */
    private void installFuzzySnapshotAtTwoEndingAtFour() throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        SnapshotWriter w = new SnapshotWriter(bytes, 2, EPOCH);
        w.entry(b("a"), b("1"), 1);
        w.entry(b("b"), b("2"), 4);
        w.finish(4);
        store.installSnapshot(new ByteArrayInputStream(bytes.toByteArray()));
        assertThat(store.lastOffset()).isEqualTo(2);
        assertThat(store.consistentFromOffset()).isEqualTo(4);
    }

    private static LogRecord put(long offset, String key, String value) {
        return new LogRecord(offset, EPOCH, Effect.PUT, b(key), b(value), 0, 0);
    }

    private static <T> void refusedAsNotYetAPrefix(Reply.Failure<T> f, long at) {
        assertThat(f.message())
                .isEqualTo("this node's copy is not yet a consistent prefix (at offset " + at
                        + ", consistent from 4): read from the primary");
        assertThat(f.primaryAddress()).isEqualTo(PRIMARY);
    }

    @Test
    void staleReadsAreRefusedUntilTheLogReachesTheFuzzySnapshotsEnd() throws IOException {
        installFuzzySnapshotAtTwoEndingAtFour();

        refusedAsNotYetAPrefix(failed(onBackup.get(b("a"), true), ErrorCode.UNAVAILABLE), 2);
        refusedAsNotYetAPrefix(failed(onBackup.exists(b("b"), true), ErrorCode.UNAVAILABLE), 2);
        refusedAsNotYetAPrefix(failed(onBackup.count(true), ErrorCode.UNAVAILABLE), 2);
        refusedAsNotYetAPrefix(failed(onBackup.scan(null, null, 0, true), ErrorCode.UNAVAILABLE), 2);
        List<List<KeyValue>> pages = new ArrayList<>();
        refusedAsNotYetAPrefix(failed(onBackup.dump(true, pages::add), ErrorCode.UNAVAILABLE), 2);
        assertThat(pages).isEmpty();

        store.applyReplicated(put(3, "a", "2"));
        // {a=2, b=2} happens to be the state at 4, but the copy is exact only once the log is there.
        refusedAsNotYetAPrefix(failed(onBackup.get(b("a"), true), ErrorCode.UNAVAILABLE), 3);

        store.applyReplicated(put(4, "b", "2"));
        assertThat(ok(onBackup.get(b("a"), true))).isEqualTo(b("2"));
        assertThat(ok(onBackup.get(b("b"), true))).isEqualTo(b("2"));
        assertThat(ok(onBackup.exists(b("b"), true))).isTrue();
        assertThat(ok(onBackup.count(true))).isEqualTo(2L);
        assertThat(ok(onBackup.scan(null, null, 0, true)))
                .extracting(kv -> new String(kv.value()))
                .containsExactly("2", "2");
        ok(onBackup.dump(true, pages::add));
        assertThat(pages.stream().mapToInt(List::size).sum()).isEqualTo(2);

        store.applyReplicated(put(5, "c", "1"));
        assertThat(ok(onBackup.count(true))).isEqualTo(3L); // past the end it stays a prefix
    }

    @Test
    void aBackupThatLoadedNothingFuzzyServesStaleReads() throws IOException {
        store.applyReplicated(put(1, "a", "1"));
        assertThat(store.consistentFromOffset()).isZero();
        assertThat(ok(onBackup.get(b("a"), true))).isEqualTo(b("1"));
    }
}
