package dev.pbkv.server.resp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import dev.pbkv.proto.GetRequest;
import dev.pbkv.proto.KeyValueGrpc;
import dev.pbkv.testkit.NodeProcess;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.Pipeline;
import redis.clients.jedis.Protocol;
import redis.clients.jedis.Response;
import redis.clients.jedis.exceptions.JedisDataException;
import redis.clients.jedis.params.SetParams;

/**
 * Jedis and a raw socket against the RESP port of real node processes (started by
 * {@link NodeProcess}): the commands over the real store, INFO showing the real node's role,
 * state and epoch, one command layer behind RESP, gRPC and HTTP, and a write to the backup of a
 * real pair answered with the primary's address.
 */
class RespNodeIT {
    @TempDir
    static Path dir;

    static NodeProcess.Pair pair;
    static Jedis primary;

    @BeforeAll
    static void startPair() {
        pair = NodeProcess.pair(dir).start();
        primary = jedisOn(pair.primary());
    }

    @AfterAll
    static void stopPair() {
        if (primary != null) {
            primary.close();
        }
        if (pair != null) {
            pair.close();
        }
    }

    static int respPort(NodeProcess node) {
        return node.nodeInfo().orElseThrow().path("resp").asInt();
    }

    static int httpPort(NodeProcess node) {
        return node.nodeInfo().orElseThrow().path("http").asInt();
    }

    static Jedis jedisOn(NodeProcess node) {
        return new Jedis("127.0.0.1", respPort(node), 30_000);
    }

    @Test
    void setGetWithNxAndXxOverTheRealStore() {
        assertThat(primary.set("r:a", "1")).isEqualTo("OK");
        assertThat(primary.get("r:a")).isEqualTo("1");
        assertThat(primary.get("r:absent")).isNull();
        // NX: only if absent (an insert); XX: only if present (an update). Redis answers nil when refused.
        assertThat(primary.set("r:a", "2", SetParams.setParams().nx())).isNull();
        assertThat(primary.get("r:a")).isEqualTo("1");
        assertThat(primary.set("r:a", "3", SetParams.setParams().xx())).isEqualTo("OK");
        assertThat(primary.get("r:a")).isEqualTo("3");
        assertThat(primary.set("r:new", "x", SetParams.setParams().xx())).isNull();
        assertThat(primary.exists("r:new")).isFalse();
        assertThat(primary.set("r:new", "x", SetParams.setParams().nx())).isEqualTo("OK");
        assertThat(primary.get("r:new")).isEqualTo("x");
        // SET EX on the real store gives the key a deadline (docs/expiry.md; RespExpiryIT has the rest).
        assertThat(primary.set("r:a", "4", SetParams.setParams().ex(100))).isEqualTo("OK");
        assertThat(primary.get("r:a")).isEqualTo("4");
        assertThat(primary.ttl("r:a")).isBetween(1L, 100L);
        assertThatThrownBy(() -> primary.sendCommand(Protocol.Command.SET, "r:a", "5", "EX", "0"))
                .isInstanceOf(JedisDataException.class)
                .hasMessageContaining("invalid expire time");
        assertThat(primary.get("r:a")).isEqualTo("4");
    }

    @Test
    void delExistsDbsizeMgetMsetAndPing() {
        long before = primary.dbSize();
        assertThat(primary.mset("m:1", "one", "m:2", "two", "m:3", "three")).isEqualTo("OK");
        assertThat(primary.dbSize()).isEqualTo(before + 3);
        assertThat(primary.mget("m:1", "m:missing", "m:3")).containsExactly("one", null, "three");
        assertThat(primary.exists("m:1", "m:2", "m:missing", "m:1")).isEqualTo(3);
        assertThat(primary.del("m:1", "m:2", "m:missing")).isEqualTo(2);
        assertThat(primary.exists("m:1")).isFalse();
        assertThat(primary.get("m:3")).isEqualTo("three");
        assertThat(primary.dbSize()).isEqualTo(before + 1);
        assertThat(primary.ping()).isEqualTo("PONG");
        assertThat(primary.ping("hello")).isEqualTo("hello");
        assertThat(primary.echo("e")).isEqualTo("e");
    }

