package dev.pbkv.server.pair;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import dev.pbkv.client.BatchResult;
import dev.pbkv.client.PbkvClient;
import dev.pbkv.client.PbkvException;
import dev.pbkv.client.PromoteResult;
import dev.pbkv.client.WriteBatch;
import dev.pbkv.client.WriteStatus;
import dev.pbkv.proto.NodeState;
import dev.pbkv.proto.Role;
import dev.pbkv.testkit.NodeProcess;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.Transaction;

/** Atomic batches on a pair of real processes: replicated whole, and whole or absent after kill -9 and failover. */
class BatchPairIT {
    private static final int KEYS = 8;

    @TempDir
    Path dir;

    private static ByteString bs(String s) {
        return ByteString.copyFromUtf8(s);
    }

    @Test
    void batchesAreAtomicThroughEveryDoorAndAcrossAKillAndFailover() throws Exception {
        try (NodeProcess.Pair pair = PairFailoverIT.startInSync(dir);
                PbkvClient client = PairFailoverIT.client(pair, Duration.ofSeconds(3))) {
            NodeProcess primary = pair.primary();
            NodeProcess backup = pair.backup();

            // gRPC: one batch on both nodes; a failed insert condition applies nothing.
            BatchResult ok = client.batch(new WriteBatch()
                    .put("a", "1")
                    .put("b", "2")
                    .delete("absent")
                    .get("a"));
            assertThat(ok.isOk()).isTrue();
            assertThat(new String(ok.before().get(3).orElseThrow(), StandardCharsets.UTF_8))
                    .isEqualTo("1");
            BatchResult refused = client.batch(new WriteBatch().put("c", "3").insert("a", "again"));
            assertThat(refused.status()).isEqualTo(WriteStatus.ALREADY_EXISTS);
            long acked = primary.status().getLastOffset();
            org.awaitility.Awaitility.await()
                    .atMost(PairFailoverIT.STATE_WAIT)
                    .until(() -> backup.status().getLastOffset() >= acked);
            for (NodeProcess node : List.of(primary, backup)) {
                TreeMap<ByteString, ByteString> dump = node.dump();
                assertThat(dump).containsEntry(bs("a"), bs("1")).containsEntry(bs("b"), bs("2"));
                assertThat(dump).doesNotContainKey(bs("c"));
            }

            // Past limits.max-batch-ops (1000 by default): INVALID_ARGUMENT, nothing applied.
            WriteBatch tooBig = new WriteBatch();
            for (int i = 0; i < 1001; i++) {
                tooBig.put("big/" + i, "x");
            }
            assertThatThrownBy(() -> client.batch(tooBig))
                    .isInstanceOf(PbkvException.class)
                    .hasMessageContaining("limits.max-batch-ops");
            assertThat(primary.dump()).doesNotContainKey(bs("big/0"));

            // bin/pbkv batch
            java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
            java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();
            int code = dev.pbkv.client.cli.PbkvCli.run(
                    new java.io.PrintStream(out, true, StandardCharsets.UTF_8),
                    new java.io.PrintStream(err, true, StandardCharsets.UTF_8),
                    java.io.InputStream.nullInputStream(),
                    java.util.Map.of(),
                    "--server",
                    primary.grpcAddress(),
                    "batch",
                    "put",
                    "cli1",
                    "one",
                    "del",
                    "b",
                    "get",
                    "cli1");
            assertThat(code).as("stderr: %s", err).isZero();
            assertThat(out.toString(StandardCharsets.UTF_8)).isEqualTo("OK\none\n");
            assertThat(primary.dump()).containsEntry(bs("cli1"), bs("one")).doesNotContainKey(bs("b"));

            // RESP over a real socket: MSET, MSETNX, multi-key DEL, MULTI/EXEC.
            try (Jedis jedis = PairFailoverIT.resp(primary)) {
                assertThat(jedis.mset("r1", "x", "r2", "y")).isEqualTo("OK");
                assertThat(jedis.msetnx("r3", "z", "r1", "no")).isZero();
                assertThat(jedis.exists("r3")).isFalse();
                assertThat(jedis.msetnx("r3", "z", "r4", "w")).isEqualTo(1);
                assertThat(jedis.del("r1", "r2", "nope")).isEqualTo(2);
                Transaction t = jedis.multi();
                t.set("t1", "v1");
                t.get("t1");
                t.del("r3");
                List<Object> replies = t.exec();
                assertThat(replies).containsExactly("OK", "v1", 1L);
                assertThat(jedis.mget("t1", "r3", "r4")).containsExactly("v1", null, "w");
            }

            // HTTP: the delete answers the value it deleted.
            HttpResponse<String> deleted = java.net.http.HttpClient.newHttpClient()
                    .send(
                            java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:"
                                            + primary.nodeInfo()
                                                    .orElseThrow()
                                                    .path("http")
                                                    .asInt()
                                            + "/kv/delete"))
                                    .header("Content-Type", "application/x-www-form-urlencoded")
                                    .POST(java.net.http.HttpRequest.BodyPublishers.ofString("key=t1"))
                                    .build(),
                            HttpResponse.BodyHandlers.ofString());
            assertThat(deleted.body()).contains("\"success\":\"true\"", "\"value\":\"v1\"");

