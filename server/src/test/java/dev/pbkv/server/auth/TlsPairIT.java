package dev.pbkv.server.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.pbkv.client.PbkvClient;
import dev.pbkv.client.PbkvException;
import dev.pbkv.proto.NodeState;
import dev.pbkv.proto.Role;
import dev.pbkv.server.resp.RedisCli;
import dev.pbkv.server.tls.DevCa;
import dev.pbkv.server.tls.DevCertificates;
import dev.pbkv.server.tls.IssuedCertificate;
import dev.pbkv.server.tls.Usage;
import dev.pbkv.testkit.NodeProcess;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Jedis;

/**
 * The tls block on a real pair of node processes, with certificates of the development CA
 * ({@code bin/pbkv certs}): every door serves TLS to real clients (the Java client, Jedis,
 * Debian's redis-cli and curl, the JDK's HttpClient), the nodes replicate over mutual TLS, and
 * a certificate of another CA, or one that expired, is refused.
 */
class TlsPairIT {
    private static final Duration STATE_WAIT = Duration.ofSeconds(60);

    @TempDir
    Path dir;

    private Path certs() throws IOException {
        Path certs = dir.resolve("certs");
        DevCertificates.write(
                certs,
                new DevCertificates.Request(DevCertificates.DEFAULT_NODES, List.of(), Duration.ofDays(1)),
                false);
        return certs;
    }

    private static Path pem(Path certs, String name) {
        return DevCertificates.certificateFile(certs, name);
    }

    private static Path key(Path certs, String name) {
        return DevCertificates.keyFile(certs, name);
    }

    private NodeProcess.PairBuilder tlsPair(Path certs) {
        NodeProcess.PairBuilder b = NodeProcess.pair(dir).set("replication.peer-timeout-ms", "1000");
        Path ca = pem(certs, DevCertificates.CA);
        b.primary().tls(ca, pem(certs, "primary"), key(certs, "primary")).set("tls.mutual-peers", "true");
        b.backup().tls(ca, pem(certs, "backup"), key(certs, "backup")).set("tls.mutual-peers", "true");
        return b;
    }

    static SSLContext trusting(Path caPem) throws Exception {
        KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
        store.load(null, null);
        try (InputStream in = Files.newInputStream(caPem)) {
            store.setCertificateEntry(
                    "ca", CertificateFactory.getInstance("X.509").generateCertificate(in));
        }
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(store);
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(null, tmf.getTrustManagers(), null);
        return ctx;
    }

    /** Runs a short-lived tool to its end (killed by its PID after 30 s): exit code and output. */
    private static Object[] run(ProcessBuilder pb) throws Exception {
        Process p = pb.redirectErrorStream(true).start();
        try {
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
            return new Object[] {p.exitValue(), out};
        } finally {
            p.destroyForcibly();
        }
    }

    private static ProcessBuilder curl(String... args) {
        Path curl = Path.of("/usr/bin/curl");
        assumeTrue(Files.isExecutable(curl), "curl is not installed");
        List<String> command = new ArrayList<>(List.of(curl.toString(), "-sS", "--max-time", "20"));
        command.addAll(Arrays.asList(args));
        return new ProcessBuilder(command);
    }