    @Test
    void infoShowsTheRealNodesRoleStateAndEpoch() {
        String info = primary.info();
        assertThat(info)
                .contains(
                        "# Replication",
                        "role:master",
                        "pbkv_role:PRIMARY",
                        "pbkv_state:SYNC",
                        "connected_slaves:1",
                        "pbkv_peer_address:" + pair.backup().grpcAddress());
        assertThat(field(info, "pbkv_epoch")).isGreaterThanOrEqualTo(1);
        try (Jedis backup = jedisOn(pair.backup())) {
            String b = backup.info("replication");
            assertThat(b)
                    .contains(
                            "role:slave",
                            "pbkv_role:BACKUP",
                            "pbkv_state:SYNC",
                            "pbkv_primary_address:" + pair.primary().grpcAddress(),
                            "master_port:" + pair.primary().grpcPort());
            // Both nodes of a pair in SYNC are in the same epoch.
            assertThat(field(b, "pbkv_epoch")).isEqualTo(field(info, "pbkv_epoch"));
        }
    }

    static long field(String info, String name) {
        return info.lines()
                .filter(l -> l.startsWith(name + ":"))
                .findFirst()
                .map(l -> Long.parseLong(l.substring(name.length() + 1).trim()))
                .orElseThrow(() -> new AssertionError(name + " not in INFO:\n" + info));
    }

    @Test
    void pipelinedRequestsAreAnsweredInOrder() {
        List<Response<String>> gets = new ArrayList<>();
        Pipeline p = primary.pipelined();
        for (int i = 0; i < 500; i++) {
            p.set("p:" + i, "v" + i);
            gets.add(p.get("p:" + i));
        }
        Response<Long> deleted = p.del("p:0", "p:1");
        Response<String> afterDelete = p.get("p:0");
        p.sync();
        for (int i = 0; i < 500; i++) {
            assertThat(gets.get(i).get()).isEqualTo("v" + i);
        }
        assertThat(deleted.get()).isEqualTo(2);
        assertThat(afterDelete.get()).isNull();
    }

    @Test
    void aWriteToTheBackupNamesThePrimary() {
        try (Jedis backup = jedisOn(pair.backup())) {
            assertThatThrownBy(() -> backup.set("b:k", "v"))
                    .isInstanceOf(JedisDataException.class)
                    .hasMessageStartingWith("READONLY")
                    .hasMessageContaining("primary is " + pair.primary().grpcAddress());
            assertThatThrownBy(() -> backup.del("b:k"))
                    .hasMessageContaining("primary is " + pair.primary().grpcAddress());
        }
        assertThat(primary.exists("b:k")).isFalse();
    }

    @Test
    void aValueWrittenOverRespIsReadOverGrpcAndHttp() throws Exception {
        primary.set("one-layer", "from resp");
        var kv = KeyValueGrpc.newBlockingStub(pair.primary().channel()).withDeadlineAfter(30, TimeUnit.SECONDS);
        assertThat(kv.get(GetRequest.newBuilder()
                                .setKey(ByteString.copyFromUtf8("one-layer"))
                                .build())
                        .getValue()
                        .toStringUtf8())
                .isEqualTo("from resp");
        HttpResponse<String> r = HttpClient.newHttpClient()
                .send(
                        HttpRequest.newBuilder(URI.create(
                                        "http://127.0.0.1:" + httpPort(pair.primary()) + "/kv/get?key=one-layer"))
                                .timeout(Duration.ofSeconds(30))
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).contains("\"value\":\"from resp\"", "\"success\":\"true\"");
    }

    @Test
    void inlineCommandsOverARawSocketAsAPersonTypesThem() throws Exception {
        try (Socket s = new Socket("127.0.0.1", respPort(pair.primary()))) {
            s.setSoTimeout(30_000);
            OutputStream out = s.getOutputStream();
            BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8));
            out.write(("PUT greeting \"hello world\"\r\nGET greeting\r\nEXISTS greeting\r\nDELETE greeting\r\n"
                            + "GET greeting\r\n\r\nbogus a b\r\nCOUNT\nEND\r\n")
                    .getBytes(StandardCharsets.UTF_8));
            out.flush();
            assertThat(in.readLine()).isEqualTo("+OK");
            assertThat(in.readLine()).isEqualTo("$11");
            assertThat(in.readLine()).isEqualTo("hello world");
            assertThat(in.readLine()).isEqualTo(":1");
            assertThat(in.readLine()).isEqualTo(":1");
            assertThat(in.readLine()).isEqualTo("$-1");
            assertThat(in.readLine()).startsWith("-ERR unknown command 'bogus'");
            assertThat(in.readLine()).matches(":\\d+");
            assertThat(in.readLine()).isEqualTo("+OK");
            assertThat(in.readLine()).as("END closes the connection").isNull();
        }
    }
}
