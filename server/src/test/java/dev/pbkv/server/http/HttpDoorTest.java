package dev.pbkv.server.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.pbkv.server.command.ErrorCode;
import dev.pbkv.server.resp.InMemoryCommands;
import dev.pbkv.server.role.NodeState;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** java.net.http against an HttpDoor on a loopback port, backed by the in-memory command layer. */
class HttpDoorTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int MAX_BODY = 64 * 1024;

    private InMemoryCommands commands;
    private HttpDoor door;
    private HttpClient http;

    @BeforeEach
    void start() throws Exception {
        commands = new InMemoryCommands();
        door = new HttpDoor(commands, new HttpSettings("127.0.0.1", 0, MAX_BODY, 4096, 1));
        door.start();
        http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    }

    @AfterEach
    void stop() {
        door.close();
        commands.close();
    }

    private URI uri(String pathAndQuery) {
        return URI.create("http://127.0.0.1:" + door.port() + pathAndQuery);
    }

    private HttpResponse<String> post(String path, String form) throws Exception {
        return http.send(
                HttpRequest.newBuilder(uri(path))
                        .timeout(Duration.ofSeconds(10))
                        .header("Content-Type", "application/x-www-form-urlencoded")
                        .POST(HttpRequest.BodyPublishers.ofString(form))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> get(String pathAndQuery) throws Exception {
        return http.send(
                HttpRequest.newBuilder(uri(pathAndQuery))
                        .timeout(Duration.ofSeconds(10))
                        .GET()
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static JsonNode json(HttpResponse<String> response) throws Exception {
        assertThat(response.headers().firstValue("content-type"))
                .hasValueSatisfying(t -> assertThat(t).startsWith("application/json"));
        return JSON.readTree(response.body());
    }

    private static String form(String... namesAndValues) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < namesAndValues.length; i += 2) {
            if (b.length() > 0) {
                b.append('&');
            }
            b.append(URLEncoder.encode(namesAndValues[i], StandardCharsets.UTF_8))
                    .append('=')
                    .append(URLEncoder.encode(namesAndValues[i + 1], StandardCharsets.UTF_8));
        }
        return b.toString();
    }

    @Test
    void insertGetUpdateDeleteFollowTheContract() throws Exception {
        HttpResponse<String> inserted = post("/kv/insert", form("key", "a", "value", "1"));
        assertThat(inserted.statusCode()).isEqualTo(200);
        assertThat(inserted.body()).isEqualTo("{\"success\":\"true\"}");

        HttpResponse<String> again = post("/kv/insert", form("key", "a", "value", "9"));
        assertThat(again.statusCode()).isEqualTo(409);
        assertThat(json(again).get("success").asText()).isEqualTo("false");
        assertThat(json(again).get("error").asText()).isEqualTo("key exists");

        HttpResponse<String> got = get("/kv/get?key=a");
        assertThat(got.statusCode()).isEqualTo(200);
        assertThat(got.body()).isEqualTo("{\"success\":\"true\",\"value\":\"1\"}");

        assertThat(post("/kv/update", form("key", "a", "value", "2")).body()).isEqualTo("{\"success\":\"true\"}");
        HttpResponse<String> updateMissing = post("/kv/update", form("key", "nope", "value", "2"));
        assertThat(updateMissing.statusCode()).isEqualTo(404);
        assertThat(json(updateMissing).get("success").asText()).isEqualTo("false");

        HttpResponse<String> deleted = post("/kv/delete", form("key", "a"));
        assertThat(deleted.statusCode()).isEqualTo(200);
        assertThat(deleted.body()).isEqualTo("{\"success\":\"true\",\"value\":\"2\"}");
        HttpResponse<String> deleteAgain = post("/kv/delete", form("key", "a"));
        assertThat(deleteAgain.statusCode()).isEqualTo(404);
        assertThat(json(deleteAgain).get("error").asText()).isEqualTo("key not found");

        HttpResponse<String> gone = get("/kv/get?key=a");
        assertThat(gone.statusCode()).isEqualTo(404);
        assertThat(json(gone).get("success").asText()).isEqualTo("false");
    }

    @Test
    void encodedTextQueryParametersAndJsonBodiesAreAccepted() throws Exception {
        String key = "a b&c=d/é+";
        String value = "line\nwith \"quotes\" and ü";
        assertThat(post("/kv/insert", form("key", key, "value", value)).statusCode())
                .isEqualTo(200);
        HttpResponse<String> got = get("/kv/get?key=" + URLEncoder.encode(key, StandardCharsets.UTF_8));
        assertThat(json(got).get("value").asText()).isEqualTo(value);
        assertThat(new String(
                        commands.peek(new String(key.getBytes(StandardCharsets.UTF_8), StandardCharsets.ISO_8859_1)),
                        StandardCharsets.UTF_8))
                .isEqualTo(value);

        HttpResponse<String> byQuery = http.send(
                HttpRequest.newBuilder(uri("/kv/insert?key=q&value=fromquery"))
                        .POST(HttpRequest.BodyPublishers.noBody())
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(byQuery.statusCode()).isEqualTo(200);
        assertThat(json(get("/kv/get?key=q")).get("value").asText()).isEqualTo("fromquery");

        HttpResponse<String> byJson = http.send(
                HttpRequest.newBuilder(uri("/kv/update"))
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString("{\"key\":\"q\",\"value\":\"fromjson\"}"))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(byJson.statusCode()).isEqualTo(200);
        assertThat(json(get("/kv/get?key=q")).get("value").asText()).isEqualTo("fromjson");
    }

    @Test
    void countkeyAndDumpShowEveryPair() throws Exception {
        assertThat(get("/kvman/dump").body()).isEqualTo("{}");
        Map<String, String> expected = new HashMap<>();
        for (int i = 0; i < 10; i++) {
            expected.put("k" + i, "v\"" + i);
            post("/kv/insert", form("key", "k" + i, "value", "v\"" + i));
        }
        HttpResponse<String> count = get("/kvman/countkey");
        assertThat(count.statusCode()).isEqualTo(200);
        assertThat(count.body()).startsWith("{\"result\":10,\"from\":\"primary\"");
        HttpResponse<String> dump = get("/kvman/dump");
        assertThat(dump.statusCode()).isEqualTo(200);
        assertThat(JSON.readValue(dump.body(), Map.class)).isEqualTo(expected);
    }

    @Test
    void everyDumpEndsAfterItsLastPageWhicheverThreadFinishesIt() throws Exception {
        // The in-memory dump hands pages over on its own thread and may finish before the door
        // has even registered for its end; each of these dumps must still be whole.
        Map<String, String> expected = new HashMap<>();
        for (int i = 0; i < 10; i++) {
            expected.put("k" + i, "v" + i);
            post("/kv/insert", form("key", "k" + i, "value", "v" + i));
        }
        for (int round = 0; round < 100; round++) {
            HttpResponse<String> dump = http.sendAsync(
                            HttpRequest.newBuilder(uri("/kvman/dump")).GET().build(),
                            HttpResponse.BodyHandlers.ofString())
                    .get(20, java.util.concurrent.TimeUnit.SECONDS);
            assertThat(JSON.readValue(dump.body(), Map.class))
                    .as("dump %d", round)
                    .isEqualTo(expected);
        }
    }

    @Test
    void shutdownCallsTheCommandLayerAndAnswersSuccess() throws Exception {
        HttpResponse<String> response = get("/kvman/shutdown");
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(json(response).get("success").asText()).isEqualTo("true");
        await().until(() -> commands.shutdownCalls() == 1);
    }

    @Test
    void healthIsUpInSyncAndDownWhileStarting() throws Exception {
        HttpResponse<String> up = get("/health");
        assertThat(up.statusCode()).isEqualTo(200);
        assertThat(json(up).get("status").asText()).isEqualTo("UP");
        assertThat(json(up).get("role").asText()).isEqualTo("PRIMARY");
        assertThat(json(up).get("state").asText()).isEqualTo("SYNC");
        assertThat(json(up).get("coordinator").get("connection").asText()).isEqualTo("OFF");
        assertThat(json(up).get("coordinator").get("inSync").isArray()).isTrue();
        commands.state(NodeState.COLD_START);
        HttpResponse<String> down = get("/health");
        assertThat(down.statusCode()).isEqualTo(503);
        assertThat(json(down).get("status").asText()).isEqualTo("DOWN");
        assertThat(json(down).get("state").asText()).isEqualTo("COLD_START");
    }

    @Test
    void metricsShowRequestsKeysStateAndLagInPrometheusFormat() throws Exception {
        post("/kv/insert", form("key", "a", "value", "1"));
        post("/kv/insert", form("key", "b", "value", "1"));
        post("/kv/insert", form("key", "a", "value", "1"));
        get("/kv/get?key=a");
        HttpResponse<String> metrics = get("/metrics");
        assertThat(metrics.statusCode()).isEqualTo(200);
        assertThat(metrics.headers().firstValue("content-type").orElse("")).startsWith("text/plain");
        assertThat(metrics.body())
                .contains("pbkv_requests_seconds_count{command=\"insert\",door=\"http\",outcome=\"success\"} 2")
                .contains("pbkv_requests_seconds_count{command=\"insert\",door=\"http\",outcome=\"failure\"} 1")
                .contains("pbkv_requests_seconds_count{command=\"get\",door=\"http\",outcome=\"success\"} 1")
                .contains("pbkv_requests_seconds_bucket{command=\"get\"")
                .contains("pbkv_keys 2.0")
                .contains("pbkv_state{state=\"SYNC\"} 1.0")
                .contains("pbkv_state{state=\"COLD_START\"} 0.0")
                .contains("pbkv_role{role=\"PRIMARY\"} 1.0")
                .contains("pbkv_replication_lag 2.0")
                .contains("pbkv_offset{kind=\"last\"} 2.0")
                .contains("pbkv_memory_used_bytes 128.0")
                .contains("jvm_memory_used_bytes");
    }

    @Test
    void refusalsOfTheCommandLayerMapToStatusesWithJsonBodies() throws Exception {
        commands.failKey("full", ErrorCode.RESOURCE_EXHAUSTED).failKey("broken", ErrorCode.INTERNAL);
        HttpResponse<String> full = post("/kv/insert", form("key", "full", "value", "1"));
        assertThat(full.statusCode()).isEqualTo(507);
        assertThat(json(full).get("code").asText()).isEqualTo("RESOURCE_EXHAUSTED");
        assertThat(post("/kv/insert", form("key", "broken", "value", "1")).statusCode())
                .isEqualTo(500);
        HttpResponse<String> empty = post("/kv/insert", form("key", "", "value", "1"));
        assertThat(empty.statusCode()).isEqualTo(400);
        assertThat(json(empty).get("error").asText()).isEqualTo("key must not be empty");

        commands.actAsBackup(true);
        HttpResponse<String> onBackup = post("/kv/insert", form("key", "k", "value", "1"));
        assertThat(onBackup.statusCode()).isEqualTo(503);
        assertThat(json(onBackup).get("success").asText()).isEqualTo("false");
        assertThat(json(onBackup).get("primary").asText()).isEqualTo(InMemoryCommands.PRIMARY_ADDRESS);
        assertThat(onBackup.headers().firstValue("X-Pbkv-Primary")).hasValue(InMemoryCommands.PRIMARY_ADDRESS);
        assertThat(get("/kv/get?key=k").statusCode()).isEqualTo(503);
    }

    @Test
    void aBackupAnswersTheManagementReadsFromItsOwnCopyAndSaysSo() throws Exception {
        post("/kv/insert", form("key", "m", "value", "v1"));
        HttpResponse<String> countOnPrimary = get("/kvman/countkey");
        assertThat(json(countOnPrimary).get("from").asText()).isEqualTo("primary");
        assertThat(countOnPrimary.headers().firstValue("X-Pbkv-From")).hasValue("primary");

        commands.actAsBackup(true);
        HttpResponse<String> count = get("/kvman/countkey");
        assertThat(count.statusCode()).isEqualTo(200);
        assertThat(json(count).get("result").asLong()).isEqualTo(1);
        assertThat(json(count).get("from").asText()).isEqualTo("backup");
        assertThat(json(count).get("role").asText()).isEqualTo("BACKUP");
        assertThat(json(count).get("offset").asLong()).isEqualTo(1);
        HttpResponse<String> dump = get("/kvman/dump");
        assertThat(dump.statusCode()).isEqualTo(200);
        // The body stays the contract's bare object of pairs; whose copy it is goes in headers.
        assertThat(JSON.readValue(dump.body(), Map.class)).isEqualTo(Map.of("m", "v1"));
        assertThat(dump.headers().firstValue("X-Pbkv-From")).hasValue("backup");
        assertThat(dump.headers().firstValue("X-Pbkv-Role")).hasValue("BACKUP");
        assertThat(dump.headers().firstValue("X-Pbkv-Offset")).hasValue("1");
    }

    @Test
    void aBackupAnswersReadsFromItsOwnCopyWhenStaleReadsAreAllowed() throws Exception {
        post("/kv/insert", form("key", "s", "value", "v1"));
        commands.actAsBackup(true);
        assertThat(get("/kv/get?key=s").statusCode()).isEqualTo(503);
        HttpResponse<String> stale = get("/kv/get?key=s&allow_stale=true");
        assertThat(stale.statusCode()).isEqualTo(200);
        assertThat(json(stale).get("value").asText()).isEqualTo("v1");
        assertThat(json(get("/kvman/countkey?allow_stale=true")).get("result").asLong())
                .isEqualTo(1);
        assertThat(json(get("/kvman/dump?allow_stale=true")).get("s").asText()).isEqualTo("v1");
    }

    @Test
    void badRequestsAnswerJsonErrors() throws Exception {
        HttpResponse<String> unknown = get("/kv/nothing");
        assertThat(unknown.statusCode()).isEqualTo(404);
        assertThat(json(unknown).get("error").asText()).isEqualTo("no such endpoint: /kv/nothing");

        HttpResponse<String> wrongMethod = get("/kv/insert?key=a&value=b");
        assertThat(wrongMethod.statusCode()).isEqualTo(405);
        assertThat(wrongMethod.headers().firstValue("allow")).hasValue("POST");
        assertThat(json(wrongMethod).get("success").asText()).isEqualTo("false");
        assertThat(post("/kv/get", form("key", "a")).statusCode()).isEqualTo(405);
        assertThat(http.send(
                                HttpRequest.newBuilder(uri("/kv/get?key=a"))
                                        .DELETE()
                                        .build(),
                                HttpResponse.BodyHandlers.ofString())
                        .statusCode())
                .isEqualTo(405);

        HttpResponse<String> noKey = get("/kv/get");
        assertThat(noKey.statusCode()).isEqualTo(400);
        assertThat(json(noKey).get("error").asText()).contains("missing field 'key'");
        HttpResponse<String> noValue = post("/kv/insert", form("key", "a"));
        assertThat(noValue.statusCode()).isEqualTo(400);
        assertThat(json(noValue).get("error").asText()).contains("missing field 'value'");
        assertThat(post("/kv/delete", "").statusCode()).isEqualTo(400);

        HttpResponse<String> badForm = post("/kv/insert", "key=%zz&value=1");
        assertThat(badForm.statusCode()).isEqualTo(400);
        assertThat(json(badForm).get("error").asText()).startsWith("bad encoding in the form body");

        HttpResponse<String> badJson = http.send(
                HttpRequest.newBuilder(uri("/kv/insert"))
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString("{nope"))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(badJson.statusCode()).isEqualTo(400);

        HttpResponse<String> xml = http.send(
                HttpRequest.newBuilder(uri("/kv/insert"))
                        .header("Content-Type", "application/xml")
                        .POST(HttpRequest.BodyPublishers.ofString("<a/>"))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(xml.statusCode()).isEqualTo(415);

        HttpResponse<String> tooBig = post("/kv/insert", "key=big&value=" + "x".repeat(MAX_BODY + 1));
        assertThat(tooBig.statusCode()).isEqualTo(413);
        assertThat(json(tooBig).get("error").asText()).contains("over the limit of " + MAX_BODY);

        HttpResponse<String> longUri = get("/kv/get?key=" + "k".repeat(5000));
        assertThat(longUri.statusCode()).isEqualTo(414);

        assertThat(get("/kv/get?key=a").statusCode()).isEqualTo(404);
    }

    @Test
    void badUriEncodingAndPipelinedRequestsOverARawSocket() throws Exception {
        commands.completeWritesLate(true);
        try (Socket socket = new Socket("127.0.0.1", door.port())) {
            socket.setSoTimeout(5000);
            OutputStream out = socket.getOutputStream();
            StringBuilder requests = new StringBuilder();
            requests.append("GET /kv/get?key=%zz HTTP/1.1\r\nHost: x\r\n\r\n");
            for (int i = 0; i < 20; i++) {
                String body = "key=p" + i + "&value=" + i;
                requests.append(
                                "POST /kv/insert HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n")
                        .append("Content-Length: ")
                        .append(body.length())
                        .append("\r\n\r\n")
                        .append(body);
                requests.append("GET /kv/get?key=p").append(i).append(" HTTP/1.1\r\nHost: x\r\n\r\n");
            }
            requests.append("GET /kvman/countkey HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
            out.write(requests.toString().getBytes(StandardCharsets.US_ASCII));
            out.flush();
            String all = new String(readAll(socket.getInputStream()), StandardCharsets.UTF_8);
            String[] bodies = all.split("HTTP/1.1 ");
            assertThat(bodies).hasSize(1 + 1 + 40 + 1);
            assertThat(bodies[1]).startsWith("400").contains("bad encoding in the URI");
            for (int i = 0; i < 20; i++) {
                assertThat(bodies[2 + 2 * i]).startsWith("200").endsWith("{\"success\":\"true\"}");
                assertThat(bodies[3 + 2 * i])
                        .startsWith("200")
                        .endsWith("{\"success\":\"true\",\"value\":\"" + i + "\"}");
            }
            assertThat(bodies[42]).startsWith("200").contains("{\"result\":20,\"from\":\"primary\"");
        }
    }

    @Test
    void garbageInsteadOfHttpGetsA400AndTheDoorGoesOn() throws Exception {
        try (Socket socket = new Socket("127.0.0.1", door.port())) {
            socket.setSoTimeout(5000);
            socket.getOutputStream()
                    .write("\u0001\u0002 NOT HTTP AT ALL\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
            String answer = new String(readAll(socket.getInputStream()), StandardCharsets.UTF_8);
            assertThat(answer).startsWith("HTTP/1.1 400").contains("\"success\":\"false\"");
        }
        assertThat(get("/health").statusCode()).isEqualTo(200);
    }

    private static byte[] readAll(InputStream in) throws java.io.IOException {
        return in.readAllBytes();
    }
}
