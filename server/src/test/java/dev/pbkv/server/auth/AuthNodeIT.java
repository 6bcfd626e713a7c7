package dev.pbkv.server.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import dev.pbkv.client.PbkvClient;
import dev.pbkv.client.PbkvException;
import dev.pbkv.client.cli.PbkvCli;
import dev.pbkv.proto.AdminGrpc;
import dev.pbkv.proto.GetRequest;
import dev.pbkv.proto.KeyValueGrpc;
import dev.pbkv.proto.ShutdownRequest;
import dev.pbkv.proto.WriteRequest;
import dev.pbkv.server.resp.RawRespClient;
import dev.pbkv.server.resp.RedisCli;
import dev.pbkv.testkit.NodeProcess;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.MetadataUtils;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.exceptions.JedisDataException;

/**
 * A real node process with three users (read, write, admin): every door refuses calls without
 * credentials or with wrong ones, answers each with its protocol's documented error, lets each
 * user do what its access allows, and changes nothing on a refusal.
 */
class AuthNodeIT {
    @TempDir
    static Path dir;

    private static NodeProcess node;
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @BeforeAll
    static void startNodeWithUsers() throws IOException {
        String json = "{\"auth\": {\"failure-delay-ms\": 50, \"users\": {"
                + user("reader", "read", "r-pw") + ", "
                + user("writer", "write", "w-pw") + ", "
                + user("boss", "admin", "b-pw") + "}}}";
        Path conf = dir.resolve("settings.conf");
        Files.writeString(conf, json);
        node = NodeProcess.primary(dir.resolve("primary"))
                .args("--config", conf.toString())
                .start();
    }

    private static String user(String name, String access, String password) {
        return "\"" + name + "\": {\"access\": \"" + access + "\", \"password-hash\": \""
                + PasswordHash.create(password.toCharArray(), 1000) + "\"}";
    }

    @AfterAll
    static void stopNode() {
        if (node != null) {
            node.close();
        }
    }

    // ---- RESP ----

    @Test
    void respRefusesCommandsBeforeAuthAndWrongPasswordsWithRedisErrors() throws IOException {
        try (RawRespClient c = new RawRespClient(node.respPort())) {
            assertThat(c.send("GET k\r\n").readLine()).isEqualTo("-NOAUTH Authentication required.");
            assertThat(c.send("AUTH writer nope\r\n").readLine())
                    .isEqualTo("-WRONGPASS invalid username-password pair or user is disabled.");
            assertThat(c.send("SET k v\r\n").readLine()).isEqualTo("-NOAUTH Authentication required.");
        }
    }

    @Test
    void aCommandPipelinedBehindAuthRunsAsTheUserAuthProves() throws IOException {
        try (RawRespClient c = new RawRespClient(node.respPort())) {
            c.send("AUTH writer w-pw\r\nSET pipelined yes\r\nGET pipelined\r\n");
            assertThat(c.readLine()).isEqualTo("+OK");
            assertThat(c.readLine()).isEqualTo("+OK");
            assertThat(c.readLine()).isEqualTo("$3");
            assertThat(c.readLine()).isEqualTo("yes");
        }
    }

    @Test
    void jedisAuthenticatesAndAReadUserCannotWriteOrShutDown() {
        try (Jedis writer = new Jedis("127.0.0.1", node.respPort(), 30_000);
                Jedis reader = new Jedis("127.0.0.1", node.respPort(), 30_000)) {
            assertThat(writer.auth("writer", "w-pw")).isEqualTo("OK");
            assertThat(writer.set("resp:k", "before")).isEqualTo("OK");
            assertThat(reader.auth("reader", "r-pw")).isEqualTo("OK");
            assertThat(reader.get("resp:k")).isEqualTo("before");
            assertThatThrownBy(() -> reader.set("resp:k", "after"))
                    .isInstanceOf(JedisDataException.class)
                    .hasMessageStartingWith("NOPERM user 'reader' has read access; put needs write");
            assertThatThrownBy(() -> reader.shutdown()).hasMessageStartingWith("NOPERM");
            assertThat(writer.get("resp:k")).isEqualTo("before");
            assertThatThrownBy(() -> writer.shutdown()).hasMessageStartingWith("NOPERM user 'writer' has write");
        }
        assertThat(node.isAlive()).isTrue();
    }

