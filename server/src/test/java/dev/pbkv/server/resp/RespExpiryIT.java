package dev.pbkv.server.resp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.pbkv.testkit.FreePorts;
import dev.pbkv.testkit.NodeProcess;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
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
import redis.clients.jedis.commands.ProtocolCommand;
import redis.clients.jedis.exceptions.JedisDataException;

/**
 * The expiry commands over RESP on a real pbkv pair, with Redis's answers written down (always
 * run), and the same script against a real redis-server when one is installed, so both are seen
 * to give the same answers (docs/resp.md, docs/expiry.md).
 */
class RespExpiryIT {
    @TempDir
    static Path dir;

    static NodeProcess.Pair pair;
    static Jedis primary;

    /** A command, and the answer Redis 7 gives (its error line for errors). */
    private record Step(String expected, String... command) {}

    private static final List<Step> SCRIPT = List.of(
            new Step("OK", "SET", "x:a", "v", "EX", "100"),
            new Step("100", "TTL", "x:a"),
            new Step("OK", "SET", "x:a", "v2", "KEEPTTL"),
            new Step("100", "TTL", "x:a"),
            new Step("OK", "SET", "x:a", "v3"),
            new Step("-1", "TTL", "x:a"),
            new Step("-1", "PTTL", "x:a"),
            new Step("-2", "TTL", "x:missing"),
            new Step("-2", "PTTL", "x:missing"),
            new Step("1", "EXPIRE", "x:a", "50"),
            new Step("50", "TTL", "x:a"),
            new Step("1", "PERSIST", "x:a"),
            new Step("0", "PERSIST", "x:a"),
            new Step("0", "PERSIST", "x:missing"),
            new Step("-1", "TTL", "x:a"),
            new Step("0", "EXPIRE", "x:missing", "10"),
            new Step("1", "PEXPIRE", "x:a", "100000"),
            new Step("100", "TTL", "x:a"),
            new Step("1", "EXPIREAT", "x:a", "4102444800"),
            new Step("v3", "GET", "x:a"),
            new Step("1", "EXPIRE", "x:a", "0"),
            new Step("(nil)", "GET", "x:a"),
            new Step("0", "EXISTS", "x:a"),
            new Step("ERR invalid expire time in 'set' command", "SET", "x:b", "v", "EX", "0"),
            new Step("ERR invalid expire time in 'set' command", "SET", "x:b", "v", "PX", "-5"),
            new Step("ERR invalid expire time in 'set' command", "SET", "x:b", "v", "EX", "9223372036854775807"),
            new Step("ERR value is not an integer or out of range", "SET", "x:b", "v", "PX", "abc"),
            new Step("ERR syntax error", "SET", "x:b", "v", "EX", "10", "PX", "10"),
            new Step("ERR syntax error", "SET", "x:b", "v", "KEEPTTL", "EX", "10"),
            new Step("ERR syntax error", "SET", "x:b", "v", "EX"),
            new Step("ERR syntax error", "SET", "x:b", "v", "NX", "XX"),
            new Step("(nil)", "GET", "x:b"),
            new Step("OK", "SET", "x:b", "v", "PXAT", "1"),
            new Step("(nil)", "GET", "x:b"),
            new Step("0", "EXISTS", "x:b"),
            new Step("-2", "TTL", "x:b"),
            new Step("OK", "SET", "x:c", "v", "NX", "EX", "100"),
            new Step("(nil)", "SET", "x:c", "v", "NX", "EX", "100"),
            new Step("OK", "SET", "x:c", "w", "XX", "PX", "100000"),
            new Step("100", "TTL", "x:c"),
            new Step("(nil)", "SET", "x:d", "w", "XX", "EX", "100"),
            new Step("ERR value is not an integer or out of range", "EXPIRE", "x:c", "abc"),
            new Step("ERR invalid expire time in 'expire' command", "EXPIRE", "x:c", "9223372036854775807"),
            new Step("ERR invalid expire time in 'pexpire' command", "PEXPIRE", "x:c", "9223372036854775807"),
            new Step("1", "PEXPIREAT", "x:c", "1"),
            new Step("(nil)", "GET", "x:c"),
            new Step("0", "EXPIRE", "x:c", "10"),
            // Redis 7's EXPIRE options; absolute times so that "equal" is exact.
            new Step("OK", "SET", "c:k", "v"),
            new Step("0", "PEXPIREAT", "c:k", "4102444800000", "XX"),
            new Step("0", "PEXPIREAT", "c:k", "4102444800000", "GT"),
            new Step("-1", "TTL", "c:k"),
            new Step("1", "PEXPIREAT", "c:k", "4102444800000", "NX"),
            new Step("0", "PEXPIREAT", "c:k", "4102444900000", "NX"),
            new Step("0", "PEXPIREAT", "c:k", "4102444900000", "LT"),
            new Step("0", "PEXPIREAT", "c:k", "4102444800000", "GT"),
            new Step("0", "PEXPIREAT", "c:k", "4102444800000", "LT"),
            new Step("1", "PEXPIREAT", "c:k", "4102444900000", "gt"),
            new Step("0", "PEXPIREAT", "c:k", "4102444900000", "GT"),
            new Step("1", "PEXPIREAT", "c:k", "4102444850000", "LT"),
            new Step("1", "PEXPIREAT", "c:k", "4102444850000", "XX"),
            new Step("0", "EXPIRE", "c:k", "100", "XX", "GT"),
            new Step("1", "EXPIRE", "c:k", "100", "XX", "LT"),
            new Step("100", "TTL", "c:k"),
            new Step("0", "EXPIRE", "c:k", "-1", "GT"),
            new Step("1", "EXISTS", "c:k"),
            new Step("1", "EXPIRE", "c:k", "-1", "LT"),
            new Step("0", "EXISTS", "c:k"),
            new Step("0", "EXPIRE", "c:k", "100", "LT"),
            new Step("OK", "SET", "c:p", "v"),
            new Step("1", "EXPIRE", "c:p", "100", "LT"),
            new Step("100", "TTL", "c:p"),
            new Step("1", "PERSIST", "c:p"),
            new Step("0", "EXPIRE", "c:p", "100", "XX"),
            new Step("0", "EXPIREAT", "c:p", "4102444800", "XX", "XX"),
            new Step(
                    "ERR NX and XX, GT or LT options at the same time are not compatible",
                    "EXPIRE",
                    "c:p",
                    "100",
                    "NX",
                    "XX"),
            new Step(
                    "ERR NX and XX, GT or LT options at the same time are not compatible",
                    "EXPIRE",
                    "c:p",
                    "100",
                    "GT",
                    "NX"),
            new Step(
                    "ERR NX and XX, GT or LT options at the same time are not compatible",
                    "PEXPIRE",
                    "c:p",
                    "100",
                    "NX",
                    "LT"),
            new Step("ERR GT and LT options at the same time are not compatible", "EXPIRE", "c:p", "100", "GT", "LT"),
            new Step("ERR GT and LT options at the same time are not compatible", "EXPIRE", "c:p", "abc", "LT", "GT"),
            new Step("ERR Unsupported option FOO", "EXPIRE", "c:p", "100", "FOO"),
            new Step("-1", "TTL", "c:p"),
            new Step("1", "DEL", "c:p"),
            // SET ... GET answers the old value, read in the same step as the write.
            new Step("(nil)", "SET", "s:k", "v1", "GET"),
            new Step("v1", "GET", "s:k"),
            new Step("v1", "SET", "s:k", "v2", "GET"),
            new Step("v2", "SET", "s:k", "v3", "NX", "GET"),
            new Step("v2", "GET", "s:k"),
            new Step("v2", "SET", "s:k", "v3", "XX", "GET", "EX", "100"),
            new Step("100", "TTL", "s:k"),
            new Step("v3", "SET", "s:k", "v4", "get", "KEEPTTL"),
            new Step("100", "TTL", "s:k"),
            new Step("v4", "GET", "s:k"),
            new Step("(nil)", "SET", "s:m", "v", "XX", "GET"),
            new Step("0", "EXISTS", "s:m"),
            new Step("(nil)", "SET", "s:m", "v", "NX", "GET"),
            new Step("v", "GET", "s:m"),
            new Step("OK", "SET", "s:e", "v", "PXAT", "1"),
            new Step("(nil)", "SET", "s:e", "w", "GET"),
            new Step("w", "GET", "s:e"),
            new Step("ERR invalid expire time in 'set' command", "SET", "s:k", "v", "GET", "EX", "0"),
            new Step("ERR syntax error", "SET", "s:k", "v", "GET", "NX", "XX"),
            new Step("v4", "GET", "s:k"),
            new Step("3", "DEL", "s:k", "s:m", "s:e"),
            new Step("ERR wrong number of arguments for 'ttl' command", "TTL"),
            new Step("ERR wrong number of arguments for 'persist' command", "PERSIST", "a", "b"),
            new Step("ERR wrong number of arguments for 'expire' command", "EXPIRE", "a"));

