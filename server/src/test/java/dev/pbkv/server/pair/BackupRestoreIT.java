package dev.pbkv.server.pair;

import static dev.pbkv.server.pair.PairFailoverIT.awaitSync;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import dev.pbkv.client.BackupResult;
import dev.pbkv.client.PbkvClient;
import dev.pbkv.client.PbkvException;
import dev.pbkv.client.WriteResult;
import dev.pbkv.client.cli.PbkvCli;
import dev.pbkv.testkit.NodeProcess;
import io.grpc.Status;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.exceptions.JedisDataException;

/**
 * Backups and restore with real node processes (docs/persistence.md, "Backups", "Restore"): a
 * backup taken under write load holds exactly the primary's contents at its offset, and seeds a
 * fresh pair; the doors (Admin.Backup, RESP SAVE/BGSAVE/LASTSAVE, bin/pbkv backup); refusals.
 */
class BackupRestoreIT {
    @TempDir
    Path dir;

    private static PbkvClient client(NodeProcess.Pair pair) {
        return PairFailoverIT.client(pair, Duration.ofSeconds(30));
    }

    @Test
    void backupUnderWriteLoadRestoresAFreshPairToThePrimarysContentsAtItsOffset() throws Exception {
        // One writer: every offset is one acknowledged put of ours, so the contents at any offset are known.
        Map<Long, String[]> history = new ConcurrentHashMap<>();
        BackupResult backup;
        try (NodeProcess.Pair pair = PairFailoverIT.startInSync(dir.resolve("old"));
                PbkvClient kv = client(pair)) {
            for (int i = 0; i < 1000; i++) {
                record(history, kv.put("k" + i, "seed" + i), "k" + i, "seed" + i);
            }
            AtomicBoolean stop = new AtomicBoolean();
            ExecutorService writer = Executors.newSingleThreadExecutor();
            Future<?> writes = writer.submit(() -> {
                for (int i = 0; !stop.get(); i++) {
                    String key = "k" + (i * 7 % 1500);
                    String value = "w" + i;
                    record(history, kv.put(key, value), key, value);
                }
                return null;
            });
            await().atMost(Duration.ofSeconds(60)).until(() -> history.size() > 1500);
            backup = kv.backup("under-load.pbkb");
            await().atMost(Duration.ofSeconds(60)).until(() -> history.size() > backup.offset() + 200);
            stop.set(true);
            writes.get();
            writer.shutdown();
            assertThat(backup.offset()).isGreaterThan(1000);
            assertThat(backup.path()).endsWith("under-load.pbkb");
            assertThat(Path.of(backup.path()))
                    .exists()
                    .startsWith(pair.primary().dataDir().resolve("backups"));
        }
        TreeMap<ByteString, ByteString> expected = new TreeMap<>(ByteString.unsignedLexicographicalComparator());
        for (long o = 1; o <= backup.offset(); o++) {
            String[] w = history.get(o);
            assertThat(w).as("the write at offset %d", o).isNotNull();
            expected.put(ByteString.copyFromUtf8(w[0]), ByteString.copyFromUtf8(w[1]));
        }
        assertThat(backup.keys()).isEqualTo(expected.size());

        // Disaster recovery: both nodes lost; a new primary starts from the backup, its empty backup catches up.
        NodeProcess.PairBuilder fresh = PairFailoverIT.pair(dir.resolve("new"));
        fresh.primary().args("--restore", backup.path());
        try (NodeProcess.Pair pair = fresh.start()) {
            awaitSync(pair.primary(), pair.backup());
            assertThat(pair.primary().status().getLastOffset()).isEqualTo(backup.offset());
            assertThat(pair.primary().dump()).isEqualTo(expected);
            assertThat(pair.backup().dump()).isEqualTo(expected);
            try (PbkvClient kv = client(pair)) {
                assertThat(kv.put("after", "restore").offset()).isEqualTo(backup.offset() + 1);
            }
        }
    }