            // kill -9 of the primary during a stream of batches: each batch is whole or absent.
            AtomicLong lastAcked = new AtomicLong(-1);
            AtomicBoolean stop = new AtomicBoolean();
            Thread writer = new Thread(
                    () -> {
                        for (int i = 0; !stop.get(); i++) {
                            WriteBatch b = new WriteBatch();
                            for (int k = 0; k < KEYS; k++) {
                                b.put("m/" + k, "v" + i);
                            }
                            try {
                                if (client.batch(b).isOk()) {
                                    lastAcked.set(i);
                                }
                            } catch (PbkvException e) {
                                // not acknowledged: all of it or none of it may survive
                            }
                        }
                    },
                    "batch-writer");
            writer.start();
            try {
                org.awaitility.Awaitility.await()
                        .atMost(PairFailoverIT.STATE_WAIT)
                        .until(() -> lastAcked.get() >= 100);
                primary.kill();
                long ackedBeforeKill = lastAcked.get();
                PromoteResult promoted = client.promote(PairFailoverIT.endpoint(backup), true);
                assertThat(promoted.promoted()).as("%s", promoted).isTrue();
                backup.awaitState(Role.PRIMARY, NodeState.BOOTSTRAP, PairFailoverIT.STATE_WAIT);
                long target = ackedBeforeKill + 20;
                org.awaitility.Awaitility.await()
                        .atMost(PairFailoverIT.STATE_WAIT)
                        .until(() -> lastAcked.get() >= target);
            } finally {
                stop.set(true);
                writer.join(60_000);
            }
            TreeMap<ByteString, ByteString> dump = backup.dump();
            Set<String> values = new TreeSet<>();
            List<String> missing = new ArrayList<>();
            for (int k = 0; k < KEYS; k++) {
                ByteString v = dump.get(bs("m/" + k));
                if (v == null) {
                    missing.add("m/" + k);
                } else {
                    values.add(v.toStringUtf8());
                }
            }
            assertThat(missing).as("keys of the batches").isEmpty();
            assertThat(values).as("every key holds the same batch's value").hasSize(1);
            long held = Long.parseLong(values.iterator().next().substring(1));
            assertThat(held).as("the last acknowledged batch is there").isGreaterThanOrEqualTo(lastAcked.get());
            assertThat(dump)
                    .containsEntry(bs("a"), bs("1"))
                    .containsEntry(bs("r4"), bs("w"))
                    .containsEntry(bs("cli1"), bs("one"));
        }
    }
}
