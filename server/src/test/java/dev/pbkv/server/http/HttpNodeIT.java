package dev.pbkv.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.ByteString;
import dev.pbkv.proto.GetRequest;
import dev.pbkv.proto.KeyValueGrpc;
import dev.pbkv.proto.WriteRequest;
import dev.pbkv.testkit.NodeProcess;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import redis.clients.jedis.Jedis;

/**
 * java.net.http against the HTTP port of a real pair of node processes: every endpoint of the
 * contract, /health, /metrics counting the requests of all three doors in the one NodeMetrics,
 * a write to the backup refused with the primary's address, and /kvman/shutdown stopping a node.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class HttpNodeIT {
    static final ObjectMapper JSON = new ObjectMapper();
    static final HttpClient HTTP =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    @TempDir
    static Path dir;

    static NodeProcess.Pair pair;

    @BeforeAll
    static void startPair() {
        pair = NodeProcess.pair(dir).start();
    }

    @AfterAll
    static void stopPair() {
        if (pair != null) {
            pair.close();
        }
    }

    static String base(NodeProcess node) {
        return "http://127.0.0.1:" + node.nodeInfo().orElseThrow().path("http").asInt();
    }

    static HttpResponse<String> post(NodeProcess node, String path, String form) throws Exception {
        return HTTP.send(
                HttpRequest.newBuilder(URI.create(base(node) + path))
                        .timeout(Duration.ofSeconds(30))
                        .header("Content-Type", "application/x-www-form-urlencoded")
                        .POST(HttpRequest.BodyPublishers.ofString(form))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }

    static HttpResponse<String> get(NodeProcess node, String pathAndQuery) throws Exception {
        return HTTP.send(
                HttpRequest.newBuilder(URI.create(base(node) + pathAndQuery))
                        .timeout(Duration.ofSeconds(30))
                        .GET()
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }

    static JsonNode json(HttpResponse<String> r) throws Exception {
        return JSON.readTree(r.body());
    }

    static String form(String key, String value) {
        return "key=" + URLEncoder.encode(key, StandardCharsets.UTF_8)
                + (value == null ? "" : "&value=" + URLEncoder.encode(value, StandardCharsets.UTF_8));
    }

    @Test
    @Order(1)
    void insertUpdateGetDeleteFollowTheContract() throws Exception {
        NodeProcess p = pair.primary();
        HttpResponse<String> r = post(p, "/kv/insert", form("h:k", "v 1&é"));
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(json(r).path("success").asText()).isEqualTo("true");

        r = post(p, "/kv/insert", form("h:k", "again"));
        assertThat(r.statusCode()).isEqualTo(409);
        assertThat(json(r).path("success").asText()).isEqualTo("false");
        assertThat(json(r).path("code").asText()).isEqualTo("ALREADY_EXISTS");

        r = get(p, "/kv/get?key=h%3Ak");
        assertThat(json(r).path("success").asText()).isEqualTo("true");
        assertThat(json(r).path("value").asText()).isEqualTo("v 1&é");

        r = post(p, "/kv/update", form("h:k", "v2"));
        assertThat(json(r).path("success").asText()).isEqualTo("true");
        assertThat(json(get(p, "/kv/get?key=h:k")).path("value").asText()).isEqualTo("v2");

        r = post(p, "/kv/update", form("h:absent", "v"));
        assertThat(r.statusCode()).isEqualTo(404);
        assertThat(json(r).path("success").asText()).isEqualTo("false");

        r = post(p, "/kv/delete", form("h:k", null));
        assertThat(json(r).path("success").asText()).isEqualTo("true");
        assertThat(json(r).path("value").asText()).isEqualTo("v2");
        r = get(p, "/kv/get?key=h:k");
        assertThat(r.statusCode()).isEqualTo(404);
        assertThat(json(r).path("success").asText()).isEqualTo("false");

        r = post(p, "/kv/insert", "value=no-key");
        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(json(r).path("error").asText()).contains("missing field 'key'");
    }

    @Test
    @Order(2)
    void countkeyAndDumpSeeTheRealStore() throws Exception {
        NodeProcess p = pair.primary();
        long before = json(get(p, "/kvman/countkey")).path("result").asLong();
        post(p, "/kv/insert", form("d:1", "one"));
        post(p, "/kv/insert", form("d:2", "two"));
        assertThat(json(get(p, "/kvman/countkey")).path("result").asLong()).isEqualTo(before + 2);
        HttpResponse<String> dump = get(p, "/kvman/dump");
        assertThat(dump.statusCode()).isEqualTo(200);
        JsonNode all = json(dump);
        assertThat(all.size()).isEqualTo(before + 2);
        assertThat(all.path("d:1").asText()).isEqualTo("one");
        assertThat(all.path("d:2").asText()).isEqualTo("two");
    }

    @Test
    @Order(3)
    void healthShowsTheRealRolesAndState() throws Exception {
        HttpResponse<String> r = get(pair.primary(), "/health");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(json(r).path("status").asText()).isEqualTo("UP");
        assertThat(json(r).path("role").asText()).isEqualTo("PRIMARY");
        assertThat(json(r).path("state").asText()).isEqualTo("SYNC");
        assertThat(json(r).path("peerConnected").asBoolean()).isTrue();
        JsonNode b = json(get(pair.backup(), "/health"));
        assertThat(b.path("role").asText()).isEqualTo("BACKUP");
        assertThat(b.path("epoch").asLong()).isEqualTo(json(r).path("epoch").asLong());
    }

    @Test
    @Order(4)
    void aWriteToTheBackupFailsNamingThePrimary() throws Exception {
        HttpResponse<String> r = post(pair.backup(), "/kv/insert", form("b:k", "v"));
        assertThat(r.statusCode()).isEqualTo(503);
        JsonNode body = json(r);
        assertThat(body.path("success").asText()).isEqualTo("false");
        assertThat(body.path("code").asText()).isEqualTo("UNAVAILABLE");
        assertThat(body.path("primary").asText()).isEqualTo(pair.primary().grpcAddress());
        assertThat(r.headers().firstValue("X-Pbkv-Primary"))
                .contains(pair.primary().grpcAddress());
        assertThat(get(pair.primary(), "/kv/get?key=b:k").statusCode()).isEqualTo(404);
    }

    @Test
    @Order(5)
    void oneCommandLayerAndOneSetOfMetricsBehindAllThreeDoors() throws Exception {
        NodeProcess p = pair.primary();
        var kv = KeyValueGrpc.newBlockingStub(p.channel()).withDeadlineAfter(30, TimeUnit.SECONDS);
        kv.put(WriteRequest.newBuilder()
                .setKey(ByteString.copyFromUtf8("x:grpc"))
                .setValue(ByteString.copyFromUtf8("from grpc"))
                .build());
        try (Jedis jedis =
                new Jedis("127.0.0.1", p.nodeInfo().orElseThrow().path("resp").asInt(), 30_000)) {
            assertThat(jedis.get("x:grpc")).isEqualTo("from grpc");
            jedis.set("x:resp", "from resp");
            jedis.get("x:resp");
        }
        assertThat(json(get(p, "/kv/get?key=x:resp")).path("value").asText()).isEqualTo("from resp");
        assertThat(kv.get(GetRequest.newBuilder()
                                .setKey(ByteString.copyFromUtf8("x:resp"))
                                .build())
                        .getValue()
                        .toStringUtf8())
                .isEqualTo("from resp");

        HttpResponse<String> m = get(p, "/metrics");
        assertThat(m.statusCode()).isEqualTo(200);
        String text = m.body();
        assertThat(count(text, "resp", "get", "success")).isGreaterThanOrEqualTo(2);
        assertThat(count(text, "resp", "set", "success")).isGreaterThanOrEqualTo(1);
        assertThat(count(text, "http", "get", "success")).isGreaterThanOrEqualTo(1);
        assertThat(count(text, "http", "insert", "failure")).isGreaterThanOrEqualTo(1);
        assertThat(count(text, "grpc", "put", "success")).isGreaterThanOrEqualTo(1);
        assertThat(count(text, "grpc", "get", "success")).isGreaterThanOrEqualTo(1);
        assertThat(text).contains("pbkv_state{state=\"SYNC\"} 1.0", "pbkv_role{role=\"PRIMARY\"} 1.0");
    }

    /** The value of pbkv_requests_seconds_count for these labels (labels in Prometheus's sorted order), or -1. */
    static double count(String metrics, String door, String command, String outcome) {
        Matcher m = Pattern.compile("^pbkv_requests_seconds_count\\{([^}]*)\\} (\\S+)$", Pattern.MULTILINE)
                .matcher(metrics);
        while (m.find()) {
            String labels = m.group(1);
            if (labels.contains("door=\"" + door + "\"")
                    && labels.contains("command=\"" + command + "\"")
                    && labels.contains("outcome=\"" + outcome + "\"")) {
                return Double.parseDouble(m.group(2));
            }
        }
        return -1;
    }

    @Test
    @Order(6)
    void shutdownStopsTheNode() throws Exception {
        HttpResponse<String> r = get(pair.backup(), "/kvman/shutdown");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(json(r).path("success").asText()).isEqualTo("true");
        assertThat(pair.backup().waitForExit(NodeProcess.STOP_TIMEOUT))
                .as("backup exits after /kvman/shutdown")
                .isTrue();
    }
}