    @Test
    void everyDoorServesTlsAndTheNodesReplicateOverMutualTls() throws Exception {
        Path certs = certs();
        Path ca = pem(certs, DevCertificates.CA);
        try (NodeProcess.Pair pair = tlsPair(certs).start();
                PbkvClient client = PbkvClient.builder()
                        .endpoint(pair.primary().grpcAddress())
                        .tls(ca)
                        .retryDeadline(Duration.ofSeconds(20))
                        .build()) {
            NodeProcess primary = pair.primary();
            // SYNC: the backup subscribed and the digests matched, over mutual TLS.
            primary.awaitState(Role.PRIMARY, NodeState.SYNC, STATE_WAIT);
            pair.backup().awaitState(Role.BACKUP, NodeState.SYNC, STATE_WAIT);
            assertThat(primary.logContains("grpc door listening on 127.0.0.1:" + primary.grpcPort() + " (TLS)"))
                    .isTrue();

            // gRPC: the Java client with the CA; a plaintext client gets no answer.
            assertThat(client.put("k", "v").isOk()).isTrue();
            await().atMost(STATE_WAIT).until(() -> pair.backup().dump().size() == 1);
            try (PbkvClient plain = PbkvClient.builder()
                    .endpoint(primary.grpcAddress())
                    .retryDeadline(Duration.ofMillis(500))
                    .build()) {
                assertThatThrownBy(() -> plain.get("k")).isInstanceOf(PbkvException.class);
            }

            // RESP: Jedis over SSL, trusting the CA.
            try (Jedis jedis = new Jedis(
                    new HostAndPort("127.0.0.1", primary.respPort()),
                    DefaultJedisClientConfig.builder()
                            .ssl(true)
                            .sslSocketFactory(trusting(ca).getSocketFactory())
                            .build())) {
                assertThat(jedis.get("k")).isEqualTo("v");
                assertThat(jedis.set("j", "1")).isEqualTo("OK");
            }

            // HTTPS: the JDK's client checks the name (IP 127.0.0.1 in the certificate).
            HttpClient https = HttpClient.newBuilder()
                    .sslContext(trusting(ca))
                    .connectTimeout(Duration.ofSeconds(10))
                    .build();
            HttpResponse<String> got = https.send(
                    HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + primary.httpPort() + "/kv/get?key=j"))
                            .timeout(Duration.ofSeconds(10))
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(got.statusCode()).isEqualTo(200);
            assertThat(got.body()).contains("\"value\":\"1\"");
            HttpClient untrusting = HttpClient.newBuilder()
                    .connectTimeout(Duration.ofSeconds(10))
                    .build();
            assertThatThrownBy(() -> untrusting.send(
                            HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + primary.httpPort() + "/health"))
                                    .timeout(Duration.ofSeconds(10))
                                    .build(),
                            HttpResponse.BodyHandlers.ofString()))
                    .isInstanceOf(SSLHandshakeException.class);
        }
    }

    @Test
    void redisCliAndCurlWorkWithTheCaAndFailWithoutIt() throws Exception {
        Path certs = certs();
        Path ca = pem(certs, DevCertificates.CA);
        try (NodeProcess.Pair pair = tlsPair(certs).start()) {
            NodeProcess primary = pair.primary();
            primary.awaitState(Role.PRIMARY, NodeState.SYNC, STATE_WAIT);
            Object[] set =
                    run(RedisCli.command(primary.respPort(), "--tls", "--cacert", ca.toString(), "SET", "r", "7"));
            assertThat(set[1]).as("redis-cli SET").asString().contains("OK");
            Object[] get = run(RedisCli.command(primary.respPort(), "--tls", "--cacert", ca.toString(), "GET", "r"));
            assertThat(get[1]).asString().contains("7");
            Object[] plain = run(RedisCli.command(primary.respPort(), "GET", "r"));
            assertThat(plain[1]).asString().doesNotContain("7");

            String url = "https://127.0.0.1:" + primary.httpPort() + "/kv/get?key=r";
            Object[] ok = run(curl("--cacert", ca.toString(), url));
            assertThat(ok[0]).isEqualTo(0);
            assertThat(ok[1]).asString().contains("\"value\":\"7\"");
            Object[] noCa = run(curl(url));
            assertThat(noCa[0]).as("curl without --cacert: %s", noCa[1]).isEqualTo(60); // peer certificate not trusted
        }
    }

    @Test
    void overTlsCredentialsAreCheckedAsBeforeWithCurlAndRedisCli() throws Exception {
        Path certs = certs();
        Path ca = pem(certs, DevCertificates.CA);
        Path conf = dir.resolve("settings.conf");
        Files.writeString(
                conf,
                "{\"auth\": {\"failure-delay-ms\": 50, \"users\": {\"writer\": {\"access\": \"write\","
                        + " \"password-hash\": \"" + PasswordHash.create("w-pw".toCharArray(), 1000) + "\"}}}}");
        try (NodeProcess node = NodeProcess.primary(dir)
                .args("--config", conf.toString())
                .tls(ca, pem(certs, "primary"), key(certs, "primary"))
                .start()) {
            String insert = "https://127.0.0.1:" + node.httpPort() + "/kv/insert";
            Object[] refused = run(curl(
                    "--cacert", ca.toString(), "-o", "/dev/null", "-w", "%{http_code}", "-d", "key=c&value=1", insert));
            assertThat(refused[1]).asString().isEqualTo("401");
            Object[] wrong = run(curl(
                    "--cacert",
                    ca.toString(),
                    "-u",
                    "writer:nope",
                    "-o",
                    "/dev/null",
                    "-w",
                    "%{http_code}",
                    "-d",
                    "key=c&value=1",
                    insert));
            assertThat(wrong[1]).asString().isEqualTo("401");
            Object[] ok = run(curl("--cacert", ca.toString(), "-u", "writer:w-pw", "-d", "key=c&value=1", insert));
            assertThat(ok[1]).asString().contains("\"success\":\"true\"");

            Object[] noAuth = run(RedisCli.command(node.respPort(), "--tls", "--cacert", ca.toString(), "GET", "c"));
            assertThat(noAuth[1]).asString().contains("NOAUTH");
            Object[] authed = run(RedisCli.command(
                    node.respPort(),
                    "--tls",
                    "--cacert",
                    ca.toString(),
                    "--user",
                    "writer",
                    "--pass",
                    "w-pw",
                    "--no-auth-warning",
                    "GET",
                    "c"));
            assertThat(authed[1]).asString().isEqualTo("1\n");
        }
    }

    @Test
    void aCertificateOfAnotherCaOrOneThatExpiredIsRefused() throws Exception {
        Path certs = certs();
        Path ca = pem(certs, DevCertificates.CA);
        // Another CA's certificate for the backup: the primary, trusting its own CA, refuses it.
        DevCa other = DevCa.create("another pair's CA", Duration.ofDays(1));
        IssuedCertificate stranger = other.issue(
                "backup", List.of("127.0.0.1", "localhost"), Duration.ofDays(1), Set.of(Usage.SERVER, Usage.CLIENT));
        Path strangerPem = dir.resolve("stranger.pem");
        Path strangerKey = dir.resolve("stranger-key.pem");
        stranger.writePem(strangerPem, strangerKey, false);
        Path otherCa = dir.resolve("other-ca.pem");
        other.writePem(otherCa, dir.resolve("other-ca-key.pem"), false);

        NodeProcess.PairBuilder b = NodeProcess.pair(dir).set("replication.peer-timeout-ms", "1000");
        b.primary().tls(ca, pem(certs, "primary"), key(certs, "primary")).set("tls.mutual-peers", "true");
        // It trusts the primary's CA (so it can dial it), but presents a certificate the primary does not.
        b.backup().tls(otherCa, strangerPem, strangerKey).set("tls.ca-file", ca.toString());
        try (NodeProcess.Pair pair = b.build()) {
            pair.primary().startUp();
            pair.backup().startNoWait();
            await().during(Duration.ofSeconds(4))
                    .atMost(STATE_WAIT)
                    .until(() -> pair.primary().status().getState() != NodeState.SYNC);
            assertThat(pair.primary().status().getRole()).isEqualTo(Role.PRIMARY);
        }

        // A node whose certificate expired: clients that trust its CA refuse it.
        DevCa ours = DevCa.create("expired test CA", Duration.ofDays(1));
        IssuedCertificate expired = ours.issue(
                "primary",
                List.of("127.0.0.1"),
                Instant.now().minus(Duration.ofDays(3)),
                Instant.now().minus(Duration.ofDays(1)),
                Set.of(Usage.SERVER, Usage.CLIENT));
        Path expiredDir = Files.createDirectories(dir.resolve("expired"));
        Path expiredPem = expiredDir.resolve("primary.pem");
        Path expiredKey = expiredDir.resolve("primary-key.pem");
        expired.writePem(expiredPem, expiredKey, false);
        Path oursCa = expiredDir.resolve("ca.pem");
        ours.writePem(oursCa, expiredDir.resolve("ca-key.pem"), false);
        try (NodeProcess node = NodeProcess.primary(dir.resolve("alone"))
                .tls(oursCa, expiredPem, expiredKey)
                .build()) {
            node.startNoWait();
            await().atMost(STATE_WAIT)
                    .until(() -> node.nodeInfo()
                            .map(n -> n.path("http").asInt(0) > 0)
                            .orElse(false));
            HttpClient https = HttpClient.newBuilder()
                    .sslContext(trusting(oursCa))
                    .connectTimeout(Duration.ofSeconds(10))
                    .build();
            assertThatThrownBy(() -> https.send(
                            HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + node.httpPort() + "/health"))
                                    .timeout(Duration.ofSeconds(10))
                                    .build(),
                            HttpResponse.BodyHandlers.ofString()))
                    .isInstanceOf(SSLHandshakeException.class)
                    .hasStackTraceContaining("validity check failed");
        }
    }
}