    @BeforeAll
    static void startPair() {
        pair = NodeProcess.pair(dir).start();
        primary = new Jedis("127.0.0.1", RespNodeIT.respPort(pair.primary()), 30_000);
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

    /** Runs the script, answers as Redis's reply text (integers in decimal, nil as "(nil)"). */
    static List<String> run(Jedis jedis) {
        List<String> answers = new ArrayList<>();
        for (Step step : SCRIPT) {
            answers.add(answer(jedis, step.command()));
        }
        return answers;
    }

    static String answer(Jedis jedis, String... command) {
        ProtocolCommand name = () -> command[0].getBytes(StandardCharsets.UTF_8);
        String[] args = java.util.Arrays.copyOfRange(command, 1, command.length);
        try {
            Object reply = jedis.sendCommand(name, args);
            if (reply == null) {
                return "(nil)";
            }
            if (reply instanceof byte[] b) {
                return new String(b, StandardCharsets.UTF_8);
            }
            return String.valueOf(reply);
        } catch (JedisDataException e) {
            return e.getMessage();
        }
    }

    static List<String> expected() {
        return SCRIPT.stream().map(Step::expected).toList();
    }

    @Test
    void pbkvAnswersTheExpiryCommandsAsRedisDoes() {
        List<String> got = run(primary);
        for (int i = 0; i < SCRIPT.size(); i++) {
            assertThat(got.get(i))
                    .as("%s", String.join(" ", SCRIPT.get(i).command()))
                    .isEqualTo(SCRIPT.get(i).expected());
        }
    }

    @Test
    void aRealRedisServerGivesTheSameAnswers() throws Exception {
        assumeTrue(new File("/usr/bin/redis-server").canExecute(), "redis-server is not installed");
        int port = FreePorts.take();
        Path redisDir = Files.createDirectories(dir.resolve("redis"));
        Process redis = new ProcessBuilder(
                        "/usr/bin/redis-server",
                        "--port",
                        String.valueOf(port),
                        "--bind",
                        "127.0.0.1",
                        "--save",
                        "",
                        "--appendonly",
                        "no",
                        "--dir",
                        redisDir.toString())
                .redirectErrorStream(true)
                .redirectOutput(redisDir.resolve("redis.log").toFile())
                .start();
        try {
            await().atMost(Duration.ofSeconds(30)).ignoreExceptions().until(() -> {
                try (Jedis probe = new Jedis("127.0.0.1", port, 2_000)) {
                    return "PONG".equals(probe.ping());
                }
            });
            try (Jedis jedis = new Jedis("127.0.0.1", port, 10_000)) {
                List<String> got = run(jedis);
                for (int i = 0; i < SCRIPT.size(); i++) {
                    assertThat(got.get(i))
                            .as(
                                    "redis-server: %s",
                                    String.join(" ", SCRIPT.get(i).command()))
                            .isEqualTo(SCRIPT.get(i).expected());
                }
            }
        } finally {
            redis.destroy();
            if (!redis.waitFor(10, TimeUnit.SECONDS)) {
                redis.destroyForcibly();
            }
        }
    }

    /** INFO keyspace's expires field, 0 when the db0 line is absent (an empty store). */
    static long infoExpires(Jedis jedis) {
        return infoKeyspaceField(jedis, "expires");
    }

    static long infoKeyspaceField(Jedis jedis, String field) {
        for (String line : jedis.info("keyspace").split("\r\n")) {
            if (line.startsWith("db0:")) {
                for (String part : line.substring(4).split(",")) {
                    String[] kv = part.split("=", 2);
                    if (kv[0].equals(field)) {
                        return Long.parseLong(kv[1]);
                    }
                }
                throw new AssertionError("no " + field + " in " + line);
            }
        }
        return 0;
    }

    @Test
    void infoKeyspaceCountsTheKeysThatHaveADeadline() throws Exception {
        // Keys other tests gave short ttls are gone first (the active expirer removes them).
        await().atMost(Duration.ofSeconds(30)).until(() -> infoExpires(primary) == 0);
        primary.set("i:plain", "v");
        assertThat(infoExpires(primary)).isZero();
        assertThat(answer(primary, "SET", "i:ex", "v", "EX", "100")).isEqualTo("OK");
        assertThat(infoExpires(primary)).isEqualTo(1);
        assertThat(infoKeyspaceField(primary, "avg_ttl")).isBetween(1L, 100_000L);
        try (Jedis backup = new Jedis("127.0.0.1", RespNodeIT.respPort(pair.backup()), 30_000)) {
            await().atMost(Duration.ofSeconds(30)).until(() -> infoExpires(backup) == 1);
            assertThat(answer(primary, "PERSIST", "i:ex")).isEqualTo("1");
            assertThat(infoExpires(primary)).isZero();
            await().atMost(Duration.ofSeconds(30)).until(() -> infoExpires(backup) == 0);
        }
        assertThat(answer(primary, "EXPIRE", "i:ex", "100")).isEqualTo("1");
        assertThat(infoExpires(primary)).isEqualTo(1);
        assertThat(answer(primary, "SET", "i:ex", "w"))
                .as("a SET without KEEPTTL")
                .isEqualTo("OK");
        assertThat(infoExpires(primary)).isZero();
        assertThat(answer(primary, "SET", "i:ex", "v", "PX", "100000")).isEqualTo("OK");
        assertThat(answer(primary, "DEL", "i:ex")).isEqualTo("1");
        assertThat(infoExpires(primary)).isZero();
        assertThat(answer(primary, "SET", "i:short", "v", "PX", "300")).isEqualTo("OK");
        assertThat(infoExpires(primary)).isEqualTo(1);
        // Expiry removes it, and the count with it.
        await().atMost(Duration.ofSeconds(30)).until(() -> infoExpires(primary) == 0);
        assertThat(primary.exists("i:short")).isFalse();
        assertThat(pair.primary().status().getExpiringKeyCount()).isZero();
        primary.del("i:plain");
    }

    @Test
    void aKeyWithATtlExpiresOnBothNodes() throws Exception {
        assertThat(primary.set(
                        "x:short",
                        "v",
                        redis.clients.jedis.params.SetParams.setParams().px(1500)))
                .isEqualTo("OK");
        long pttl = primary.pttl("x:short");
        assertThat(pttl).isBetween(1L, 1500L);
        try (Jedis backup = new Jedis("127.0.0.1", RespNodeIT.respPort(pair.backup()), 30_000)) {
            backup.readonly();
            await().atMost(Duration.ofSeconds(30)).until(() -> "v".equals(backup.get("x:short")));
            await().atMost(Duration.ofSeconds(30)).until(() -> primary.get("x:short") == null);
            assertThat(backup.get("x:short")).isNull();
            assertThat(backup.exists("x:short")).isFalse();
            // The active expirer removes it on the primary, and its EXPIRED record on the backup.
            // Then each node holds exactly what it shows: no expired key is left on either.
            await().atMost(Duration.ofSeconds(30)).until(() -> {
                long held = pair.primary().status().getKeyCount();
                return held == pair.primary().dump().size()
                        && pair.backup().status().getKeyCount() == held
                        && pair.backup().dump().size() == held;
            });
            assertThat(pair.backup().dump()).doesNotContainKey(com.google.protobuf.ByteString.copyFromUtf8("x:short"));
        }
    }

    @Test
    void grpcTtlExpireAndTtlRpcs() {
        var kv = dev.pbkv.proto.KeyValueGrpc.newBlockingStub(pair.primary().channel())
                .withDeadlineAfter(30, TimeUnit.SECONDS);
        kv.put(dev.pbkv.proto.WriteRequest.newBuilder()
                .setKey(com.google.protobuf.ByteString.copyFromUtf8("g:short"))
                .setValue(com.google.protobuf.ByteString.copyFromUtf8("v"))
                .setTtlMs(1500)
                .build());
        kv.put(dev.pbkv.proto.WriteRequest.newBuilder()
                .setKey(com.google.protobuf.ByteString.copyFromUtf8("g:kept"))
                .setValue(com.google.protobuf.ByteString.copyFromUtf8("v"))
                .setTtlMs(1500)
                .build());
        var ttl = kv.ttl(dev.pbkv.proto.TtlRequest.newBuilder()
                .setKey(com.google.protobuf.ByteString.copyFromUtf8("g:short"))
                .build());
        assertThat(ttl.getTtlMs()).isBetween(1L, 1500L);
        assertThat(ttl.getExpireAtMs()).isGreaterThan(System.currentTimeMillis() - 60_000);
        assertThat(kv.expire(dev.pbkv.proto.ExpireRequest.newBuilder()
                                .setKey(com.google.protobuf.ByteString.copyFromUtf8("g:kept"))
                                .setPersist(true)
                                .build())
                        .getChanged())
                .isTrue();
        await().atMost(Duration.ofSeconds(30))
                .untilAsserted(() -> assertThat(org.assertj.core.api.Assertions.catchThrowableOfType(
                                () -> kv.get(dev.pbkv.proto.GetRequest.newBuilder()
                                        .setKey(com.google.protobuf.ByteString.copyFromUtf8("g:short"))
                                        .build()),
                                io.grpc.StatusRuntimeException.class))
                        .isNotNull()
                        .extracting(e -> e.getStatus().getCode())
                        .isEqualTo(io.grpc.Status.Code.NOT_FOUND));
        assertThat(kv.ttl(dev.pbkv.proto.TtlRequest.newBuilder()
                                .setKey(com.google.protobuf.ByteString.copyFromUtf8("g:kept"))
                                .build())
                        .getTtlMs())
                .isEqualTo(-1);
        var gKept = com.google.protobuf.ByteString.copyFromUtf8("g:kept");
        assertThat(kv.expire(dev.pbkv.proto.ExpireRequest.newBuilder()
                                .setKey(gKept)
                                .setTtlMs(100_000)
                                .setGt(true)
                                .build())
                        .getChanged())
                .as("GT on a key without a deadline")
                .isFalse();
        assertThat(kv.expire(dev.pbkv.proto.ExpireRequest.newBuilder()
                                .setKey(gKept)
                                .setTtlMs(100_000)
                                .setNx(true)
                                .build())
                        .getChanged())
                .as("NX on a key without a deadline")
                .isTrue();
        assertThat(kv.expire(dev.pbkv.proto.ExpireRequest.newBuilder()
                                .setKey(gKept)
                                .setTtlMs(50_000)
                                .setLt(true)
                                .build())
                        .getChanged())
                .isTrue();
        assertThat(kv.ttl(dev.pbkv.proto.TtlRequest.newBuilder().setKey(gKept).build())
                        .getTtlMs())
                .isBetween(1L, 50_000L);
        assertThat(org.assertj.core.api.Assertions.catchThrowableOfType(
                                () -> kv.expire(dev.pbkv.proto.ExpireRequest.newBuilder()
                                        .setKey(gKept)
                                        .setTtlMs(10)
                                        .setGt(true)
                                        .setLt(true)
                                        .build()),
                                io.grpc.StatusRuntimeException.class)
                        .getStatus()
                        .getCode())
                .isEqualTo(io.grpc.Status.Code.INVALID_ARGUMENT);
        kv.delete(dev.pbkv.proto.DeleteRequest.newBuilder().setKey(gKept).build());
        assertThat(org.assertj.core.api.Assertions.catchThrowableOfType(
                                () -> kv.put(dev.pbkv.proto.WriteRequest.newBuilder()
                                        .setKey(com.google.protobuf.ByteString.copyFromUtf8("g:bad"))
                                        .setTtlMs(10)
                                        .setKeepTtl(true)
                                        .build()),
                                io.grpc.StatusRuntimeException.class)
                        .getStatus()
                        .getCode())
                .isEqualTo(io.grpc.Status.Code.INVALID_ARGUMENT);
    }

    @Test
    void httpTtlFieldInMilliseconds() throws Exception {
        java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
        String base = "http://127.0.0.1:" + RespNodeIT.httpPort(pair.primary());
        java.util.function.Function<String, java.net.http.HttpResponse<String>> post = body -> {
            try {
                return http.send(
                        java.net.http.HttpRequest.newBuilder(java.net.URI.create(base + "/kv/insert"))
                                .header("Content-Type", "application/x-www-form-urlencoded")
                                .POST(java.net.http.HttpRequest.BodyPublishers.ofString(body))
                                .build(),
                        java.net.http.HttpResponse.BodyHandlers.ofString());
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        };
        assertThat(post.apply("key=h:short&value=v&ttl=1500").body()).contains("\"success\":\"true\"");
        java.net.http.HttpResponse<String> bad = post.apply("key=h:bad&value=v&ttl=soon");
        assertThat(bad.statusCode()).isEqualTo(400);
        assertThat(bad.body()).contains("ttl");
        java.util.concurrent.Callable<String> get = () -> http.send(
                        java.net.http.HttpRequest.newBuilder(java.net.URI.create(base + "/kv/get?key=h:short"))
                                .build(),
                        java.net.http.HttpResponse.BodyHandlers.ofString())
                .body();
        assertThat(get.call()).contains("\"value\":\"v\"");
        await().atMost(Duration.ofSeconds(30)).until(() -> get.call().contains("\"success\":\"false\""));
        java.util.concurrent.Callable<String> dump = () -> http.send(
                        java.net.http.HttpRequest.newBuilder(java.net.URI.create(base + "/kvman/dump"))
                                .build(),
                        java.net.http.HttpResponse.BodyHandlers.ofString())
                .body();
        assertThat(dump.call()).doesNotContain("h:short").doesNotContain("h:bad");
    }
}