    @Test
    void helloAuthAuthenticatesAndSelectsTheProtocol() throws IOException {
        try (RawRespClient c = new RawRespClient(node.respPort())) {
            assertThat(c.send("HELLO 2\r\n").readLine()).startsWith("-NOAUTH HELLO must be called");
            assertThat(c.send("HELLO 2 AUTH reader r-pw\r\n").readLine()).isEqualTo("*14");
        }
    }

    @Test
    void redisCliAuthenticatesWithUserAndPassword() throws Exception {
        ProcessBuilder pb = RedisCli.command(node.respPort(), "--user", "writer", "set", "cli:k", "from-redis-cli");
        pb.environment().put("REDISCLI_AUTH", "w-pw"); // the password off the command line, as ps shows it
        Process p = pb.start();
        try {
            assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
            assertThat(new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim())
                    .isEqualTo("OK");
        } finally {
            p.destroyForcibly();
        }
        try (Jedis reader = new Jedis("127.0.0.1", node.respPort(), 30_000)) {
            reader.auth("reader", "r-pw");
            assertThat(reader.get("cli:k")).isEqualTo("from-redis-cli");
        }
    }

    // ---- HTTP ----

    private static HttpResponse<String> http(String method, String path, String body, String credentials)
            throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + node.httpPort() + path))
                .timeout(Duration.ofSeconds(30))
                .method(
                        method,
                        body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body))
                .header("Content-Type", "application/x-www-form-urlencoded");
        if (credentials != null) {
            b.header(
                    "Authorization",
                    "Basic " + Base64.getEncoder().encodeToString(credentials.getBytes(StandardCharsets.UTF_8)));
        }
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void httpAnswers401WithoutOrWithWrongCredentialsAnd403ForTooLittleAccess() throws Exception {
        HttpResponse<String> none = http("POST", "/kv/insert", "key=h&value=1", null);
        assertThat(none.statusCode()).isEqualTo(401);
        assertThat(none.headers().firstValue("WWW-Authenticate"))
                .hasValueSatisfying(v -> assertThat(v).startsWith("Basic realm=\"pbkv\""));
        assertThat(none.body()).contains("\"success\":\"false\"").contains("authentication required");

        assertThat(http("POST", "/kv/insert", "key=h&value=1", "writer:nope").statusCode())
                .isEqualTo(401);

        HttpResponse<String> reader = http("POST", "/kv/insert", "key=h&value=1", "reader:r-pw");
        assertThat(reader.statusCode()).isEqualTo(403);
        assertThat(reader.body()).contains("\"success\":\"false\"").contains("needs write");
        assertThat(http("GET", "/kv/get?key=h", null, "reader:r-pw").statusCode())
                .isEqualTo(404);

        assertThat(http("POST", "/kv/insert", "key=h&value=1", "writer:w-pw").body())
                .contains("\"success\":\"true\"");
        assertThat(http("GET", "/kv/get?key=h", null, "reader:r-pw").body()).contains("\"value\":\"1\"");
        assertThat(http("GET", "/kvman/shutdown", null, "writer:w-pw").statusCode())
                .isEqualTo(403);
        // Health stays open for load balancers and the scripts.
        assertThat(http("GET", "/health", null, null).statusCode()).isEqualTo(200);
        assertThat(http("GET", "/metrics", null, null).statusCode()).isEqualTo(401);
        assertThat(http("GET", "/metrics", null, "reader:r-pw").body()).contains("pbkv_auth_failures_total");
        assertThat(node.isAlive()).isTrue();
    }

    // ---- gRPC ----

    private static <S extends io.grpc.stub.AbstractStub<S>> S as(S stub, String credentials) {
        Metadata headers = new Metadata();
        headers.put(
                Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER),
                "Basic " + Base64.getEncoder().encodeToString(credentials.getBytes(StandardCharsets.UTF_8)));
        return stub.withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers))
                .withDeadlineAfter(30, TimeUnit.SECONDS);
    }

    @Test
    void grpcAnswersUnauthenticatedAndPermissionDenied() {
        var kv = KeyValueGrpc.newBlockingStub(node.channel()).withDeadlineAfter(30, TimeUnit.SECONDS);
        WriteRequest put = WriteRequest.newBuilder()
                .setKey(ByteString.copyFromUtf8("g"))
                .setValue(ByteString.copyFromUtf8("1"))
                .build();
        assertThatThrownBy(() -> kv.put(put))
                .isInstanceOfSatisfying(
                        StatusRuntimeException.class,
                        e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED));
        assertThatThrownBy(() -> as(KeyValueGrpc.newBlockingStub(node.channel()), "writer:nope")
                        .put(put))
                .isInstanceOfSatisfying(
                        StatusRuntimeException.class,
                        e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED));
        assertThatThrownBy(() -> as(KeyValueGrpc.newBlockingStub(node.channel()), "reader:r-pw")
                        .put(put))
                .isInstanceOfSatisfying(
                        StatusRuntimeException.class,
                        e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED));
        assertThatThrownBy(() -> as(AdminGrpc.newBlockingStub(node.channel()), "writer:w-pw")
                        .shutdown(ShutdownRequest.getDefaultInstance()))
                .isInstanceOfSatisfying(
                        StatusRuntimeException.class,
                        e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED));
        as(KeyValueGrpc.newBlockingStub(node.channel()), "writer:w-pw").put(put);
        assertThat(as(KeyValueGrpc.newBlockingStub(node.channel()), "reader:r-pw")
                        .get(GetRequest.newBuilder()
                                .setKey(ByteString.copyFromUtf8("g"))
                                .build())
                        .getValue()
                        .toStringUtf8())
                .isEqualTo("1");
        assertThat(node.isAlive()).isTrue();
    }

    @Test
    void binPbkvTakesTheUserFromAFlagAndThePasswordFromTheEnvironment() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int put = PbkvCli.run(
                new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8),
                InputStream.nullInputStream(),
                Map.of("PBKV_PASSWORD", "w-pw"),
                "--server",
                node.grpcAddress(),
                "--user",
                "writer",
                "put",
                "cli:pbkv",
                "v1");
        assertThat(put).as(err.toString(StandardCharsets.UTF_8)).isZero();
        ByteArrayOutputStream denied = new ByteArrayOutputStream();
        int refused = PbkvCli.run(
                new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8),
                new PrintStream(denied, true, StandardCharsets.UTF_8),
                InputStream.nullInputStream(),
                Map.of("PBKV_USER", "reader", "PBKV_PASSWORD", "r-pw"),
                "--server",
                node.grpcAddress(),
                "put",
                "cli:pbkv",
                "v2");
        assertThat(refused).isNotZero();
        assertThat(denied.toString(StandardCharsets.UTF_8)).contains("needs write");
    }

    @Test
    void theJavaClientSendsItsCredentials() {
        try (PbkvClient writer = PbkvClient.builder()
                        .endpoint(node.grpcAddress())
                        .credentials("writer", "w-pw")
                        .build();
                PbkvClient anonymous = PbkvClient.builder()
                        .endpoint(node.grpcAddress())
                        .retryDeadline(Duration.ofSeconds(2))
                        .build()) {
            writer.put("client:k", "v");
            assertThat(writer.get("client:k")).contains("v");
            assertThatThrownBy(() -> anonymous.get("client:k"))
                    .isInstanceOfSatisfying(
                            PbkvException.class, e -> assertThat(e.code()).isEqualTo(Status.Code.UNAUTHENTICATED));
        }
    }
}
