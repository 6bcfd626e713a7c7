package dev.pbkv.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import dev.pbkv.client.PbkvClient;
import dev.pbkv.testkit.NodeProcess;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.Pipeline;
import redis.clients.jedis.Response;

/**
 * Under fsync no the event loops of the RESP, gRPC and HTTP doors write their turns' log records
 * themselves and answer them in the same turn (TurnLogWrites). Against a real node: pipelined
 * writes and reads from several connections come back in request order with the values just
 * written, and every acknowledged write is still there after kill -9 (it was written to the OS
 * before it was answered).
 */
class FsyncNoTurnWritesIT {
    @TempDir
    Path dir;

    private NodeProcess.Builder node() {
        return NodeProcess.primary(dir).set("store.fsync", "no");
    }

    @Test
    void respPipelinedWritesAnswerInOrderAndSurviveKill9() throws Exception {
        int clients = 4;
        int rounds = 20;
        int perRound = 100;
        try (NodeProcess primary = node().start()) {
            ExecutorService pool = Executors.newFixedThreadPool(clients);
            try {
                List<Future<Integer>> acked = new ArrayList<>();
                for (int c = 0; c < clients; c++) {
                    int id = c;
                    acked.add(pool.submit(() -> {
                        int ok = 0;
                        try (Jedis jedis = new Jedis("127.0.0.1", primary.respPort(), 30_000)) {
                            for (int r = 0; r < rounds; r++) {
                                Pipeline p = jedis.pipelined();
                                List<Response<String>> sets = new ArrayList<>();
                                List<Response<String>> gets = new ArrayList<>();
                                for (int i = 0; i < perRound; i++) {
                                    String key = "c" + id + ":" + (r * perRound + i);
                                    sets.add(p.set(key, "v" + r + "-" + i));
                                    gets.add(p.get(key));
                                }
                                p.sync();
                                for (int i = 0; i < perRound; i++) {
                                    assertThat(sets.get(i).get()).isEqualTo("OK");
                                    // The read after the write, on the same connection, sees it.
                                    assertThat(gets.get(i).get()).isEqualTo("v" + r + "-" + i);
                                    ok++;
                                }
                            }
                        }
                        return ok;
                    }));
                }
                int total = 0;
                for (Future<Integer> f : acked) {
                    total += f.get(120, TimeUnit.SECONDS);
                }
                assertThat(total).isEqualTo(clients * rounds * perRound);
            } finally {
                pool.shutdownNow();
            }
            primary.kill();
        }
        // A primary restarted without its peer waits for it before it serves (it cannot know whether
        // the peer took over); its own copy is what this checks, read as a stale dump.
        try (NodeProcess again = node().readiness(NodeProcess.Readiness.UP).start()) {
            TreeMap<ByteString, ByteString> kept = again.dump();
            assertThat(kept).hasSize(clients * rounds * perRound);
            for (int c = 0; c < clients; c++) {
                for (int k = 0; k < rounds * perRound; k++) {
                    assertThat(kept.get(ByteString.copyFromUtf8("c" + c + ":" + k)))
                            .isEqualTo(ByteString.copyFromUtf8("v" + (k / perRound) + "-" + (k % perRound)));
                }
            }
        }
    }

    @Test
    void grpcWritesFromManyCallersSurviveKill9() throws Exception {
        int callers = 8;
        int perCaller = 400;
        try (NodeProcess primary = node().start();
                PbkvClient kv = PbkvClient.builder()
                        .endpoint(primary.grpcAddress())
                        .callTimeout(Duration.ofSeconds(30))
                        .build()) {
            ExecutorService pool = Executors.newFixedThreadPool(callers);
            try {
                List<Future<?>> done = new ArrayList<>();
                for (int c = 0; c < callers; c++) {
                    int id = c;
                    done.add(pool.submit(() -> {
                        for (int i = 0; i < perCaller; i++) {
                            kv.put("g" + id + ":" + i, "w" + i);
                            assertThat(kv.get("g" + id + ":" + i)).contains("w" + i);
                        }
                        return null;
                    }));
                }
                for (Future<?> f : done) {
                    f.get(120, TimeUnit.SECONDS);
                }
            } finally {
                pool.shutdownNow();
            }
            primary.kill();
        }
        try (NodeProcess again = node().readiness(NodeProcess.Readiness.UP).start()) {
            TreeMap<ByteString, ByteString> kept = again.dump();
            assertThat(kept).hasSize(callers * perCaller);
            for (int c = 0; c < callers; c++) {
                for (int i = 0; i < perCaller; i++) {
                    assertThat(kept.get(ByteString.copyFromUtf8("g" + c + ":" + i)))
                            .isEqualTo(ByteString.copyFromUtf8("w" + i));
                }
            }
        }
    }

    @Test
    void httpInsertsAndDeletesSurviveKill9() throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        try (NodeProcess primary = node().start()) {
            String base = "http://127.0.0.1:" + primary.httpPort();
            for (int i = 0; i < 300; i++) {
                assertThat(post(http, base + "/kv/insert", "key=h" + i + "&value=v" + i))
                        .contains("\"success\":\"true\"");
            }
            for (int i = 0; i < 300; i += 3) {
                assertThat(post(http, base + "/kv/delete", "key=h" + i)).contains("\"value\":\"v" + i + "\"");
            }
            primary.kill();
        }
        try (NodeProcess again = node().readiness(NodeProcess.Readiness.UP).start()) {
            TreeMap<ByteString, ByteString> kept = again.dump();
            assertThat(kept).hasSize(200);
            for (int i = 0; i < 300; i++) {
                ByteString v = kept.get(ByteString.copyFromUtf8("h" + i));
                assertThat(v).isEqualTo(i % 3 == 0 ? null : ByteString.copyFromUtf8("v" + i));
            }
        }
    }

    private static String post(HttpClient http, String uri, String form) throws Exception {
        HttpResponse<String> r = http.send(
                HttpRequest.newBuilder(URI.create(uri))
                        .header("Content-Type", "application/x-www-form-urlencoded")
                        .POST(HttpRequest.BodyPublishers.ofString(form))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return r.body();
    }
}
