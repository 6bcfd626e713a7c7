package dev.pbkv.store;

import static dev.pbkv.store.TestStores.b;
import static dev.pbkv.store.TestStores.config;
import static dev.pbkv.store.TestStores.contents;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.pbkv.store.snapshot.CompressedSnapshots;
import dev.pbkv.store.snapshot.SnapshotFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BackupTest {
    @TempDir
    Path tmp;

    /** What the write at one offset did: a put (value) or a delete (null). */
    private record Write(String key, String value) {}

    @Test
    void backupTakenWhileAWriterRunsRestoresToTheContentsAtItsOffset() throws Exception {
        Map<Long, Write> history = new ConcurrentHashMap<>();
        Path backup = tmp.resolve("b.pbkb");
        BackupInfo info;
        Map<String, String> restored;
        try (Store store = Store.open(config(tmp.resolve("source"), FsyncPolicy.NO, 64 << 10, 16 << 10))) {
            for (int i = 0; i < 3000; i++) {
                put(store, history, "k" + i, "seed" + i);
            }
            AtomicBoolean stop = new AtomicBoolean();
            ExecutorService writer = Executors.newSingleThreadExecutor();
            Future<?> writes = writer.submit(() -> {
                Random random = new Random(7);
                for (int i = 0; !stop.get() || i < 20000; i++) {
                    String key = "k" + random.nextInt(4000);
                    if (random.nextInt(5) == 0) {
                        WriteResult r = store.apply(Mutation.delete(b(key)));
                        if (r.changed()) {
                            history.put(r.offset(), new Write(key, null));
                        }
                    } else {
                        put(store, history, key, "v" + i);
                    }
                }
                return null;
            });
            while (store.lastOffset() < 6000) {
                Thread.onSpinWait();
            }
            info = store.writeBackup(backup);
            stop.set(true);
            writes.get();
            writer.shutdown();
            assertThat(info.offset()).isGreaterThan(3000).isLessThan(store.lastOffset());
        }
        Map<String, String> expected = new TreeMap<>();
        for (long o = 1; o <= info.offset(); o++) {
            Write w = history.get(o);
            if (w.value() == null) {
                expected.remove(w.key());
            } else {
                expected.put(w.key(), w.value());
            }
        }
        StoreConfig target = config(tmp.resolve("restored"), FsyncPolicy.NO);
        BackupInfo back = Store.restoreBackup(backup, target);
        assertThat(back.offset()).isEqualTo(info.offset());
        assertThat(back.keys()).isEqualTo(info.keys()).isEqualTo(expected.size());
        try (Store store = Store.open(target)) {
            restored = contents(store);
            assertThat(store.lastOffset()).isEqualTo(info.offset());
            assertThat(store.isConsistentPrefix()).isTrue();
            store.apply(Mutation.of(Op.PUT, b("after"), b("restore")));
            assertThat(store.lastOffset()).isEqualTo(info.offset() + 1);
        }
        assertThat(restored).isEqualTo(expected);
    }

    @Test
    void backupOfAnEmptyStoreRestoresEmpty() throws Exception {
        Path backup = tmp.resolve("empty.pbkb");
        try (Store store = Store.open(config(tmp.resolve("source"), FsyncPolicy.NO))) {
            BackupInfo info = store.writeBackup(backup);
            assertThat(info.offset()).isZero();
            assertThat(info.keys()).isZero();
        }
        StoreConfig target = config(tmp.resolve("restored"), FsyncPolicy.NO);
        Store.restoreBackup(backup, target);
        try (Store store = Store.open(target)) {
            assertThat(store.count()).isZero();
        }
    }

    @Test
    void truncatedBackupIsRefusedAndNothingIsLoaded() throws Exception {
        Path backup = smallBackup();
        byte[] all = Files.readAllBytes(backup);
        for (int keep : new int[] {0, 3, 10, all.length / 2, all.length - 1}) {
            Path cut = tmp.resolve("cut-" + keep + ".pbkb");
            Files.write(cut, java.util.Arrays.copyOf(all, keep));
            StoreConfig target = config(tmp.resolve("restored-" + keep), FsyncPolicy.NO);
            assertThatThrownBy(() -> Store.restoreBackup(cut, target))
                    .isInstanceOf(IOException.class)
                    .hasMessageContaining("truncated or corrupt")
                    .hasMessageContaining("nothing was loaded");
            assertThat(target.dataDir()).doesNotExist();
            assertThat(tmp.resolve("restored-" + keep + ".restore")).doesNotExist();
        }
    }

    @Test
    void corruptedBackupIsRefusedAndNothingIsLoaded() throws Exception {
        Path backup = smallBackup();
        byte[] all = Files.readAllBytes(backup);
        for (int at : new int[] {5, all.length / 3, all.length / 2, all.length - 3}) {
            byte[] bad = all.clone();
            bad[at] ^= 0x5A;
            Path broken = tmp.resolve("bad-" + at + ".pbkb");
            Files.write(broken, bad);
            StoreConfig target = config(tmp.resolve("restored-" + at), FsyncPolicy.NO);
            assertThatThrownBy(() -> Store.restoreBackup(broken, target))
                    .isInstanceOf(IOException.class)
                    .hasMessageContaining("truncated or corrupt");
            assertThat(target.dataDir()).doesNotExist();
        }
    }

    @Test
    void restoreIntoAStoreThatHoldsDataIsRefused() throws Exception {
        Path backup = smallBackup();
        StoreConfig target = config(tmp.resolve("busy"), FsyncPolicy.NO);
        try (Store store = Store.open(target)) {
            store.apply(Mutation.of(Op.PUT, b("mine"), b("keep")));
        }
        assertThatThrownBy(() -> Store.restoreBackup(backup, target))
                .hasMessageContaining("not empty")
                .hasMessageContaining("1 keys, last offset 1");
        try (Store store = Store.open(target)) {
            assertThat(contents(store)).containsExactly(Map.entry("mine", "keep"));
        }
    }

    @Test
    void restoreIntoAnEmptyOpenedStoreDirectoryWorks() throws Exception {
        Path backup = smallBackup();
        StoreConfig target = config(tmp.resolve("fresh"), FsyncPolicy.NO);
        try (Store store = Store.open(target)) {
            assertThat(store.count()).isZero();
        }
        BackupInfo info = Store.restoreBackup(backup, target);
        try (Store store = Store.open(target)) {
            assertThat(store.count()).isEqualTo(info.keys()).isEqualTo(200);
        }
    }

    @Test
    void theReaderTakesPlainSnapshotsToo() throws Exception {
        Path dir = tmp.resolve("plain");
        try (Store store = Store.open(config(dir, FsyncPolicy.NO))) {
            store.apply(Mutation.of(Op.PUT, b("a"), b("1")));
            store.snapshotNow().get();
        }
        List<SnapshotFiles.SnapshotFile> snaps = SnapshotFiles.list(dir);
        assertThat(CompressedSnapshots.verify(snaps.get(0).path()).entries()).isEqualTo(1);
    }

    @Test
    void backupCompresses() throws Exception {
        Path backup = smallBackup();
        // 200 keys of 1 KiB of repetitive text: far smaller compressed.
        assertThat(Files.size(backup)).isLessThan(200 * 1024 / 4);
    }

    private Path smallBackup() throws IOException {
        Path backup = tmp.resolve("small.pbkb");
        try (Store store = Store.open(config(tmp.resolve("small"), FsyncPolicy.NO))) {
            for (int i = 0; i < 200; i++) {
                store.apply(Mutation.of(
                        Op.PUT, b("key" + i), b(("value" + i).repeat(200).substring(0, 1024))));
            }
            store.writeBackup(backup);
        }
        return backup;
    }

    private static void put(Store store, Map<Long, Write> history, String key, String value) {
        WriteResult r = store.apply(Mutation.of(Op.PUT, b(key), b(value)));
        history.put(r.offset(), new Write(key, value));
    }
}