    @Test
    void backupsPastMaxConcurrentAreRefusedWithResourceExhausted() throws Exception {
        NodeProcess.Builder b = NodeProcess.primary(dir).memory("96m").set("store.fsync", "no");
        try (NodeProcess primary = b.start();
                Jedis jedis = new Jedis("127.0.0.1", primary.respPort(), 60_000)) {
            byte[] value = new byte[1000];
            new java.util.Random(1).nextBytes(value);
            for (int batch = 0; batch < 100; batch++) {
                List<byte[]> kvs = new ArrayList<>();
                for (int i = 0; i < 500; i++) {
                    kvs.add(("big" + batch + "-" + i).getBytes(StandardCharsets.UTF_8));
                    kvs.add(value);
                }
                jedis.mset(kvs.toArray(new byte[0][]));
            }
            try (PbkvClient kv = PbkvClient.builder()
                    .endpoint(primary.grpcAddress())
                    .callTimeout(Duration.ofSeconds(60))
                    .build()) {
                int n = 3;
                CountDownLatch go = new CountDownLatch(1);
                ExecutorService pool = Executors.newFixedThreadPool(n);
                List<Future<Object>> results = new ArrayList<>();
                for (int i = 0; i < n; i++) {
                    String name = "c" + i + ".pbkb";
                    results.add(pool.submit(() -> {
                        go.await();
                        try {
                            return kv.backup(name);
                        } catch (PbkvException e) {
                            return e;
                        }
                    }));
                }
                go.countDown();
                List<Object> outcomes = new ArrayList<>();
                for (Future<Object> f : results) {
                    outcomes.add(f.get());
                }
                pool.shutdown();
                List<PbkvException> refused = outcomes.stream()
                        .filter(o -> o instanceof PbkvException)
                        .map(o -> (PbkvException) o)
                        .toList();
                assertThat(outcomes).filteredOn(o -> o instanceof BackupResult).isNotEmpty();
                assertThat(refused).isNotEmpty().allSatisfy(e -> {
                    assertThat(e.code()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
                    assertThat(e.getMessage()).contains("1 backups are running (backup.max-concurrent = 1)");
                });
            }
        }
    }

    @Test
    void respSaveBgsaveAndLastsaveAndTheBackupRefuses() throws Exception {
        try (NodeProcess.Pair pair = PairFailoverIT.startInSync(dir);
                Jedis jedis = PairFailoverIT.resp(pair.primary());
                Jedis onBackup = PairFailoverIT.resp(pair.backup())) {
            jedis.set("a", "1");
            assertThat(jedis.lastsave()).isZero();
            long before = System.currentTimeMillis() / 1000;
            assertThat(jedis.save()).isEqualTo("OK");
            long saved = jedis.lastsave();
            assertThat(saved).isBetween(before, System.currentTimeMillis() / 1000 + 1);
            assertThat(jedis.bgsave()).isEqualTo("Background saving started");
            Path backups = pair.primary().dataDir().resolve("backups");
            await().atMost(Duration.ofSeconds(60)).until(() -> pbkbFiles(backups) == 2);
            assertThatRefused(onBackup::save).contains("READONLY");
            assertThatRefused(onBackup::bgsave).contains("READONLY");
        }
    }

    @Test
    void cliBackupCopiesTheFileOnLoopback() throws Exception {
        try (NodeProcess primary = NodeProcess.primary(dir).start();
                PbkvClient kv =
                        PbkvClient.builder().endpoint(primary.grpcAddress()).build()) {
            kv.put("x", "y");
            Path out = dir.resolve("copy.pbkb");
            ByteArrayOutputStream stdout = new ByteArrayOutputStream();
            ByteArrayOutputStream stderr = new ByteArrayOutputStream();
            int code = PbkvCli.run(
                    new PrintStream(stdout, true, StandardCharsets.UTF_8),
                    new PrintStream(stderr, true, StandardCharsets.UTF_8),
                    InputStream.nullInputStream(),
                    Map.of(),
                    "--server",
                    primary.grpcAddress(),
                    "backup",
                    "--name",
                    "cli.pbkb",
                    "--out",
                    out.toString());
            String printed = stdout.toString(StandardCharsets.UTF_8);
            assertThat(code).as(stderr.toString(StandardCharsets.UTF_8)).isZero();
            assertThat(printed).contains("offset: 1", "keys: 1", "copied: " + out);
            Path made = primary.dataDir().resolve("backups").resolve("cli.pbkb");
            assertThat(Files.mismatch(made, out)).isEqualTo(-1L);
            // The same name again: refused, the file is kept.
            assertThat(PbkvCli.run(
                            new PrintStream(new ByteArrayOutputStream()),
                            new PrintStream(stderr, true, StandardCharsets.UTF_8),
                            InputStream.nullInputStream(),
                            Map.of(),
                            "--server",
                            primary.grpcAddress(),
                            "backup",
                            "--name",
                            "cli.pbkb"))
                    .isEqualTo(PbkvCli.OTHER);
            assertThat(stderr.toString(StandardCharsets.UTF_8)).contains("exists");
        }
    }

    @Test
    void restoreIsRefusedIntoANonEmptyStoreAndFromADamagedFile() throws Exception {
        Path file;
        NodeProcess.Builder b = NodeProcess.primary(dir);
        try (NodeProcess primary = b.start();
                PbkvClient kv =
                        PbkvClient.builder().endpoint(primary.grpcAddress()).build()) {
            kv.put("mine", "keep");
            file = Path.of(kv.backup("").path());
            assertThat(file.getFileName().toString()).matches("backup-1-\\d{8}T\\d{6}\\.\\d{3}Z\\.pbkb");
        }
        NodeProcess again =
                NodeProcess.primary(dir).args("--restore", file.toString()).build();
        try (again) {
            again.startNoWait();
            assertThat(again.waitForExit(Duration.ofSeconds(60))).isTrue();
            assertThat(again.exitValue()).isEqualTo(1);
            assertThat(again.logTail(40)).contains("restore refused", "the store is not empty (1 keys, last offset 1)");
        }
        byte[] all = Files.readAllBytes(file);
        Path cut = dir.resolve("cut.pbkb");
        Files.write(cut, java.util.Arrays.copyOf(all, all.length - 7));
        NodeProcess fromCut = NodeProcess.primary(dir.resolve("other"))
                .args("--restore", cut.toString())
                .build();
        try (fromCut) {
            fromCut.startNoWait();
            assertThat(fromCut.waitForExit(Duration.ofSeconds(60))).isTrue();
            assertThat(fromCut.exitValue()).isEqualTo(1);
            assertThat(fromCut.logTail(40)).contains("truncated or corrupt", "nothing was loaded");
        }
        assertThat(dir.resolve("other/primary/store")).doesNotExist();
    }

    private static org.assertj.core.api.AbstractStringAssert<?> assertThatRefused(Runnable call) {
        try {
            call.run();
        } catch (JedisDataException e) {
            return assertThat(e.getMessage());
        }
        throw new AssertionError("not refused");
    }

    private static long pbkbFiles(Path dir) throws java.io.IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.toString().endsWith(".pbkb")).count();
        }
    }

    private static void record(Map<Long, String[]> history, WriteResult r, String key, String value) {
        history.put(r.offset(), new String[] {key, value});
    }
}
